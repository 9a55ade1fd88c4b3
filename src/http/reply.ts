// HTTP responses: reply(), replyJson(), chunked streams and Server-Sent Events.
import type { CoreConnection as Connection } from "../core/connection.js";
import { answerEarly, httpLayerOf, responseDone, STREAM_CHUNKED, STREAM_EVENTS, STREAM_RAW, type HttpLayer } from "./layer.js";
import { statusText } from "./status.js";
import { MG_EV_READ } from "../core/events.js";
import { MgError, argError, typeError } from "../util/errors.js";

/** Headers as an object, a list of pairs, or header lines ("Name: value\r\n..."). */
export type HeadersInit =
  | Readonly<Record<string, string | number | readonly string[]>>
  | readonly (readonly [string, string])[]
  | string;

const STATUS_LINES = new Map<number, string>();
function statusLine(status: number): string {
  let s = STATUS_LINES.get(status);
  if (s === undefined) {
    s = `HTTP/1.1 ${status} ${statusText(status)}\r\n`;
    if (STATUS_LINES.size < 256) STATUS_LINES.set(status, s);
  }
  return s;
}

// The head of a plain answer up to its Content-Length value, per status and Connection
// header (none, close, keep-alive): "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ".
const CONN_NONE = 0, CONN_CLOSE = 1, CONN_KEEP = 2;
const CONN_LINES = ["", "Connection: close\r\n", "Connection: keep-alive\r\n"];
const PLAIN_PREFIXES = new Map<number, string>();
function plainPrefix(status: number, conn: number): string {
  const key = status * 4 + conn;
  let s = PLAIN_PREFIXES.get(key);
  if (s === undefined) {
    s = statusLine(status) + CONN_LINES[conn]! + "Content-Type: text/plain\r\nContent-Length: ";
    if (PLAIN_PREFIXES.size < 256) PLAIN_PREFIXES.set(key, s);
  }
  return s;
}

// The last plain answer sent (see httpReply's fast path): status, Connection kind, body,
// the whole answer as text, and as bytes once it repeats.
const PLAIN_CACHE_MAX = 4096;
const lastPlain: { status: number; conn: number; body: string | undefined; text: string; bytes: Buffer | undefined } = {
  status: 0, conn: 0, body: undefined, text: "", bytes: undefined,
};

/** What the response headers say about framing; filled while formatting them. */
export interface HeaderFacts {
  contentType: boolean;
  contentLength: boolean;
  chunked: boolean;
  eventStream: boolean;
  connection: boolean;
}

function checkHeaderPart(s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 13 || c === 10 || c === 0) throw new MgError("ERR_INVALID_ARG", `HTTP ${what} must not contain CR, LF or NUL: ${JSON.stringify(s)}`);
  }
}

function noteHeader(name: string, value: string, f: HeaderFacts): void {
  switch (name.length) {
    case 12: if (name.toLowerCase() === "content-type") { f.contentType = true; if (value.toLowerCase().startsWith("text/event-stream")) f.eventStream = true; } break;
    case 14: if (name.toLowerCase() === "content-length") f.contentLength = true; break;
    case 17: if (name.toLowerCase() === "transfer-encoding" && value.toLowerCase().includes("chunked")) f.chunked = true; break;
    case 10: if (name.toLowerCase() === "connection") f.connection = true; break;
  }
}

/**
 * Formats headers as "Name: value\r\n" lines, validating them (no CR/LF: no response
 * splitting) and noting the ones that affect framing in `f`.
 */
export function formatHeaders(h: HeadersInit | undefined, f: HeaderFacts): string {
  if (h === undefined || h === null) return "";
  let out = "";
  if (typeof h === "string") {
    // Header lines, as Mongoose takes them; each line is checked and re-terminated.
    for (const raw of h.split(/\r?\n/)) {
      const line = raw.trim();
      if (line === "") continue;
      const colon = line.indexOf(":");
      if (colon <= 0) throw new MgError("ERR_INVALID_ARG", `bad header line ${JSON.stringify(line)}: expected "Name: value"`);
      const name = line.slice(0, colon).trim(), value = line.slice(colon + 1).trim();
      checkHeaderName(name);
      noteHeader(name, value, f);
      out += `${name}: ${value}\r\n`;
    }
    return out;
  }
  if (Array.isArray(h)) {
    for (const [name, value] of h as readonly (readonly [string, string])[]) out += oneHeader(name, String(value), f);
    return out;
  }
  const rec = h as Readonly<Record<string, string | number | readonly string[]>>;
  for (const name in rec) {
    const v = rec[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v as readonly string[]) out += oneHeader(name, String(x), f);
    else out += oneHeader(name, typeof v === "string" ? v : String(v), f);
  }
  return out;
}

