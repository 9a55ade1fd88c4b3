// The request table of the HTTP codec tests: raw bytes, our verdict, the fields a
// accepted message must have, and, for rows where node:http decides otherwise on
// purpose, the reason (the same rows are listed in docs/http.md, "Where we differ from node").

export interface Row {
  name: string;
  raw: string; // latin1
  /** "ok", or the status the parser refuses with. */
  expect: "ok" | number;
  fields?: { method?: string; uri?: string; query?: string; proto?: string; body?: string; keepAlive?: boolean; chunked?: boolean; isConnect?: boolean; contentLength?: number; status?: number; end?: number };
  /** Set when node:http's verdict differs on purpose: why we follow the RFC (or stay stricter). */
  nodeDiffers?: string;
}

const H = "Host: x\r\n";
const P = `POST / HTTP/1.1\r\n${H}`;
const CH = `${P}Transfer-Encoding: chunked\r\n\r\n`;

const RFC_SP = "RFC 9112 section 3: request-line = method SP request-target SP HTTP-version, single SP; lenient whitespace parsing is the smuggling risk the RFC warns about";
const RFC_CONNECT = "RFC 9112 section 3.2.3 / RFC 9110 section 9.3.6: CONNECT takes only authority-form, host \":\" port";
const RFC_STAR = "RFC 9112 section 3.2.4: asterisk-form is \"*\" alone and only for OPTIONS";
const RFC_STATUS = "RFC 9110 section 15: valid status codes are 100 to 599 (node's client takes any three digits)";
const RFC_EXT = "RFC 9112 section 7.1.1: chunk-ext = *( BWS \";\" BWS chunk-ext-name [ BWS \"=\" BWS chunk-ext-val ] )";

