// HTTP/1.x message head parser (RFC 9112). One pass over the bytes of the receive buffer
// walks the grammar of the start line and of every field line, and refuses at the first
// byte that makes the head invalid, so a bad head is answered without waiting for the
// blank line. A complete head is decoded once as latin1 and indexed by offsets. Framing
// rules that matter for request smuggling are enforced here (RFC 9112 sections 2.2, 3,
// 5, 6). The function is stateless: the layer calls it again on the longer buffer, and
// the verdict never depends on how the bytes arrived.
import { TOKEN, FIELD_VCHAR, isSpTab, lowerEquals } from "./grammar.js";

/** Why a head was refused: the status to answer with and a message for MG_EV_ERROR. */
export class HttpParseError {
  constructor(readonly status: number, readonly reason: string) {}
}

export interface ParsedHead {
  /** Bytes of the head including the final CRLFCRLF (and the skipped empty lines). */
  headLen: number;
  /** Leading empty lines skipped before the start line. */
  skip: number;
  /**
   * Responses: the head decoded as latin1, without the final CRLFCRLF. Requests leave it
   * undefined: their message decodes it only when a header is asked for.
   */
  head: string | undefined;
  hdr: number[];
  method: string;
  uri: string;
  query: string;
  proto: string;
  /** Response status, 0 for requests. */
  status: number;
  /** HTTP minor version (0 or 1; 1.2 and later are read as 1.1, RFC 9110 section 2.5). */
  minor: number;
  /** Body length from Content-Length; -1 when absent (always -1 for CONNECT). */
  contentLength: number;
  /** Transfer-Encoding ends with chunked (never for CONNECT). */
  chunked: boolean;
  /** HTTP/1.1 without "Connection: close", or HTTP/1.0 with "Connection: keep-alive". */
  keepAlive: boolean;
  /** "Connection: close" was sent. */
  connectionClose: boolean;
  expectContinue: boolean;
  /** Connection: upgrade with an Upgrade header. */
  upgrade: boolean;
  /** A CONNECT request (authority-form target): no byte after the head belongs to HTTP. */
  isConnect: boolean;
  /** Number of Host field lines (0 or 1; two are refused). */
  hostCount: number;
}

// The methods node:http (llhttp) knows in HTTP mode: RFC 9110, WebDAV (RFC 4918, 3253,
// 3648, 3744, 4791, 5323, 5842), PATCH (RFC 5789), QUERY, UPnP and the common cache and
// link extensions. A token outside this set gets 501 (RFC 9110 section 9.1); methods are
// case-sensitive, so "get" is an unknown method too.
export const KNOWN_METHODS: readonly string[] = [
  "ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LINK", "LOCK",
  "M-SEARCH", "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL", "MOVE", "NOTIFY", "OPTIONS",
  "PATCH", "POST", "PROPFIND", "PROPPATCH", "PURGE", "PUT", "QUERY", "REBIND", "REPORT",
  "SEARCH", "SOURCE", "SUBSCRIBE", "TRACE", "UNBIND", "UNLINK", "UNLOCK", "UNSUBSCRIBE",
];

// A trie over the known methods, 128 columns per node (methods are ASCII): the method is
// refused at the first byte no known method continues with, and the method string is
// the interned constant (no slice per request).
const TRIE_W = 128;
const trie: number[] = new Array<number>(TRIE_W).fill(0);
const trieName: (string | undefined)[] = [undefined];
for (const m of KNOWN_METHODS) {
  let node = 0;
  for (let k = 0; k < m.length; k++) {
    const at = node * TRIE_W + m.charCodeAt(k);
    if (trie[at] === 0) {
      trie[at] = trieName.length;
      trieName.push(undefined);
      for (let z = 0; z < TRIE_W; z++) trie.push(0);
    }
    node = trie[at]!;
  }
  trieName[node] = m;
}
const TRIE = Int16Array.from(trie);
const NODE_CONNECT = nodeOf("CONNECT"), NODE_OPTIONS = nodeOf("OPTIONS");
function nodeOf(m: string): number {
  let node = 0;
  for (let k = 0; k < m.length; k++) node = TRIE[node * TRIE_W + m.charCodeAt(k)]!;
  return node;
}