function oneHeader(name: string, value: string, f: HeaderFacts): string {
  checkHeaderName(name);
  checkHeaderPart(value, "header value");
  noteHeader(name, value, f);
  return name + ": " + value + "\r\n";
}

function checkHeaderName(name: string): void {
  if (name.length === 0) throw new MgError("ERR_INVALID_ARG", "HTTP header name must not be empty");
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x3a) throw new MgError("ERR_INVALID_ARG", `invalid HTTP header name ${JSON.stringify(name)}`);
  }
}

// Reused by every reply (formatting is synchronous): no allocation per response.
const FACTS: HeaderFacts = { contentType: false, contentLength: false, chunked: false, eventStream: false, connection: false };
function newFacts(): HeaderFacts {
  FACTS.contentType = FACTS.contentLength = FACTS.chunked = FACTS.eventStream = FACTS.connection = false;
  return FACTS;
}

/**
 * Sends a complete response, or the head of a stream when the headers ask for
 * `Transfer-Encoding: chunked` or `Content-Type: text/event-stream`.
 */
export function httpReply(c: Connection, status: number, body: string | Uint8Array = "", headers?: HeadersInit): void {
  if (!Number.isInteger(status) || status < 100 || status > 999) throw argError(`reply: status must be an integer 100..999, got ${status}`);
  if (typeof body !== "string" && !(body instanceof Uint8Array)) throw typeError("reply: body must be a string or Uint8Array");
  if (!c.canSend) throw c.closedError("reply");
  const st = httpLayerOf(c);
  if (st !== undefined && st.isServer) {
    // On MG_EV_HTTP_HDRS: the answer comes before the body (a refusal, say 413).
    if (st.inHdrs && !st.busy && st.cur !== undefined) answerEarly(c, st);
    // One response per request (RFC 9112 §9.3): a second one would desynchronise a keep-alive client.
    if (!st.busy || st.responded) {
      throw new MgError("ERR_HTTP_STATE", st.responded
        ? `reply: the request on connection ${c.id} has been answered already`
        : `reply: connection ${c.id} has no request waiting for an answer`);
    }
  }
  if (headers === undefined && typeof body === "string" && st !== undefined && st.isServer && !st.connectRequest && status >= 200 && status !== 204 && status !== 304) {
    // The common answer (a string body, no headers of the caller's): the head comes from
    // a per-status cache and the response is one string, one Buffer, one send. The bytes
    // are exactly those the general path below writes.
    const conn = !st.reqKeepAlive ? CONN_CLOSE : st.reqHttp10 ? CONN_KEEP : CONN_NONE;
    if (st.reqMethod !== "HEAD" && body === lastPlain.body && status === lastPlain.status && conn === lastPlain.conn) {
      // The same answer as the last one (a health check, a fixed page): its bytes once
      // more. The Buffer is shared and never written to (onDrain replaces it, it does not
      // edit it); a socket writes it without encoding anything.
      const bytes = lastPlain.bytes ??= Buffer.from(lastPlain.text, "utf8");
      sendHead(c, st, bytes, conn !== CONN_NONE, bytes.length);
      responseDone(c, st);
      return;
    }
    const pre = plainPrefix(status, conn);
    const n = Buffer.byteLength(body);
    const head = pre + n + "\r\n\r\n"; // ASCII: as many bytes as characters
    if (st.reqMethod === "HEAD") sendHead(c, st, head, conn !== CONN_NONE, head.length);
    else {
      const text = head + body;
      sendHead(c, st, text, conn !== CONN_NONE, head.length + n);
      // Remembered (small answers only: comparing a body is cheap then); its Buffer is
      // made when the same answer comes a second time.
      if (n <= PLAIN_CACHE_MAX) { lastPlain.body = body; lastPlain.status = status; lastPlain.conn = conn; lastPlain.text = text; lastPlain.bytes = undefined; }
    }
    responseDone(c, st);
    return;
  }
  const f = newFacts();
  let head = statusLine(status) + formatHeaders(headers, f);
  const answering = st !== undefined && st.isServer && st.busy;
  const noBody = status < 200 || status === 204 || status === 304;
  const isHead = answering && st.reqMethod === "HEAD";
  let addedConnection = false;
  if (answering && !f.connection) {
    if (!st.reqKeepAlive) { head += "Connection: close\r\n"; addedConnection = true; }
    else if (st.reqHttp10) { head += "Connection: keep-alive\r\n"; addedConnection = true; }
  }
  if (answering) {
    if (st.connectRequest && status >= 200 && status < 300) {
      // RFC 9110 §9.3.6: a 2xx answer to CONNECT makes the connection a tunnel: the HTTP
      // layer steps aside, and what follows arrives as raw MG_EV_READ bytes.
      sendHead(c, st, head + "\r\n", true);
      st.tunnel = true;
      responseDone(c, st);
      c.setLayer(undefined);
      // Answered later than the request: tunnel bytes that already arrived go to the handler now.
      if (!st.inCall && !st.inHdrs && c.recvLen > 0) c.call(MG_EV_READ, c.recvLen);
      return;
    }
  }
  const hasConnection = f.connection || addedConnection;

  if (noBody) {
    // 1xx, 204 and 304 have no body (RFC 9110 §15.2, §15.3.5, §15.4.5), so no stream
    // either: the response is complete now. No Transfer-Encoding in them (RFC 9112 §6.1),
    // and no Content-Length in 1xx and 204 (RFC 9110 §8.6; a 304 may give the length of
    // the representation it stands for).
    if (f.chunked) head = dropHeader(head, "transfer-encoding");
    if (f.contentLength && status !== 304) head = dropHeader(head, "content-length");
    sendHead(c, st, head + "\r\n", hasConnection);
    responseDone(c, st);
    return;
  }
  if (f.chunked || f.eventStream) {
    // A stream: no Content-Length; the body (if any) is the first chunk / event text.
    if (!f.contentType && !f.eventStream) head += "Content-Type: text/plain\r\n";
    let stream = f.chunked ? STREAM_CHUNKED : STREAM_EVENTS;
    if (f.chunked && answering && st.reqHttp10) {
      // HTTP/1.0 has no chunked coding (RFC 9112 section 6.1): send the data as it is
      // and mark the end by closing.
      head = dropHeader(head, "transfer-encoding");
      if (!/\r\nConnection:/i.test(head)) head += "Connection: close\r\n";
      st.reqKeepAlive = false;
      stream = STREAM_RAW;
    }
    sendHead(c, st, head + "\r\n", hasConnection || /\r\nConnection:/i.test(head));
    if (st !== undefined) {
      st.streaming = stream;
      // A stream answering HEAD keeps its state rules (the last chunk ends it) but
      // sends no body (RFC 9110 §9.3.2).
      st.noBodyOut = isHead;
    }
    const n = typeof body === "string" ? Buffer.byteLength(body) : body.length;
    if (n > 0) {
      if (stream === STREAM_CHUNKED) httpChunk(c, body); else if (!isHead) c.send(body);
    }
    return;
  }
  if (!f.contentType) head += "Content-Type: text/plain\r\n";
  if (typeof body === "string") {
    const n = Buffer.byteLength(body);
    if (!f.contentLength) head += "Content-Length: " + n + "\r\n";
    sendHead(c, st, isHead ? head + "\r\n" : head + "\r\n" + body, hasConnection);
  } else {
    if (!f.contentLength) head += "Content-Length: " + body.length + "\r\n";
    sendHead(c, st, head + "\r\n", hasConnection);
    if (!isHead && body.length > 0) c.send(body);
  }
  responseDone(c, st);
}

