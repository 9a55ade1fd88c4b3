// HTTP/1.x message head parser (RFC 9112). Works on the bytes of the receive buffer:
// finds the end of the head, decodes it once as latin1, then validates and indexes the
// start line and header fields without further copies. Framing rules that matter for
// request smuggling are enforced here (RFC 9112 sections 2.2, 5, 6.1, 6.3).

/** Why a head was refused: the status to answer with and a message for MG_EV_ERROR. */
export class HttpParseError {
  constructor(readonly status: number, readonly reason: string) {}
}

export interface ParsedHead {
  /** Bytes of the head including the final CRLFCRLF. */
  headLen: number;
  /** Leading empty lines skipped before the start line. */
  skip: number;
  head: string;
  hdr: number[];
  method: string;
  uri: string;
  query: string;
  proto: string;
  /** Response status, 0 for requests. */
  status: number;
  /** Body length from Content-Length; -1 when absent. */
  contentLength: number;
  chunked: boolean;
  /** HTTP/1.1 without "Connection: close", or HTTP/1.0 with "Connection: keep-alive". */
  keepAlive: boolean;
  expectContinue: boolean;
  /** Connection: upgrade with an Upgrade header. */
  upgrade: boolean;
}

// tchar (RFC 9110 section 5.6.2).
const TOKEN = new Uint8Array(256);
for (const ch of "!#$%&'*+-.^_`|~") TOKEN[ch.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

// field-vchar / obs-text, SP and HTAB (RFC 9110 section 5.5); no CTLs, no DEL.
const FIELD = new Uint8Array(256);
for (let c = 0x20; c <= 0xff; c++) FIELD[c] = 1;
FIELD[0x7f] = 0;
FIELD[0x09] = 1;

// request-target: visible ASCII only; obs-text is tolerated, as most servers do.
const TARGET = new Uint8Array(256);
for (let c = 0x21; c <= 0xff; c++) TARGET[c] = 1;
TARGET[0x7f] = 0;

const CR = 13, LF = 10;
const CRLFCRLF = Buffer.from("\r\n\r\n");

/** Lower-case ASCII compare of head[a..b) with a lower-case name. */
function isName(s: string, a: number, b: number, lower: string): boolean {
  if (b - a !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((s.charCodeAt(a + i) | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Does the comma-separated list head[a..b) contain `token` (lower-case)? */
function listHas(s: string, a: number, b: number, token: string): boolean {
  let i = a;
  while (i < b) {
    while (i < b && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09 || s.charCodeAt(i) === 0x2c)) i++;
    let e = i;
    while (e < b && s.charCodeAt(e) !== 0x2c) e++;
    let t = e;
    while (t > i && (s.charCodeAt(t - 1) === 0x20 || s.charCodeAt(t - 1) === 0x09)) t--;
    if (isName(s, i, t, token)) return true;
    i = e + 1;
  }
  return false;
}

function parseDecimal(s: string, a: number, b: number): number {
  if (a >= b || b - a > 15) return -1;
  let n = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * Parses a message head at the start of `buf`. Returns the parsed head, 0 when more
 * bytes are needed, or an HttpParseError.
 */
export function parseHead(buf: Buffer, isResponse: boolean, maxHead: number, maxHeaders: number): ParsedHead | 0 | HttpParseError {
  // RFC 9112 section 2.2: ignore empty lines before the request line.
  let skip = 0;
  while (skip + 1 < buf.length && buf[skip] === CR && buf[skip + 1] === LF) skip += 2;
  if (skip > 0 && skip >= buf.length - 1) return 0;
  const end = buf.indexOf(CRLFCRLF, skip);
  if (end < 0) return incomplete(buf, skip, maxHead, isResponse);
  if (end - skip > maxHead) return new HttpParseError(431, `head larger than ${maxHead} bytes`);
  const head = buf.toString("latin1", skip, end);
  return parseHeadString(head, skip, end + 4, isResponse, maxHeaders);
}

function incomplete(buf: Buffer, skip: number, maxHead: number, isResponse: boolean): 0 | HttpParseError {
  // A bare LF can never complete a valid head: refuse it now instead of waiting.
  const lf = buf.indexOf(LF, skip);
  if (lf >= 0) {
    for (let i = lf; i >= 0 && i < buf.length; i = buf.indexOf(LF, i + 1)) {
      if (i === skip || buf[i - 1] !== CR) return new HttpParseError(400, "bare LF in head (CRLF required)");
    }
  }
  if (buf.length - skip > maxHead) {
    const firstLine = buf.indexOf("\r\n", skip, "latin1");
    if (!isResponse && firstLine < 0) return new HttpParseError(414, `request line longer than ${maxHead} bytes`);
    return new HttpParseError(431, `head larger than ${maxHead} bytes`);
  }
  return 0;
}

/** Parses a head given as a latin1 string (without the final blank line). */
export function parseHeadString(head: string, skip: number, headLen: number, isResponse: boolean, maxHeaders: number): ParsedHead | HttpParseError {
  let lineEnd = head.indexOf("\r\n");
  if (lineEnd < 0) lineEnd = head.length;
  let method: string, uri: string, query = "", proto: string, status = 0;
  let major = 1, minor = 1;

  if (!isResponse) {
    // request-line = method SP request-target SP HTTP-version
    let i = 0;
    while (i < lineEnd && TOKEN[head.charCodeAt(i)]) i++;
    if (i === 0 || head.charCodeAt(i) !== 0x20) return new HttpParseError(400, "malformed request line (method)");
    method = head.slice(0, i);
    const t0 = ++i;
    let q = -1;
    while (i < lineEnd && TARGET[head.charCodeAt(i)]) { if (q < 0 && head.charCodeAt(i) === 0x3f) q = i; i++; }
    if (i === t0 || head.charCodeAt(i) !== 0x20) return new HttpParseError(400, "malformed request line (target)");
    if (q >= 0) { uri = head.slice(t0, q); query = head.slice(q + 1, i); } else uri = head.slice(t0, i);
    proto = head.slice(i + 1, lineEnd);
    if (proto.length !== 8 || !proto.startsWith("HTTP/") || proto.charCodeAt(6) !== 0x2e) return new HttpParseError(400, "malformed request line (version)");
    major = proto.charCodeAt(5) - 0x30; minor = proto.charCodeAt(7) - 0x30;
    if (major !== 1 || minor < 0 || minor > 9) return new HttpParseError(505, `unsupported protocol ${proto}`);
  } else {
    // status-line = HTTP-version SP status-code SP [ reason-phrase ]
    if (lineEnd < 12 || !head.startsWith("HTTP/1.") || head.charCodeAt(8) !== 0x20) return new HttpParseError(400, "malformed status line");
    method = head.slice(0, 8);
    minor = head.charCodeAt(7) - 0x30;
    status = parseDecimal(head, 9, 12);
    if (status < 100 || status > 999 || (lineEnd > 12 && head.charCodeAt(12) !== 0x20)) return new HttpParseError(400, "malformed status code");
    uri = head.slice(9, 12);
    proto = lineEnd > 13 ? head.slice(13, lineEnd) : "";
    for (let k = 13; k < lineEnd; k++) if (!FIELD[head.charCodeAt(k)]) return new HttpParseError(400, "invalid character in reason phrase");
  }

  const hdr: number[] = [];
  let contentLength = -1, chunked = false, te = false, connClose = false, connKeep = false, connUpgrade = false;
  let upgradeHdr = false, expectContinue = false;
  let pos = lineEnd + 2;
  while (pos < head.length) {
    let e = head.indexOf("\r\n", pos);
    if (e < 0) e = head.length;
    const c0 = head.charCodeAt(pos);
    if (c0 === 0x20 || c0 === 0x09) return new HttpParseError(400, "obsolete line folding in header");
    let n = pos;
    while (n < e && TOKEN[head.charCodeAt(n)]) n++;
    if (n === pos || head.charCodeAt(n) !== 0x3a) {
      return new HttpParseError(400, n < e && head.charCodeAt(n) !== 0x3a ? "invalid character in header name" : "malformed header line");
    }
    let v = n + 1;
    while (v < e && (head.charCodeAt(v) === 0x20 || head.charCodeAt(v) === 0x09)) v++;
    let ve = e;
    while (ve > v && (head.charCodeAt(ve - 1) === 0x20 || head.charCodeAt(ve - 1) === 0x09)) ve--;
    for (let k = v; k < ve; k++) if (!FIELD[head.charCodeAt(k)]) return new HttpParseError(400, "invalid character in header value");
    if (hdr.length >= maxHeaders * 4) return new HttpParseError(431, `more than ${maxHeaders} headers`);
    hdr.push(pos, n, v, ve);
    // Headers that decide framing and connection handling.
    const nl = n - pos;
    if (nl === 14 && isName(head, pos, n, "content-length")) {
      // RFC 9112 section 6.3: a list of identical values is one value; anything else is an error.
      let cl = -1, k = v;
      while (k <= ve) {
        let ke = head.indexOf(",", k); if (ke < 0 || ke > ve) ke = ve;
        let a = k, b = ke;
        while (a < b && head.charCodeAt(a) === 0x20) a++;
        while (b > a && head.charCodeAt(b - 1) === 0x20) b--;
        const x = parseDecimal(head, a, b);
        if (x < 0) return new HttpParseError(400, "invalid Content-Length");
        if (cl >= 0 && x !== cl) return new HttpParseError(400, "conflicting Content-Length values");
        cl = x; k = ke + 1;
      }
      if (contentLength >= 0 && contentLength !== cl) return new HttpParseError(400, "conflicting Content-Length headers");
      contentLength = cl;
    } else if (nl === 17 && isName(head, pos, n, "transfer-encoding")) {
      te = true;
      // The final coding decides: "chunked" last means chunked framing (RFC 9112 section 6.3).
      let b = ve;
      while (b > v && (head.charCodeAt(b - 1) === 0x20 || head.charCodeAt(b - 1) === 0x2c)) b--;
      let a = b;
      while (a > v && head.charCodeAt(a - 1) !== 0x2c && head.charCodeAt(a - 1) !== 0x20) a--;
      chunked = isName(head, a, b, "chunked");
      if (!chunked && !isResponse) {
        return listHas(head, v, ve, "chunked")
          ? new HttpParseError(400, "Transfer-Encoding: chunked is not the final coding")
          : new HttpParseError(501, `unsupported Transfer-Encoding: ${head.slice(v, ve)}`);
      }
    } else if (nl === 10 && isName(head, pos, n, "connection")) {
      if (listHas(head, v, ve, "close")) connClose = true;
      if (listHas(head, v, ve, "keep-alive")) connKeep = true;
      if (listHas(head, v, ve, "upgrade")) connUpgrade = true;
    } else if (nl === 6 && isName(head, pos, n, "expect")) {
      if (isName(head, v, ve, "100-continue")) expectContinue = true;
    } else if (nl === 7 && isName(head, pos, n, "upgrade")) {
      upgradeHdr = true;
    }
    pos = e + 2;
  }

  if (te) {
    // RFC 9112 section 6.1: Transfer-Encoding with Content-Length is a smuggling shape.
    if (contentLength >= 0) {
      if (!isResponse) return new HttpParseError(400, "both Content-Length and Transfer-Encoding");
      contentLength = -1;
    }
    if (minor === 0 && !isResponse) return new HttpParseError(400, "Transfer-Encoding in an HTTP/1.0 request");
  }
  const keepAlive = minor >= 1 ? !connClose : connKeep && !connClose;
  return {
    headLen, skip, head, hdr, method, uri, query, proto, status, contentLength, chunked,
    keepAlive, expectContinue: expectContinue && minor >= 1, upgrade: connUpgrade && upgradeHdr,
  };
}