// request-target bytes: VCHAR (0x21-0x7E). Stricter than RFC 3986 only where it matters
// (no whitespace, CTL, DEL or obs-text); "|{}^`" that clients send unencoded pass, as in node.
const TARGET = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) TARGET[c] = 1;
// URI scheme (RFC 3986 section 3.1) after its first ALPHA.
const SCHEME = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) SCHEME[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) { SCHEME[c] = 1; SCHEME[c + 32] = 1; }
SCHEME[0x2b] = SCHEME[0x2d] = SCHEME[0x2e] = 1;
// reg-name (RFC 3986 section 3.2.2): unreserved / pct-encoded / sub-delims.
const REGNAME = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) REGNAME[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) { REGNAME[c] = 1; REGNAME[c + 32] = 1; }
for (const ch of "-._~%!$&'()*+,;=") REGNAME[ch.charCodeAt(0)] = 1;
// Inside an IP-literal's brackets: IPv6 (HEXDIG ":" "."), IPvFuture ("v" unreserved / sub-delims / ":").
const IPLIT = Uint8Array.from(REGNAME);
IPLIT[0x3a] = 1;

// Bytes of a field value (RFC 9110 section 5.5): field-vchar (VCHAR, obs-text), SP, HTAB.
const VALUE_BYTE = Uint8Array.from(FIELD_VCHAR);
VALUE_BYTE[0x20] = VALUE_BYTE[0x09] = 1;

const CR = 13, LF = 10, SP = 0x20, COLON = 0x3a, COMMA = 0x2c, SEMI = 0x3b, DQUOTE = 0x22;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number): boolean => ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);

// Header fields whose meaning the parser needs (decided at the colon).
const K_OTHER = 0, K_CL = 1, K_TE = 2, K_CONN = 3, K_HOST = 4, K_EXPECT = 5, K_UPGRADE = 6;
function nameKind(b: Buffer, a: number, e: number): number {
  switch (e - a) {
    case 4: return lowerEquals(b, a, "host") ? K_HOST : K_OTHER;
    case 6: return lowerEquals(b, a, "expect") ? K_EXPECT : K_OTHER;
    case 7: return lowerEquals(b, a, "upgrade") ? K_UPGRADE : K_OTHER;
    case 10: return lowerEquals(b, a, "connection") ? K_CONN : K_OTHER;
    case 14: return lowerEquals(b, a, "content-length") ? K_CL : K_OTHER;
    case 17: return lowerEquals(b, a, "transfer-encoding") ? K_TE : K_OTHER;
    default: return K_OTHER;
  }
}

const HTTP11 = "HTTP/1.1", HTTP10 = "HTTP/1.0";
const NO_FIELDS: number[] = [];
const bad = (reason: string): HttpParseError => new HttpParseError(400, reason);

/** Transfer-Encoding seen so far (the field lines combine into one list, RFC 9110 section 5.3). */
interface TeState { codings: number; chunked: boolean; }

/**
 * Parses a message head at the start of `buf`. Returns the parsed head, 0 when more
 * bytes are needed, or an HttpParseError (400, 414, 431, 501 or 505).
 */