/** Sends `value` as JSON (Content-Type: application/json). */
export function httpReplyJson(c: Connection, value: unknown, status = 200, headers?: HeadersInit): void {
  const body = JSON.stringify(value);
  if (body === undefined) throw argError("replyJson: value cannot be represented as JSON");
  // The caller's Content-Type (any case) wins over application/json.
  const hasType = headers !== undefined && (typeof headers === "string" ? /(^|\n)\s*content-type\s*:/i.test(headers)
    : Array.isArray(headers) ? (headers as readonly (readonly [string, string])[]).some(([n]) => n.toLowerCase() === "content-type")
    : Object.keys(headers).some((n) => n.toLowerCase() === "content-type"));
  const h: HeadersInit = headers === undefined ? JSON_HEADERS
    : hasType ? headers
    : typeof headers === "string" ? `Content-Type: application/json\r\n${headers}`
    : Array.isArray(headers) ? [["Content-Type", "application/json"], ...(headers as readonly (readonly [string, string])[])]
    : { "Content-Type": "application/json", ...(headers as Record<string, string>) };
  httpReply(c, status, body, h);
}
const JSON_HEADERS = { "Content-Type": "application/json" } as const;


/** `head` without its header lines called `lower` (lower case; every line follows a CRLF). */
function dropHeader(head: string, lower: string): string {
  let out = "";
  let i = 0;
  for (;;) {
    const e = head.indexOf("\r\n", i);
    if (e < 0) return out + head.slice(i);
    const line = head.slice(i, e + 2);
    const colon = line.indexOf(":");
    if (i === 0 || colon < 0 || line.slice(0, colon).toLowerCase() !== lower) out += line;
    i = e + 2;
  }
}