export const REQUESTS: Row[] = [
  // --- accepted: request line forms (RFC 9112 section 3) ---
  { name: "simple GET", raw: `GET / HTTP/1.1\r\n${H}\r\n`, expect: "ok", fields: { method: "GET", uri: "/", query: "", proto: "HTTP/1.1", keepAlive: true, end: 27 } },
  { name: "query and headers", raw: `GET /a/b?x=1&y=%20 HTTP/1.1\r\n${H}Accept: */*\r\nUser-Agent: t/1\r\n\r\n`, expect: "ok", fields: { uri: "/a/b", query: "x=1&y=%20" } },
  { name: "HTTP/1.0 without Host", raw: "GET /old HTTP/1.0\r\n\r\n", expect: "ok", fields: { proto: "HTTP/1.0", keepAlive: false } },
  { name: "HTTP/1.0 keep-alive", raw: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", expect: "ok", fields: { keepAlive: true } },
  { name: "Connection: close", raw: `GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, expect: "ok", fields: { keepAlive: false } },
  { name: "leading empty lines", raw: `\r\n\r\nGET / HTTP/1.1\r\n${H}\r\n`, expect: "ok", fields: { uri: "/" } },
  { name: "absolute-form", raw: `GET http://a.example/b?c HTTP/1.1\r\n${H}\r\n`, expect: "ok", fields: { uri: "http://a.example/b", query: "c" } },
  { name: "absolute-form, upper-case scheme, no path", raw: `GET HTTP://A:80 HTTP/1.1\r\n${H}\r\n`, expect: "ok", fields: { uri: "HTTP://A:80" } },
  { name: "absolute-form with an IPv6 host", raw: `GET http://[::1]:8/c HTTP/1.1\r\n${H}\r\n`, expect: "ok" },
  { name: "origin-form with an empty first segment", raw: `GET //a/b HTTP/1.1\r\n${H}\r\n`, expect: "ok", fields: { uri: "//a/b" } },
  { name: "VCHAR delimiters in the target", raw: `GET /a|b{c}^\`d" HTTP/1.1\r\n${H}\r\n`, expect: "ok" },
  { name: "fragment in the target", raw: `GET /a?b=c#f HTTP/1.1\r\n${H}\r\n`, expect: "ok", fields: { query: "b=c#f" } },
  { name: "OPTIONS *", raw: `OPTIONS * HTTP/1.1\r\n${H}\r\n`, expect: "ok", fields: { method: "OPTIONS", uri: "*" } },
  { name: "CONNECT host:port", raw: "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", expect: "ok", fields: { isConnect: true, uri: "a.example:443" } },
  { name: "CONNECT [v6]:port", raw: "CONNECT [::1]:80 HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", expect: "ok", fields: { isConnect: true } },
  { name: "CONNECT: bytes after the head are not a body", raw: "CONNECT a:80 HTTP/1.1\r\nHost: a:80\r\nContent-Length: 5\r\n\r\nhello", expect: "ok", fields: { isConnect: true, body: "", end: 56 } },
  { name: "HTTP/1.2 is read as 1.1", raw: `GET / HTTP/1.2\r\n${H}\r\n`, expect: "ok", fields: { proto: "HTTP/1.2", keepAlive: true },
    nodeDiffers: "RFC 9110 section 2.5: a higher minor version of a major version we implement is processed as the highest minor we implement (node refuses HTTP/1.2)" },
  // --- accepted: methods (the set node:http knows) ---
  ...["M-SEARCH", "QUERY", "PURGE", "MKCOL", "PROPFIND", "UNSUBSCRIBE", "DELETE", "PATCH"].map((m): Row => ({ name: `method ${m}`, raw: `${m} / HTTP/1.1\r\n${H}\r\n`, expect: "ok", fields: { method: m } })),
  // --- accepted: field lines (RFC 9112 section 5) ---
  { name: "obs-text in a value", raw: `GET / HTTP/1.1\r\n${H}X: a\xffb\xe9\r\n\r\n`, expect: "ok" },
  { name: "HTAB inside and OWS around a value, empty value", raw: `GET / HTTP/1.1\r\nHost:\tx \r\nX: a\tb\r\nY:\r\nZ:  \t a\r\n\r\n`, expect: "ok" },
  { name: "empty Host", raw: "GET / HTTP/1.1\r\nHost:\r\n\r\n", expect: "ok" },
  { name: "Host with a port", raw: "GET / HTTP/1.1\r\nHost: a.example:8080\r\n\r\n", expect: "ok" },
  // --- accepted: framing (RFC 9112 section 6) ---
  { name: "Content-Length body", raw: `${P}Content-Length: 3\r\n\r\nabc`, expect: "ok", fields: { body: "abc", contentLength: 3 } },
  { name: "Content-Length with trailing OWS", raw: `${P}Content-Length: 3 \r\n\r\nabc`, expect: "ok", fields: { body: "abc" } },
  { name: "Content-Length, 16 digits with leading zeros", raw: `${P}Content-Length: 0000000000000003\r\n\r\nabc`, expect: "ok", fields: { body: "abc" } },
  { name: "Content-Length, 26 digits with leading zeros", raw: `${P}Content-Length: 00000000000000000000000003\r\n\r\nabc`, expect: "ok", fields: { body: "abc" } },
  { name: "Content-Length: 0 on GET", raw: `GET / HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`, expect: "ok", fields: { body: "" } },
  { name: "Expect: 100-continue", raw: `${P}Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi`, expect: "ok", fields: { body: "hi" } },
  { name: "chunked", raw: `${CH}3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n`, expect: "ok", fields: { body: "abcde", chunked: true } },
  { name: "chunked, upper-case coding name", raw: `${P}Transfer-Encoding: CHUNKED\r\n\r\n1\r\na\r\n0\r\n\r\n`, expect: "ok", fields: { body: "a" } },
  { name: "deflate then chunked, two lines", raw: `${P}Transfer-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, expect: "ok", fields: { chunked: true } },
  { name: "deflate, chunked in one line", raw: `${P}Transfer-Encoding: deflate, chunked\r\n\r\n0\r\n\r\n`, expect: "ok" },
  { name: "empty list member before chunked", raw: `${P}Transfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n`, expect: "ok" },
  { name: "chunk extensions, token and quoted", raw: `${CH}3;a=b;c="d\\"e";f\r\nabc\r\n0;last\r\n\r\n`, expect: "ok", fields: { body: "abc" } },
  { name: "chunk-size with 13 digits, leading zeros", raw: `${CH}000000000000a\r\n0123456789\r\n0\r\n\r\n`, expect: "ok", fields: { body: "0123456789" } },
  { name: "upper and lower case hex", raw: `${CH}A\r\n0123456789\r\nb\r\n0123456789a\r\n0\r\n\r\n`, expect: "ok" },
  { name: "trailer field", raw: `${CH}1\r\na\r\n0\r\nX-T: 5\r\n\r\n`, expect: "ok", fields: { body: "a" } },
  { name: "Host in the trailer", raw: `${CH}0\r\nHost: y\r\n\r\n`, expect: "ok" },
  { name: "BWS before the ; of a chunk-ext", raw: `${CH}a ;x\r\n0123456789\r\n0\r\n\r\n`, expect: "ok", nodeDiffers: RFC_EXT },
  { name: "BWS around = of a chunk-ext", raw: `${CH}a; x = y\r\n0123456789\r\n0\r\n\r\n`, expect: "ok", nodeDiffers: RFC_EXT },

  // --- refused: methods (RFC 9110 section 9.1: unknown method 501; not a token 400) ---
  { name: "lower-case method", raw: `get / HTTP/1.1\r\n${H}\r\n`, expect: 501 },
  { name: "unknown method", raw: `FOO / HTTP/1.1\r\n${H}\r\n`, expect: 501 },
  { name: "known method plus a letter", raw: `MKCOLA / HTTP/1.1\r\n${H}\r\n`, expect: 501 },
  { name: "prefix of a known method", raw: `GE / HTTP/1.1\r\n${H}\r\n`, expect: 501 },
  { name: "method with ! (a tchar)", raw: `G!T / HTTP/1.1\r\n${H}\r\n`, expect: 501 },
  { name: "RTSP method", raw: `DESCRIBE / HTTP/1.1\r\n${H}\r\n`, expect: 501 },
  { name: "HTTP/2 preface", raw: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", expect: 501 },
  { name: "method with a non-token byte", raw: `G(T / HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: "space before the method", raw: ` GET / HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: "TLS hello on the HTTP port", raw: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", expect: 400 },
  // --- refused: request line ---
  { name: "two spaces after the target", raw: `GET /  HTTP/1.1\r\n${H}\r\n`, expect: 400, nodeDiffers: RFC_SP },
  { name: "two spaces after the method", raw: `GET  / HTTP/1.1\r\n${H}\r\n`, expect: 400, nodeDiffers: RFC_SP },
  { name: "space after the version", raw: `GET / HTTP/1.1 \r\n${H}\r\n`, expect: 400 },
  { name: "HTTP/0.9 request line", raw: "GET /\r\n\r\n", expect: 400, nodeDiffers: "RFC 9112 section 3: the request line ends with HTTP-version; HTTP/0.9 has no headers, no status line, and no framing we could answer with" },
  { name: "HTTP/2.0 in an HTTP/1 request line", raw: `GET / HTTP/2.0\r\n${H}\r\n`, expect: 505, nodeDiffers: "RFC 9110 section 6.2 / 15.6.6: a well-formed major version we do not implement gets 505 (node answers HTTP/2.0 as if it were 1.1)" },
  { name: "HTTP/0.9 version", raw: `GET / HTTP/0.9\r\n${H}\r\n`, expect: 505, nodeDiffers: "RFC 9110 section 15.6.6: major version 0 is not implemented, 505 (node accepts it)" },
  { name: "HTTP/3.0", raw: `GET / HTTP/3.0\r\n${H}\r\n`, expect: 505 },
  { name: "version without a dot", raw: `GET / HTTP/11\r\n${H}\r\n`, expect: 400 },
  { name: "lower-case version", raw: `GET / http/1.1\r\n${H}\r\n`, expect: 400 },
  { name: "three-digit version", raw: `GET / HTTP/1.01\r\n${H}\r\n`, expect: 400 },
  { name: "version without a minor", raw: `GET / HTTP/1.\r\n${H}\r\n`, expect: 400 },
  { name: "other protocol", raw: "GET / FOO/1.1\r\n\r\n", expect: 400 },
  { name: "target without a slash", raw: `GET foo HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: "authority-form on GET", raw: `GET example.com:80 HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: "absolute-form without //", raw: `GET http:/a HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: "raw non-ASCII byte in the target", raw: `GET /\xe9 HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: "NUL in the target", raw: `GET /\x00 HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: "HTAB in the target", raw: `GET /a\tb HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: "space in the target", raw: "GET /a b HTTP/1.1\r\n\r\n", expect: 400 },
  { name: "asterisk-form on GET", raw: `GET * HTTP/1.1\r\n${H}\r\n`, expect: 400, nodeDiffers: RFC_STAR },
  { name: "asterisk followed by more", raw: `OPTIONS *x HTTP/1.1\r\n${H}\r\n`, expect: 400, nodeDiffers: RFC_STAR },
  { name: "CONNECT with origin-form", raw: `CONNECT /x HTTP/1.1\r\n${H}\r\n`, expect: 400, nodeDiffers: RFC_CONNECT },
  { name: "CONNECT without a port", raw: `CONNECT a HTTP/1.1\r\n${H}\r\n`, expect: 400, nodeDiffers: RFC_CONNECT },
  { name: "CONNECT host:port/path", raw: `CONNECT a:80/x HTTP/1.1\r\n${H}\r\n`, expect: 400, nodeDiffers: RFC_CONNECT },
  { name: "CONNECT with absolute-form", raw: `CONNECT http://a:80 HTTP/1.1\r\n${H}\r\n`, expect: 400, nodeDiffers: RFC_CONNECT },
  { name: "CONNECT *", raw: `CONNECT * HTTP/1.1\r\n${H}\r\n`, expect: 400, nodeDiffers: RFC_CONNECT },
  { name: "bare CR in the request line", raw: `GET / HTTP/1.1\r${H}\r\n`, expect: 400 },
  { name: "bare LF line ends", raw: "GET / HTTP/1.1\nHost: x\n\n", expect: 400 },
  { name: "bare LF before the request", raw: `\nGET / HTTP/1.1\r\n${H}\r\n`, expect: 400, nodeDiffers: "RFC 9112 section 2.2: only CRLF empty lines are skipped; a bare LF is never a line end here (node skips it)" },
  // --- refused: Host (RFC 9112 section 3.2) ---
  { name: "HTTP/1.1 without Host", raw: "GET / HTTP/1.1\r\n\r\n", expect: 400 },
  { name: "two Host lines", raw: `GET / HTTP/1.1\r\n${H}Host: y\r\n\r\n`, expect: 400, nodeDiffers: "RFC 9112 section 3.2: a server MUST answer 400 to a request with more than one Host field line" },
  { name: "Host with a space", raw: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", expect: 400, nodeDiffers: "RFC 9112 section 3.2: 400 for a Host with an invalid field value (uri-host [ \":\" port ])" },
  { name: "Host with a path", raw: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", expect: 400, nodeDiffers: "RFC 9112 section 3.2: 400 for a Host with an invalid field value (uri-host [ \":\" port ])" },
  // --- refused: field lines (RFC 9112 section 5) ---
  { name: "space before the colon", raw: `GET / HTTP/1.1\r\nHost : x\r\n\r\n`, expect: 400 },
  { name: "space in a field name", raw: `GET / HTTP/1.1\r\n${H}Bad Name: x\r\n\r\n`, expect: 400 },
  { name: "obs-fold", raw: `GET / HTTP/1.1\r\n${H}X: a\r\n b\r\n\r\n`, expect: 400 },
  { name: "whitespace before the first field", raw: `GET / HTTP/1.1\r\n\t${H}\r\n`, expect: 400 },
  { name: "empty field name", raw: `GET / HTTP/1.1\r\n${H}: x\r\n\r\n`, expect: 400 },
  { name: "field line without a colon", raw: `GET / HTTP/1.1\r\n${H}X\r\n\r\n`, expect: 400 },
  { name: "non-ASCII field name", raw: `GET / HTTP/1.1\r\n${H}X\xe9: a\r\n\r\n`, expect: 400 },
  { name: "NUL in a field name", raw: `GET / HTTP/1.1\r\nX-\x00: x\r\n${H}\r\n`, expect: 400 },
  { name: "NUL in a value", raw: `GET / HTTP/1.1\r\n${H}X: a\x00b\r\n\r\n`, expect: 400 },
  { name: "CTL in a value", raw: `GET / HTTP/1.1\r\n${H}X: a\x01b\r\n\r\n`, expect: 400 },
  { name: "DEL in a value", raw: `GET / HTTP/1.1\r\n${H}X: a\x7fb\r\n\r\n`, expect: 400 },
  { name: "bare CR in a value", raw: `GET / HTTP/1.1\r\n${H}X: a\rb\r\n\r\n`, expect: 400 },
  { name: "bare LF after a field", raw: `GET / HTTP/1.1\r\n${H}X: y\n\r\n`, expect: 400 },
  { name: "bare CR ending the head", raw: `GET / HTTP/1.1\r\n${H}\r\r\n`, expect: 400 },
  // --- refused: Content-Length (RFC 9110 section 8.6, RFC 9112 section 6.3) ---
  { name: "Content-Length twice, same value", raw: `${P}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`, expect: 400 },
  { name: "Content-Length list of the same value", raw: `${P}Content-Length: 3, 3\r\n\r\nabc`, expect: 400 },
  { name: "conflicting Content-Length", raw: `${P}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`, expect: 400 },
  { name: "Content-Length with a sign", raw: `${P}Content-Length: +3\r\n\r\nabc`, expect: 400 },
  { name: "negative Content-Length", raw: `${P}Content-Length: -1\r\n\r\n`, expect: 400 },
  { name: "hex Content-Length", raw: `${P}Content-Length: 0x10\r\n\r\n`, expect: 400 },
  { name: "two numbers in Content-Length", raw: `${P}Content-Length: 3 3\r\n\r\nabc`, expect: 400 },
  { name: "empty Content-Length", raw: `${P}Content-Length:\r\n\r\nabc`, expect: 400 },
  { name: "overflowing Content-Length", raw: `${P}Content-Length: 99999999999999999999\r\n\r\nabc`, expect: 400 },
  { name: "Content-Length over the body limit", raw: `${P}Content-Length: 9999999999\r\n\r\nabc`, expect: 413,
    nodeDiffers: "not a grammar rule: maxBodySize (here 1 MiB) is refused at the head with 413; node has no body limit and waits for the bytes" },
  // --- refused: Transfer-Encoding (RFC 9112 sections 6.1, 6.3, 7) ---
  { name: "Content-Length and Transfer-Encoding", raw: `${P}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, expect: 400 },
  { name: "Transfer-Encoding and Content-Length", raw: `${P}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`, expect: 400 },
  { name: "chunked, (empty member after chunked)", raw: `${P}Transfer-Encoding: chunked,\r\n\r\n0\r\n\r\n`, expect: 400 },
  { name: "chunked , with OWS", raw: `${P}Transfer-Encoding: chunked , \r\n\r\n0\r\n\r\n`, expect: 400 },
  { name: "chunked in two lines", raw: `${P}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, expect: 400 },
  { name: "chunked, chunked", raw: `${P}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n`, expect: 400 },
  { name: "chunked not final", raw: `${P}Transfer-Encoding: chunked, gzip\r\n\r\n`, expect: 400 },
  { name: "coding we do not implement", raw: `${P}Transfer-Encoding: gzip\r\n\r\n`, expect: 501 },
  { name: "near-miss of chunked", raw: `${P}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`, expect: 501 },
  { name: "chunked with a parameter", raw: `${P}Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n`, expect: 400 },
  { name: "empty Transfer-Encoding", raw: `${P}Transfer-Encoding:\r\n\r\n`, expect: 400, nodeDiffers: "RFC 9112 section 6.3: Transfer-Encoding present in a request without chunked as the final coding is a 400 (node ignores an empty one)" },
  { name: "empty Transfer-Encoding with Content-Length", raw: `${P}Transfer-Encoding:\r\nContent-Length: 3\r\n\r\nabc`, expect: 400, nodeDiffers: "RFC 9112 section 6.1: a request with both Transfer-Encoding and Content-Length is refused, an empty Transfer-Encoding too (node ignores it and uses Content-Length)" },
  { name: "Transfer-Encoding in HTTP/1.0", raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", expect: 400,
    nodeDiffers: "RFC 9112 section 6.1: an HTTP/1.0 message with Transfer-Encoding MUST be treated as having faulty framing (node decodes it as chunked)" },
  // --- refused: chunked body (RFC 9112 section 7.1) ---
  { name: "empty chunk-ext name (2;)", raw: `${CH}2;\r\nab\r\n0\r\n\r\n`, expect: 400 },
  { name: "space after the chunk size", raw: `${CH}a \r\n0123456789\r\n0\r\n\r\n`, expect: 400 },
  { name: "two spaces after the chunk size", raw: `${CH}25  \r\n${"x".repeat(37)}\r\n0\r\n\r\n`, expect: 400 },
  { name: "tab after the chunk size", raw: `${CH}a\t\r\n0123456789\r\n0\r\n\r\n`, expect: 400 },
  { name: "unbalanced quote in a chunk-ext", raw: `${CH}a;x="y\r\n0123456789\r\n0\r\n\r\n`, expect: 400 },
  { name: "0xFF in a chunk-ext value", raw: `${CH}a;x=\xff\r\n0123456789\r\n0\r\n\r\n`, expect: 400 },
  { name: "chunk-ext without a name", raw: `${CH}3;=c\r\nabc\r\n0\r\n\r\n`, expect: 400, nodeDiffers: RFC_EXT + ", chunk-ext-name = token (not empty)" },
  { name: "chunk-ext with an empty value", raw: `${CH}3;a=\r\nabc\r\n0\r\n\r\n`, expect: 400, nodeDiffers: RFC_EXT + ", chunk-ext-val = token / quoted-string (not empty)" },
  { name: "0x prefix on the chunk size", raw: `${CH}0x3\r\nabc\r\n0\r\n\r\n`, expect: 400 },
  { name: "not a chunk size", raw: `${CH}zz\r\n`, expect: 400 },
  { name: "bare LF after the chunk size", raw: `${CH}3\nabc\r\n0\r\n\r\n`, expect: 400 },
  { name: "chunk data longer than its size", raw: `${CH}3\r\nabcX\r\n0\r\n\r\n`, expect: 400 },
  { name: "chunk size overflows", raw: `${CH}fffffffffffffffff\r\n0123456789\r\n0\r\n\r\n`, expect: 413 },
  { name: "Content-Length in the trailer", raw: `${CH}0\r\nContent-Length: 5\r\n\r\n`, expect: 400 },
  { name: "Transfer-Encoding in the trailer", raw: `${CH}0\r\nTransfer-Encoding: chunked\r\n\r\n`, expect: 400 },
  { name: "space before the colon in the trailer", raw: `${CH}0\r\nX : 5\r\n\r\n`, expect: 400 },
  { name: "CTL in a trailer value", raw: `${CH}0\r\nX: \x01\r\n\r\n`, expect: 400 },
  { name: "obs-fold in the trailer", raw: `${CH}0\r\nX: a\r\n folded\r\n\r\n`, expect: 400 },
  { name: "bare LF ending the chunked body", raw: `${CH}0\r\n\n`, expect: 400 },
];

export const RESPONSES: Row[] = [
  { name: "200 with Content-Length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", expect: "ok", fields: { status: 200, body: "abc", proto: "OK" } },
  { name: "chunked", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n0\r\n\r\n", expect: "ok", fields: { body: "hello", chunked: true } },
  { name: "no reason phrase, no SP", raw: "HTTP/1.1 204\r\n\r\n", expect: "ok", fields: { status: 204, proto: "" } },
  { name: "empty reason phrase", raw: "HTTP/1.1 304 \r\n\r\n", expect: "ok", fields: { status: 304, proto: "" } },
  { name: "reason with obs-text and HTAB", raw: "HTTP/1.1 200 O\xe9\tK\r\nContent-Length: 0\r\n\r\n", expect: "ok", fields: { status: 200 } },
  { name: "HTTP/1.0, body until close", raw: "HTTP/1.0 200 OK\r\n\r\nall of it", expect: "ok", fields: { body: "all of it", keepAlive: false } },
  { name: "final coding not chunked: until close", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzzz", expect: "ok", fields: { body: "zzz", chunked: false } },
  { name: "interim 100", raw: "HTTP/1.1 100 Continue\r\n\r\n", expect: "ok", fields: { status: 100, body: "" } },
  { name: "no Host needed", raw: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", expect: "ok" },
  { name: "status 599", raw: "HTTP/1.1 599 Odd\r\nContent-Length: 0\r\n\r\n", expect: "ok", fields: { status: 599 } },
  { name: "status 600", raw: "HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n", expect: 400, nodeDiffers: RFC_STATUS },

  { name: "wrong protocol name", raw: "HTTX/1.1 200 OK\r\n\r\n", expect: 400 },
  { name: "four-digit status", raw: "HTTP/1.1 2000 OK\r\n\r\n", expect: 400 },
  { name: "two-digit status", raw: "HTTP/1.1 20 OK\r\n\r\n", expect: 400 },
  { name: "status below 100", raw: "HTTP/1.1 099 OK\r\n\r\n", expect: 400, nodeDiffers: RFC_STATUS },
  { name: "two spaces before the status", raw: "HTTP/1.1  200 OK\r\n\r\n", expect: 400 },
  { name: "HTTP/2.0 status line", raw: "HTTP/2.0 200 OK\r\n\r\n", expect: 505, nodeDiffers: "RFC 9110 section 2.5 / 6.2: an HTTP/1.1 client cannot read an HTTP/2 message; node's client reads it as 1.x" },
  { name: "CTL in the reason", raw: "HTTP/1.1 200 O\x01K\r\n\r\n", expect: 400, nodeDiffers: "RFC 9112 section 4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ), no CTLs (node's client skips the reason unchecked)" },
  { name: "bare LF line ends", raw: "HTTP/1.1 200 OK\nContent-Length: 0\n\n", expect: 400 },
  { name: "space before the colon", raw: "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", expect: 400 },
  { name: "obs-fold", raw: "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", expect: 400 },
  { name: "field line without a colon", raw: "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", expect: 400 },
  { name: "Content-Length twice", raw: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na", expect: 400 },
  { name: "Content-Length and Transfer-Encoding", raw: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", expect: 400 },
  { name: "chunked twice", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", expect: 400, nodeDiffers: "RFC 9112 section 6.1: chunked is applied at most once; the same rule on both sides, a response-splitting shape (node's client lets it pass)" },
  { name: "chunk size with trailing spaces", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n25  \r\n" + "x".repeat(37) + "\r\n0\r\n\r\n", expect: 400 },
  { name: "empty chunk-ext name", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;\r\nab\r\n0\r\n\r\n", expect: 400 },
  { name: "Content-Length in the trailer", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 1\r\n\r\n", expect: 400 },
];