export function parseHead(buf: Buffer, isResponse: boolean, maxHead: number, maxHeaders: number): ParsedHead | 0 | HttpParseError {
  const n = buf.length;
  // RFC 9112 section 2.2: empty lines (CRLF) before the start line are ignored.
  let skip = 0;
  while (skip < n && buf[skip] === CR) {
    if (skip + 1 >= n) return 0;
    if (buf[skip + 1] !== LF) return bad("bare CR before the start line");
    skip += 2;
    if (skip > maxHead) return new HttpParseError(431, `more than ${maxHead} bytes of empty lines`);
  }
  // Bytes past `lim` are never looked at: a head that needs them is too large. Deciding
  // by position keeps the verdict the same whatever the bytes after the limit are.
  const lim = Math.min(n, skip + maxHead + 4);
  const full = lim < n || n - skip >= maxHead + 4;
  let i = skip;
  let c = 0;
  let method = "", tStart = 0, tQuery = -1, tEnd = 0, status = 0, major = 0, minor = 0;
  let isConnect = false;

  if (!isResponse) {
    // request-line = method SP request-target SP HTTP-version (RFC 9112 section 3).
    // node -1: the token is no known method. The verdict waits for the end of the request
    // line: a line that is not a request line at all ("GARBAGE" CRLF, "hello world" CRLF)
    // is a 400, and only a well-formed request line with an unknown method is a 501.
    let node = 0;
    for (;;) {
      if (i >= lim) return more(full, true, maxHead);
      c = buf[i]!;
      if (c === SP) break;
      // method = token (RFC 9110 section 9.1), case-sensitive.
      if (!TOKEN[c]) return bad(c === CR || c === LF ? "request line without a request target" : "invalid character in method");
      if (node >= 0) { node = TRIE[node * TRIE_W + c]!; if (node === 0) node = -1; }
      i++;
    }
    if (i === skip) return bad("request line starts with a space");
    if (node > 0 && trieName[node] === undefined) node = -1; // (a prefix of a known method)
    if (node > 0) method = trieName[node]!;
    isConnect = node === NODE_CONNECT;
    // request-target (RFC 9112 section 3.2); a second SP is not a target byte (single SP).
    tStart = ++i;
    if (i >= lim) return more(full, true, maxHead);
    c = buf[i]!;
    if (isConnect) {
      // authority-form = uri-host ":" port, CONNECT only (RFC 9112 section 3.2.3, RFC 9110 section 9.3.6).
      if (c === 0x5b) {
        for (i++; ; i++) {
          if (i >= lim) return more(full, true, maxHead);
          c = buf[i]!;
          if (c === 0x5d) break;
          if (!IPLIT[c]) return bad("invalid CONNECT target (IP literal)");
        }
        if (i === tStart + 1) return bad("invalid CONNECT target (empty IP literal)");
        i++;
      } else {
        for (; ; i++) {
          if (i >= lim) return more(full, true, maxHead);
          c = buf[i]!;
          if (!REGNAME[c]) break;
        }
        if (i === tStart) return bad("CONNECT needs an authority-form target (host:port)");
      }
      if (i >= lim) return more(full, true, maxHead);
      if (buf[i] !== COLON) return bad("CONNECT target needs host:port");
      const p0 = ++i;
      for (; ; i++) {
        if (i >= lim) return more(full, true, maxHead);
        c = buf[i]!;
        if (!isDigit(c)) break;
      }
      if (i === p0 || c !== SP) return bad("invalid port in CONNECT target");
    } else if (c === 0x2f) {
      // origin-form = absolute-path [ "?" query ] (section 3.2.1).
      for (i++; ; i++) {
        if (i >= lim) return more(full, true, maxHead);
        c = buf[i]!;
        if (!TARGET[c]) break;
        if (c === 0x3f && tQuery < 0) tQuery = i;
      }
    } else if (c === 0x2a) {
      // asterisk-form = "*", OPTIONS only (section 3.2.4).
      // (An unknown method may be one that takes it: its line is judged as a whole, below.)
      if (node !== NODE_OPTIONS && node >= 0) return bad("asterisk-form target is only for OPTIONS");
      i++;
      if (i >= lim) return more(full, true, maxHead);
      c = buf[i]!;
    } else if (isAlpha(c)) {
      // absolute-form = absolute-URI (section 3.2.2): scheme "://" authority path [ "?" query ].
      for (i++; ; i++) {
        if (i >= lim) return more(full, true, maxHead);
        c = buf[i]!;
        if (!SCHEME[c]) break;
      }
      for (let k = 0; k < 3; k++, i++) {
        if (i >= lim) return more(full, true, maxHead);
        if (buf[i] !== (k === 0 ? COLON : 0x2f)) return bad("invalid request target");
      }
      if (i >= lim) return more(full, true, maxHead);
      c = buf[i]!;
      if (c === 0x2f || c === 0x3f || c === 0x23 || c === 0x40 || !TARGET[c]) return bad("absolute-form target without a host");
      for (; ; i++) {
        if (i >= lim) return more(full, true, maxHead);
        c = buf[i]!;
        if (!TARGET[c]) break;
        if (c === 0x3f && tQuery < 0) tQuery = i;
      }
    } else {
      return bad("invalid request target");
    }
    if (c !== SP) return bad(c === CR || c === LF ? "request line without an HTTP version" : "invalid character in request target");
    tEnd = i++;
    // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 section 2.3), then CRLF.
    const v = version(buf, i, lim);
    if (v < 0) return v === -1 ? more(full, true, maxHead) : bad("malformed HTTP version");
    major = v >> 4; minor = v & 15;
    i += 8;
    if (i >= lim) return more(full, true, maxHead);
    if (buf[i] !== CR) return bad(buf[i] === LF ? "bare LF in head (CRLF required)" : "malformed HTTP version");
    // RFC 9110 section 6.2: a well-formed version we do not implement gets 505.
    if (major !== 1) return new HttpParseError(505, `unsupported protocol HTTP/${major}.${minor}`);
    // RFC 9110 section 9.1: a well-formed request line with a method we do not know.
    if (node < 0) return new HttpParseError(501, "method not implemented");
  } else {
    // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 section 4).
    const v = version(buf, i, lim);
    if (v < 0) return v === -1 ? more(full, false, maxHead) : bad("malformed status line (version)");
    major = v >> 4; minor = v & 15;
    i += 8;
    for (let k = 0; k < 4; k++, i++) {
      if (i >= lim) return more(full, false, maxHead);
      c = buf[i]!;
      if (k === 0 ? c !== SP : !isDigit(c)) return bad("malformed status line (status code)");
      if (k > 0) status = status * 10 + c - 0x30;
    }
    // RFC 9110 section 15: valid status codes are 100 to 599.
    if (status < 100 || status > 599) return bad("malformed status code (not 100 to 599)");
    if (major !== 1) return new HttpParseError(505, `unsupported protocol HTTP/${major}.${minor}`);
    if (i >= lim) return more(full, false, maxHead);
    c = buf[i]!;
    if (c !== SP && c !== CR) return bad("malformed status code");
    // Tolerated: no SP when the reason phrase is empty ("HTTP/1.1 200" CRLF), as many servers send.
    if (c === SP) {
      tStart = ++i;
      for (; ; i++) {
        if (i >= lim) return more(full, false, maxHead);
        c = buf[i]!;
        // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
        if (!FIELD_VCHAR[c] && !isSpTab(c)) break;
      }
    } else {
      tStart = i;
    }
    if (c !== CR) return bad(c === LF ? "bare LF in head (CRLF required)" : "invalid character in reason phrase");
    tEnd = i;
  }
  const lineEnd = i; // the CR ending the start line
  if (minor > 1) minor = 1;

  // field lines (RFC 9112 section 5): field-name ":" OWS field-value OWS CRLF.
  // The first field line makes the array with its 4 offsets (no growth for a head with
  // one field); a head without any shares NO_FIELDS (nobody writes to it).
  let hdr: number[] = NO_FIELDS;
  let contentLength = -1, hostCount = 0;
  let connClose = false, connKeep = false, connUpgrade = false, upgradeHdr = false, expectContinue = false;
  let te: TeState | undefined;
  for (;;) {
    // i is at a CR that must be followed by LF.
    if (i + 1 >= lim) return more(full, i === lineEnd && !isResponse, maxHead);
    if (buf[i + 1] !== LF) return bad("bare CR in head");
    i += 2;
    if (i >= lim) return more(full, false, maxHead);
    c = buf[i]!;
    if (c === CR) break; // the empty line ending the head
    // RFC 9112 sections 2.2 and 5.2: whitespace before the first field, or obs-fold.
    if (isSpTab(c)) return bad(hdr.length === 0 ? "whitespace before the first header" : "obsolete line folding in header");
    const ns = i;
    while (TOKEN[c]) {
      if (++i >= lim) return more(full, false, maxHead);
      c = buf[i]!;
    }
    if (c !== COLON) {
      if (i === ns) return bad(c === LF ? "bare LF in head (CRLF required)" : "invalid character in header name");
      // RFC 9112 section 5.1: no whitespace between the field name and the colon.
      return bad(isSpTab(c) ? "invalid character in header name (whitespace before the colon)" : "invalid character in header name");
    }
    if (i === ns) return bad("empty header name");
    const ne = i;
    if (hdr.length >= maxHeaders * 4) return new HttpParseError(431, `more than ${maxHeaders} headers`);
    const kind = nameKind(buf, ns, ne);
    if (kind === K_CL) {
      // RFC 9110 section 8.6 lets a recipient refuse repeated Content-Length; node does.
      if (contentLength >= 0) return bad("conflicting Content-Length: more than one");
      if (te !== undefined) return bad("both Content-Length and Transfer-Encoding");
    } else if (kind === K_TE) {
      // RFC 9112 section 6.1: TE with CL is a smuggling shape.
      if (contentLength >= 0) return bad("both Content-Length and Transfer-Encoding");
    } else if (kind === K_HOST && !isResponse) {
      // RFC 9112 section 3.2: more than one Host field line is a 400.
      if (++hostCount > 1) return bad("more than one Host header");
    }
    // OWS, then field-value = *field-content (field-vchar, SP/HTAB inside, obs-text).
    i++;
    while (i < lim && isSpTab(buf[i]!)) i++;
    const vs = i;
    let ve = i;
    if (kind === K_CL) {
      // Content-Length = 1*DIGIT (RFC 9110 section 8.6); leading zeros do not count.
      let val = 0, digits = 0, ows = false;
      for (; ; i++) {
        if (i >= lim) return more(full, false, maxHead);
        c = buf[i]!;
        if (isDigit(c)) {
          if (ows) return bad("invalid Content-Length");
          val = val * 10 + (c - 0x30);
          if (val > Number.MAX_SAFE_INTEGER) return bad("Content-Length overflows");
          digits++;
          ve = i + 1;
        } else if (isSpTab(c)) {
          ows = true;
        } else break;
      }
      if (c !== CR) return bad(c === LF ? "bare LF in head (CRLF required)" : "invalid Content-Length");
      if (digits === 0) return bad("empty Content-Length");
      contentLength = val;
    } else {
      // One table test per byte; the trailing OWS is taken off afterwards.
      for (; ; i++) {
        if (i >= lim) return more(full, false, maxHead);
        c = buf[i]!;
        if (!VALUE_BYTE[c]) break;
      }
      if (c !== CR) return bad(c === LF ? "bare LF in head (CRLF required)" : "invalid character in header value");
      ve = i;
      while (ve > vs && isSpTab(buf[ve - 1]!)) ve--;
      switch (kind) {
        case K_TE: {
          te ??= { codings: 0, chunked: false };
          const r = transferCodings(buf, vs, ve, te);
          if (r !== undefined) return r;
          break;
        }
        case K_HOST:
          if (!isResponse && !validHost(buf, vs, ve)) return bad("invalid Host header");
          break;
        case K_CONN:
          for (let a = vs; a < ve;) {
            let e = a;
            while (e < ve && buf[e] !== COMMA) e++;
            let s = a, t = e;
            while (s < t && isSpTab(buf[s]!)) s++;
            while (t > s && isSpTab(buf[t - 1]!)) t--;
            const len = t - s;
            if (len === 5 && lowerEquals(buf, s, "close")) connClose = true;
            else if (len === 10 && lowerEquals(buf, s, "keep-alive")) connKeep = true;
            else if (len === 7 && lowerEquals(buf, s, "upgrade")) connUpgrade = true;
            a = e + 1;
          }
          break;
        case K_EXPECT:
          if (ve - vs === 12 && lowerEquals(buf, vs, "100-continue")) expectContinue = true;
          break;
        case K_UPGRADE:
          upgradeHdr = true;
          break;
      }
    }
    if (hdr === NO_FIELDS) hdr = [ns - skip, ne - skip, vs - skip, ve - skip];
    else hdr.push(ns - skip, ne - skip, vs - skip, ve - skip);
  }
  // buf[i] is the CR of the final CRLF.
  if (i + 1 >= lim) return more(full, false, maxHead);
  if (buf[i + 1] !== LF) return bad("bare CR in head");
  const headEnd = i;
  if (lineEnd - skip > maxHead && !isResponse) return new HttpParseError(414, `request line longer than ${maxHead} bytes`);
  if (headEnd - skip > maxHead) return new HttpParseError(431, `head larger than ${maxHead} bytes`);

  let chunked = false;
  if (te !== undefined) {
    if (!isResponse) {
      // RFC 9112 section 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
      if (minor === 0) return bad("Transfer-Encoding in an HTTP/1.0 request");
      // Section 6.3: a request whose final coding is not chunked has no reliable length;
      // codings we do not implement without chunked get 501 (section 6.1).
      if (!te.chunked) return te.codings > 0 ? new HttpParseError(501, "unsupported Transfer-Encoding") : bad("empty Transfer-Encoding");
    }
    // A response whose final coding is not chunked is read until the connection closes.
    chunked = te.chunked;
  }
  if (!isResponse && minor === 1 && hostCount === 0) return bad("HTTP/1.1 request without Host"); // RFC 9112 section 3.2
  if (isConnect) { contentLength = -1; chunked = false; } // RFC 9110 section 9.3.6: no content

  let head: string | undefined;
  let uri: string, query = "", proto: string;
  if (!isResponse) {
    // No string of the whole head: the target's from a cache of recent ones (see
    // internLatin1), the rest decoded by the message when asked for.
    const q = tQuery < 0 ? tEnd : tQuery;
    uri = internLatin1(buf, tStart, q);
    if (tQuery >= 0) query = internLatin1(buf, tQuery + 1, tEnd);
    // The version was checked above (HTTP/1.x); the two common ones are constants.
    const minorDigit = buf[lineEnd - 1];
    proto = minorDigit === 0x31 ? HTTP11 : minorDigit === 0x30 ? HTTP10 : buf.toString("latin1", tEnd + 1, lineEnd);
  } else {
    head = buf.toString("latin1", skip, headEnd - 2); // without the final CRLFCRLF
    method = head.slice(0, 8);
    uri = head.slice(9, 12);
    proto = tEnd > tStart ? head.slice(tStart - skip, tEnd - skip) : "";
  }
  const keepAlive = minor >= 1 ? !connClose : connKeep && !connClose;
  return {
    headLen: headEnd + 2, skip, head, hdr, method, uri, query, proto, status, minor, contentLength, chunked,
    keepAlive, connectionClose: connClose, expectContinue: expectContinue && minor >= 1,
    upgrade: connUpgrade && upgradeHdr, isConnect, hostCount,
  };
}