/**
 * Queues a response head (and maybe its body) and remembers it, so that a drain()
 * called before it is written can still add "Connection: close" to it.
 */
function sendHead(c: Connection, st: HttpLayer | undefined, text: string | Buffer, hasConnection: boolean, bytes = -1): void {
  if (st !== undefined && st.isServer) {
    // Queued as a string: the socket encodes it while writing, no Buffer per answer.
    // (What the layer's onSend would note, the answer has started, is set here.)
    c._sendText(text, bytes >= 0 ? bytes : typeof text === "string" ? Buffer.byteLength(text) : text.length);
    if (st.busy) st.responded = true;
    st.lastHead = hasConnection ? undefined : text;
    return;
  }
  c.send(typeof text === "string" ? Buffer.from(text, "utf8") : text);
}

/** The ERR_HTTP_STATE error of httpChunk/httpSse on a server connection without a stream for it. */
function noStream(c: Connection, st: HttpLayer, what: string, start: string): MgError {
  const why = st.streaming === STREAM_EVENTS ? "the response in progress is an event stream: send events with httpSse()"
    : st.busy && st.responded ? "the response in progress is not a stream"
    : st.busy ? `no response has started: start a stream with ${start}`
    : `no response is in progress (a reply() that does not start a stream is complete when it returns): start a stream with ${start}`;
  return new MgError("ERR_HTTP_STATE", `${what}: connection ${c.id}: ${why}`);
}
const START_CHUNKED = 'reply(status, "", { "Transfer-Encoding": "chunked" })';
const START_EVENTS = 'reply(200, "", { "Content-Type": "text/event-stream" })';

/**
 * Sends one chunk of a chunked response. Empty data sends the last chunk and ends the response.
 * On a server connection it needs a stream started by reply() (ERR_HTTP_STATE otherwise);
 * elsewhere (a client's request body) it writes the chunk as it is.
 */
export function httpChunk(c: Connection, data: string | Uint8Array): void {
  if (typeof data !== "string" && !(data instanceof Uint8Array)) throw argError("httpChunk: data must be a string or Uint8Array");
  if (!c.canSend) throw c.closedError("httpChunk");
  const n = typeof data === "string" ? Buffer.byteLength(data) : data.length;
  const st = httpLayerOf(c);
  if (st === undefined || !st.isServer) { sendChunk(c, data, n); return; }
  const stream = st.streaming;
  // Chunk framing anywhere else would corrupt the response (or precede its status line).
  if (stream !== STREAM_CHUNKED && stream !== STREAM_RAW) throw noStream(c, st, "httpChunk", START_CHUNKED);
  if (!st.noBodyOut) {
    if (stream === STREAM_CHUNKED) sendChunk(c, data, n);
    else if (n > 0) c.send(data);
  }
  if (n === 0) { st.streaming = 0; responseDone(c, st); }
}

/** Writes `data` as one chunk (RFC 9112 §7.1); empty data is the last chunk. */
function sendChunk(c: Connection, data: string | Uint8Array, n: number): void {
  if (n === 0) c.send("0\r\n\r\n");
  else if (typeof data === "string") c.send(n.toString(16) + "\r\n" + data + "\r\n");
  else {
    c.send(n.toString(16) + "\r\n");
    c.send(data);
    c.send("\r\n");
  }
}

/**
 * Sends one Server-Sent Event (HTML Living Standard, section 9.2): an `event:` line
 * when `eventType` is not empty, one `data:` line per line of `data`, and a blank line.
 * On a server connection it needs a stream started by reply() (ERR_HTTP_STATE otherwise).
 */
export function httpSse(c: Connection, eventType: string, data: string | Uint8Array): void {
  if (!c.canSend) throw c.closedError("httpSse");
  checkHeaderPart(eventType, "SSE event type");
  const st = httpLayerOf(c);
  const server = st !== undefined && st.isServer;
  if (server && st.streaming === 0) throw noStream(c, st, "httpSse", START_EVENTS);
  let out = eventType ? "event: " + eventType + "\n" : "";
  // Bytes are UTF-8 text, as every input of the API.
  const text = typeof data === "string" ? data : data instanceof Uint8Array ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8") : String(data);
  let i = 0;
  for (;;) {
    let e = text.indexOf("\n", i);
    if (e < 0) e = text.length;
    let line = text.slice(i, e);
    if (line.endsWith("\r")) line = line.slice(0, -1);
    out += "data: " + line + "\n";
    if (e >= text.length) break;
    i = e + 1;
  }
  const payload = out + "\n";
  if (st?.streaming === STREAM_CHUNKED) httpChunk(c, payload);
  else if (!server || !st.noBodyOut) c.send(payload);
}