// Request targets seen lately, by a hash of their bytes: a server asked for the same
// paths again and again gets the same string back instead of decoding a new one (a
// native call and an allocation per request). Short targets only; a collision replaces.
const INTERN_SLOTS = 256, INTERN_MAX = 96;
const internCache: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS).fill(undefined);
const ONE_CHAR: string[] = Array.from({ length: 256 }, (_, c) => String.fromCharCode(c));

/** buf[a..b) decoded as latin1, from the cache of recent targets when it is there. */
function internLatin1(buf: Buffer, a: number, b: number): string {
  const n = b - a;
  if (n === 1) return ONE_CHAR[buf[a]!]!;
  if (n === 0) return "";
  if (n > INTERN_MAX) return buf.toString("latin1", a, b);
  let h = n;
  for (let k = a; k < b; k++) h = (Math.imul(h, 31) + buf[k]!) | 0;
  const slot = (h ^ (h >>> 8)) & (INTERN_SLOTS - 1);
  const s = internCache[slot];
  if (s !== undefined && s.length === n) {
    let k = 0;
    while (k < n && s.charCodeAt(k) === buf[a + k]) k++;
    if (k === n) return s;
  }
  const t = buf.toString("latin1", a, b);
  internCache[slot] = t;
  return t;
}

/** What HttpMessage takes as the head: its text when the parser made it, else its length in bytes. */
export function headOf(h: ParsedHead): string | number { return h.head ?? h.headLen - h.skip - 4; }

/** Ran out of bytes: need more, or (at the size limit) 414 in the request line / 431. */
function more(full: boolean, inRequestLine: boolean, maxHead: number): 0 | HttpParseError {
  if (!full) return 0;
  return inRequestLine
    ? new HttpParseError(414, `request line longer than ${maxHead} bytes`)
    : new HttpParseError(431, `head larger than ${maxHead} bytes`);
}

/**
 * HTTP-version at buf[i]: (major << 4 | minor), -1 when more bytes are needed, -2 when
 * malformed. Refuses at the first wrong byte ("HTTP" is case-sensitive, section 2.3).
 */
function version(buf: Buffer, i: number, lim: number): number {
  // The whole version there and right (the usual case): one test of its 8 bytes.
  if (i + 8 <= lim && buf[i] === 0x48 && buf[i + 1] === 0x54 && buf[i + 2] === 0x54 && buf[i + 3] === 0x50 &&
      buf[i + 4] === 0x2f && buf[i + 6] === 0x2e && isDigit(buf[i + 5]!) && isDigit(buf[i + 7]!)) {
    return ((buf[i + 5]! - 0x30) << 4) | (buf[i + 7]! - 0x30);
  }
  // Otherwise byte by byte, to tell "more bytes needed" from the first wrong byte.
  for (let k = 0; k < 8; k++) {
    if (i + k >= lim) return -1;
    const c = buf[i + k]!;
    if (k < 5 ? c !== "HTTP/".charCodeAt(k) : k === 6 ? c !== 0x2e : !isDigit(c)) return -2;
  }
  return ((buf[i + 5]! - 0x30) << 4) | (buf[i + 7]! - 0x30);
}

/**
 * One Transfer-Encoding field value: #transfer-coding, transfer-coding = token *( OWS ";"
 * OWS transfer-parameter ) (RFC 9112 section 7, RFC 9110 section 10.1.4). Empty list
 * members before the codings are ignored (RFC 9110 section 5.6.1); chunked must be the
 * final coding and appear once (RFC 9112 section 6.1), so anything after it, even an
 * empty member ("chunked,"), is refused, as node does.
 */
function transferCodings(b: Buffer, a: number, e: number, te: TeState): HttpParseError | undefined {
  let i = a;
  for (;;) {
    while (i < e && isSpTab(b[i]!)) i++;
    const s = i;
    while (i < e && TOKEN[b[i]!]) i++;
    const t = i;
    while (i < e && isSpTab(b[i]!)) i++;
    let params = false;
    while (i < e && b[i] === SEMI) {
      // transfer-parameter = token BWS "=" BWS ( token / quoted-string )
      params = true;
      i++;
      while (i < e && isSpTab(b[i]!)) i++;
      const p = i;
      while (i < e && TOKEN[b[i]!]) i++;
      if (i === p || t === s) return bad("invalid Transfer-Encoding parameter");
      while (i < e && isSpTab(b[i]!)) i++;
      if (i >= e || b[i] !== 0x3d) return bad("invalid Transfer-Encoding parameter");
      i++;
      while (i < e && isSpTab(b[i]!)) i++;
      const j = skipValue(b, i, e);
      if (j < 0) return bad("invalid Transfer-Encoding parameter");
      i = j;
      while (i < e && isSpTab(b[i]!)) i++;
    }
    if (i < e && b[i] !== COMMA) return bad("invalid Transfer-Encoding");
    if (t > s) {
      if (te.chunked) return bad("Transfer-Encoding: chunked is not the final coding");
      const isChunked = t - s === 7 && lowerEquals(b, s, "chunked");
      if (isChunked && params) return bad("Transfer-Encoding: chunked takes no parameters");
      te.chunked = isChunked;
      te.codings++;
    } else if (te.chunked) {
      return bad("Transfer-Encoding: chunked is not the final coding");
    }
    if (i >= e) return undefined;
    i++; // the comma
  }
}

/** token / quoted-string at b[i..e): the offset after it, or -1. */
export function skipValue(b: Buffer, i: number, e: number): number {
  if (i < e && b[i] === DQUOTE) {
    for (i++; i < e; i++) {
      const c = b[i]!;
      if (c === DQUOTE) return i + 1;
      if (c === 0x5c) { i++; if (i >= e || !(FIELD_VCHAR[b[i]!] || isSpTab(b[i]!))) return -1; }
      else if (!(FIELD_VCHAR[c] || isSpTab(c))) return -1;
    }
    return -1;
  }
  const s = i;
  while (i < e && TOKEN[b[i]!]) i++;
  return i > s ? i : -1;
}

/** Host = uri-host [ ":" port ] (RFC 9110 section 7.2); an empty value is allowed. */
function validHost(b: Buffer, a: number, e: number): boolean {
  let i = a;
  if (i < e && b[i] === 0x5b) {
    for (i++; i < e && b[i] !== 0x5d; i++) if (!IPLIT[b[i]!]) return false;
    if (i >= e || i === a + 1) return false;
    i++;
  } else {
    while (i < e && REGNAME[b[i]!]) i++;
  }
  if (i < e && b[i] === COLON) for (i++; i < e && isDigit(b[i]!); i++);
  return i === e;
}
