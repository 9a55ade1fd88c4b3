// The HTTP/1.1 layer of a connection (server and client side). It parses messages from
// the receive buffer as they complete, emits MG_EV_HTTP_HDRS and MG_EV_HTTP_MSG, answers
// malformed input with an error status and a close, and keeps pipelined responses in
// order: while a response is being produced, the next request waits in the buffer.
import type { CoreConnection as Connection, Layer } from "../core/connection.js";
import { MG_EV_CLOSE, MG_EV_ERROR, MG_EV_POLL, MG_EV_READ, MG_EV_WRITE } from "../core/events.js";
import { MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG } from "./events.js";
import { HttpMessage } from "./message.js";
import { parseHead, headOf, HttpParseError, type ParsedHead } from "./parser.js";
import { ChunkedDecoder } from "./chunked.js";
import { statusText } from "./status.js";
import { DEFAULT_MAX_PIPELINE_SEND, type HttpSettings } from "./options.js";
import { millis } from "../util/time.js";
import { MgError } from "../util/errors.js";

export {
  DEFAULT_MAX_HEADER_SIZE, DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_HEADERS, DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS,
} from "./options.js";

/** Response stream modes (HttpLayer.streaming): chunked, Server-Sent Events, raw until close (HTTP/1.0). */
export const STREAM_CHUNKED = 1, STREAM_EVENTS = 2, STREAM_RAW = 3;

const EMPTY = Buffer.alloc(0);
const CONNECTION_CLOSE_TEXT = "Connection: close\r\n";
const CONNECTION_CLOSE = Buffer.from(CONNECTION_CLOSE_TEXT);

/** The HTTP layer of one connection: its state and the answers it gives the core. */
export class HttpLayer implements Layer {
  readonly isServer: boolean;
  readonly maxHead: number;
  readonly maxBody: number;
  readonly maxHeaders: number;
  readonly headersTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** The options the connection was opened with (the WebSocket upgrade reads its own from them). */
  readonly connOpts: object;
  /** The head of the message whose body is still arriving. */
  cur: ParsedHead | undefined = undefined;
  msg: HttpMessage | undefined = undefined;
  chunk: ChunkedDecoder | undefined = undefined;
  /** Body bytes expected: >= 0 known, -1 until the connection closes (responses). */
  bodyLen = 0;
  /** A response is being produced: the next request waits. */
  busy = false;
  /** The response to the current request has started (its head is queued). */
  responded = false;
  /** The request being answered. */
  reqMethod = "";
  reqKeepAlive = true;
  reqHttp10 = false;
  /** 0: none, else STREAM_CHUNKED, STREAM_EVENTS or STREAM_RAW. */
  streaming = 0;
  /** When the connection last went idle (for idleTimeoutMs); 0 while not idle. */
  since: number;
  /** When the first byte of the current request arrived (for the request timeouts); 0 when none. */
  reqStart = 0;
  /** The HTTP_MSG handler is running: the parse loop goes on by itself after it. */
  inCall = false;
  /** The HTTP_HDRS handler is running: reply() may answer the request early (answerEarly). */
  inHdrs = false;
  /** reply() answered the request on MG_EV_HTTP_HDRS: the parse loop skips it, no MG_EV_HTTP_MSG. */
  answeredEarly = false;
  /** The response in progress sends no body (an answer to HEAD): httpChunk/httpSse write nothing. */
  noBodyOut = false;
  /** Client: HEAD requests sent whose responses have no body. */
  headRequests = 0;
  /** Requests wait in the buffer and a response just finished: parse at the next poll. */
  reparse = false;
  /** Parsing waits for the send queue to shrink (a pipelining client that does not read). */
  waitWrite = false;
  failed = false;
  /**
   * No more requests are read on this connection (RFC 9112 §9.6: after one with
   * `Connection: close` or an HTTP/1.0 one without keep-alive; after CONNECT): what
   * follows is discarded.
   */
  lastRequest = false;
  /** The peer finished sending (half-close): close once the current response is done. */
  peerEnded = false;
  /** The manager is shutting down: close once the current response is done. */
  shuttingDown = false;
  /** The last response head queued without a Connection header (see onDrain). */
  lastHead: Buffer | string | undefined = undefined;
  /** The request being answered is a CONNECT: a 2xx answer turns the connection into a raw tunnel. */
  connectRequest = false;
  /** A 2xx answer to CONNECT was sent: the connection is a tunnel now. */
  tunnel = false;
  /**
   * The request's Content-Length is over maxBody: refused with 413 after MG_EV_HTTP_HDRS
   * unless its handler took the body (httpUpload streams it to disk).
   */
  oversized = false;

  constructor(c: Connection, s: HttpSettings, connOpts: object) {
    this.isServer = !c.isClient;
    this.maxHead = s.maxHead;
    this.maxBody = s.maxBody;
    this.maxHeaders = s.maxHeaders;
    this.headersTimeoutMs = s.headersTimeoutMs;
    this.idleTimeoutMs = s.idleTimeoutMs;
    this.requestTimeoutMs = s.requestTimeoutMs;
    this.connOpts = connOpts;
    this.since = millis();
    // The receive buffer must hold a whole message (head and body).
    c.needRecvSize(s.maxHead + s.maxBody + 4096);
  }

  /**
   * A large read arrived (the core asks before any event): when it starts a request whose
   * body has a known length, room for the whole request is reserved at once, so that
   * the rest of it is read straight there. Nothing else changes: the head is parsed
   * again, as usual, when the read is dispatched.
   */
  onArrive(c: Connection, bytes: number): void {
    // Only a read that starts the buffer (the later reads of a burst cost nothing here).
    if (c.recvLen !== bytes || !this.isServer || this.cur !== undefined || this.busy || this.failed || this.lastRequest || this.tunnel) return;
    const h = parseHead(c._recvHeadOwn(), false, this.maxHead, this.maxHeaders);
    if (h === 0 || h instanceof HttpParseError) return;
    if (h.chunked || h.contentLength <= 0 || h.contentLength > this.maxBody || h.method === "CONNECT") return;
    c.recvReserve(h.headLen + h.contentLength);
  }

  onEvent(c: Connection, ev: number, data: unknown): void {
    if (ev === MG_EV_READ) {
      if (this.failed || this.lastRequest && !this.busy && this.cur === undefined) { c.recvConsume(); return; }
      processInput(c, this);
    } else if (ev === MG_EV_POLL || ev === MG_EV_WRITE) {
      // Idle, nothing due before the connection's _layerPollAt: set by checkTimeouts when a
      // poll found nothing due (the core's round then skips this layer too), reset to 0 by
      // every change that can bring a deadline earlier or make a poll parse.
      if (ev === MG_EV_POLL && (data as number) < c._layerPollAt) return;
      if (this.waitWrite && c.sendLen <= DEFAULT_MAX_PIPELINE_SEND / 2) { this.waitWrite = false; this.reparse = true; }
      if (this.reparse && !this.inCall) { this.reparse = false; processInput(c, this); }
      if (ev === MG_EV_POLL) checkTimeouts(c, this, data as number);
    } else if (ev === MG_EV_CLOSE) {
      if (!this.isServer && this.cur !== undefined) finishAtClose(c, this);
    }
  }

  /**
   * The peer half-closed. Returns true when the layer closes the connection itself once
   * the response in progress is complete; event streams never complete, so they close now.
   */
  onPeerEnd(_c: Connection): boolean {
    if (!this.isServer || !this.busy || this.streaming === STREAM_EVENTS) return false;
    this.peerEnded = true;
    return true;
  }

  /**
   * drain() on a server connection: if the last response head is still queued, add
   * "Connection: close" to it, so a keep-alive client does not reuse a connection that
   * is about to close (the guide's reply-then-drain pattern).
   */
  onDrain(c: Connection): void {
    const head = this.lastHead;
    if (head === undefined) return;
    this.lastHead = undefined;
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    if (typeof head === "string") c.replaceQueued(head, head.slice(0, end + 2) + CONNECTION_CLOSE_TEXT + head.slice(end + 2));
    else c.replaceQueued(head, Buffer.concat([head.subarray(0, end + 2), CONNECTION_CLOSE, head.subarray(end + 2)]));
  }

  /**
   * Shutdown: nothing is lost that was received. A request being answered finishes
   * (its response says `Connection: close` when nothing follows it); requests already
   * received behind it (pipelined) and a request whose head has arrived are answered
   * too; then the connection closes. An idle keep-alive connection drains now; an event
   * stream (which never completes) too.
   */
  onShutdown(c: Connection): boolean {
    this.shuttingDown = true;
    if (!this.isServer || this.failed || this.streaming === STREAM_EVENTS) return false;
    if (this.busy) {
      if (!this.responded && c.recvLen === 0) this.reqKeepAlive = false;
      return true;
    }
    if (c.recvLen === 0) return false;
    // Bytes wait in the buffer (a request not parsed yet): parse them at the next poll.
    this.reparse = true;
    c._layerPollAt = 0;
    c.touch();
    return true;
  }

  /** The connection is handed to another layer (a WebSocket upgrade): no answer follows. */
  handOver(): void {
    this.responded = true;
    this.busy = false;
  }

  /** Server: anything sent while a request is being answered starts its response (adapters, raw sends). */
  onSend(_c: Connection, _data: Buffer): void {
    if (this.busy) this.responded = true;
  }

  /**
   * The handler threw on a request: 500 and close when no response has started, else
   * close. Either way the request is over: nothing more is read or dispatched for it
   * (no MG_EV_HTTP_MSG after a throw on MG_EV_HTTP_HDRS), so only one answer goes out.
   */
  onHandlerError(c: Connection, ev: number, _err: unknown): void {
    if (!this.isServer || (ev !== MG_EV_HTTP_MSG && ev !== MG_EV_HTTP_HDRS)) return;
    if (c.isClosing || c.isClosed) return;
    // On HDRS only an early reply starts the response (`responded` may still describe the
    // previous request of a keep-alive connection).
    const started = ev === MG_EV_HTTP_HDRS ? this.answeredEarly && this.responded : this.responded || !this.busy;
    if (!started) {
      sendClosingAnswer(c, 500, "Internal Server Error\n");
      this.responded = true;
    }
    // (Else the response, or part of it, is out: let what is queued go, then close.)
    dropRequest(this);
    c.drain();
  }
}

/** Client side: also notes HEAD requests being sent, whose responses will have no body. */
export class HttpClientLayer extends HttpLayer {
  override onSend(_c: Connection, data: Buffer): void {
    if (data.length >= 5 && data[0] === 0x48 && data[1] === 0x45 && data[2] === 0x41 && data[3] === 0x44 && data[4] === 0x20) {
      this.headRequests++;
    }
  }
}

/** The HTTP layer of `c`, or undefined when it does not speak HTTP (any more). */
export function httpLayerOf(c: Connection): HttpLayer | undefined {
  const l = c.layer;
  return l instanceof HttpLayer ? l : undefined;
}

/** Parses and dispatches every complete message in the receive buffer. */
function processInput(c: Connection, st: HttpLayer): void {
  parseAll(c, st);
  // Shutdown: once every request received is answered, close (a partial head is not a request).
  if (st.shuttingDown && !st.busy && !st.waitWrite && !st.inCall && st.cur === undefined && c.layer === st && !c.isClosing && !c.isDraining) c.drain();
}

function parseAll(c: Connection, st: HttpLayer): void {
  while (!st.busy && c.layer === st && c.canSend && c.recvLen > 0) {
    if (st.lastRequest && st.cur === undefined) { c.recvConsume(); return; }
    if (st.isServer && c.sendLen > DEFAULT_MAX_PIPELINE_SEND) {
      // Backpressure: a client that pipelines requests and does not read its answers
      // waits until they are written; reading from the socket pauses once the receive
      // buffer is full.
      st.waitWrite = true;
      c._layerPollAt = 0;
      return;
    }
    const buf = c.recvData();
    // `data` below is `buf` unless a handler of MG_EV_HTTP_HDRS consumed or more arrived.
    let data = buf;
    let headView: Buffer | undefined;
    let h = st.cur;
    if (st.reqStart === 0) { st.reqStart = c.manager._now; st.since = 0; c._layerPollAt = 0; }
    if (h === undefined) {
      const r = parseHead(buf, !st.isServer, st.maxHead, st.maxHeaders);
      if (r === 0) return;
      if (r instanceof HttpParseError) { fail(c, st, r); return; }
      h = r;
      if (!st.isServer && h.status >= 100 && h.status < 200 && h.status !== 101) {
        // Interim responses (100 Continue, 103 Early Hints) are skipped.
        c.recvConsume(h.headLen);
        continue;
      }
      st.cur = h;
      if (!framing(c, st, h)) return;
      // A body of known length: the receive buffer makes room for the whole message at
      // once (and, on an accepted plain socket, the rest of it is read straight there).
      if (st.bodyLen > 0 && st.chunk === undefined && !st.oversized) c.recvReserve(h.headLen + st.bodyLen);
      // (A read that holds exactly one head, the usual GET, is its own view.)
      headView = h.skip === 0 && h.headLen === buf.length ? buf : buf.subarray(h.skip, h.headLen);
      st.msg = new HttpMessage(h.method, h.uri, h.query, h.proto, headView, EMPTY, headOf(h), h.hdr, !st.isServer);
      st.inHdrs = true;
      try { c.call(MG_EV_HTTP_HDRS, st.msg); } finally { st.inHdrs = false; }
      // The handler threw (answered 500, onHandlerError): nothing of this request goes on.
      if (st.failed) { c.recvConsume(); return; }
      if (st.answeredEarly) { if (skipAnswered(c, st, h)) continue; return; }
      if (st.cur !== h || c.layer !== st || !c.canSend) return;
      if (st.oversized) { fail(c, st, new HttpParseError(413, `body of ${h.contentLength} bytes is larger than ${st.maxBody}`)); return; }
      // RFC 9110 §10.1.1: the client waits for it before sending the body (a chunked one too).
      if (h.expectContinue && (st.bodyLen !== 0 || st.chunk !== undefined) && st.isServer) c.send("HTTP/1.1 100 Continue\r\n\r\n");
      if (c.recvLen === 0) return;
      if (c.recvLen !== buf.length) data = c.recvData();
    }
    // The body.
    let end: number, body: Buffer;
    if (st.chunk !== undefined) {
      const r = st.chunk.feed(data);
      if (r instanceof HttpParseError) { fail(c, st, r); return; }
      if (r === 0) return;
      end = r;
      body = st.chunk.body();
    } else if (st.bodyLen >= 0) {
      end = h.headLen + st.bodyLen;
      if (data.length < end) return;
      body = st.bodyLen === 0 ? EMPTY : data.subarray(h.headLen, end);
    } else {
      return; // response body delimited by the connection closing
    }
    // Without a body the message is its head: the view made for MG_EV_HTTP_HDRS (received
    // bytes are never overwritten, so it holds the same bytes as a new one would).
    deliver(c, st, h, end === h.headLen && headView !== undefined ? headView : data.subarray(h.skip, end), body, end);
  }
  if (st.peerEnded && !st.busy && !c.isClosing) c.drain();
}

/** Decides how the body is framed (RFC 9112 section 6.3). Returns false after a failure. */
function framing(c: Connection, st: HttpLayer, h: ParsedHead): boolean {
  st.chunk = undefined;
  if (!st.isServer) {
    const s = h.status;
    const answersHead = st.headRequests > 0;
    if (answersHead) st.headRequests--;
    if (s === 204 || s === 304 || s === 101 || answersHead) { st.bodyLen = 0; return true; }
  } else if (h.method === "CONNECT") {
    // RFC 9110 §9.3.6: what follows a CONNECT head is tunnel data, never a body or
    // another request.
    st.bodyLen = 0;
    return true;
  }
  if (h.chunked) { st.chunk = new ChunkedDecoder(h.headLen, st.maxBody); st.bodyLen = 0; return true; }
  if (h.contentLength >= 0) {
    if (h.contentLength > st.maxBody) {
      // A server's MG_EV_HTTP_HDRS handler may still take the body (httpUpload).
      if (st.isServer) { st.oversized = true; st.bodyLen = h.contentLength; return true; }
      fail(c, st, new HttpParseError(413, `body of ${h.contentLength} bytes is larger than ${st.maxBody}`));
      return false;
    }
    st.bodyLen = h.contentLength;
    return true;
  }
  st.bodyLen = st.isServer ? 0 : -1;
  return true;
}

/**
 * After an early answer (answerEarly): drops the request from the receive buffer, or
 * everything when no request follows it (its body was not read). Returns true when
 * parsing goes on.
 */
function skipAnswered(c: Connection, st: HttpLayer, h: ParsedHead): boolean {
  st.answeredEarly = false;
  // (A CONNECT answered 2xx is a tunnel now: the bytes after its head are the tunnel's.)
  if (st.lastRequest && c.layer === st) { c.recvConsume(); return false; }
  c.recvConsume(h.headLen + st.bodyLen);
  if (!st.busy) { st.since = c.manager._now; c._layerPollAt = 0; }
  return c.layer === st;
}

function deliver(c: Connection, st: HttpLayer, h: ParsedHead, raw: Buffer, body: Buffer, end: number): void {
  const msg = st.msg!;
  msg.message = raw;
  msg.bodyBytes = body;
  if (st.isServer) beginAnswer(st, h, c.recvLen <= end);
  else { st.cur = undefined; st.msg = undefined; st.chunk = undefined; }
  st.reqStart = 0;
  st.inCall = true;
  try { c.call(MG_EV_HTTP_MSG, msg); } finally { st.inCall = false; }
  c.recvConsume(end);
  if (!st.busy) { st.since = c.manager._now; c._layerPollAt = 0; }
  const next = c.layer;
  if (next !== st) {
    // Upgraded (WebSocket) or turned into a tunnel: the new owner takes the bytes that
    // followed the request.
    // (A tunnel has no layer: the handler gets the MG_EV_READ this event is part of.)
    if (c.recvLen > 0 && next !== undefined) next.onEvent(c, MG_EV_READ, c.recvLen);
    return;
  }
  if (!st.isServer && !h.keepAlive && !c.isClosing) c.drain();
}

/**
 * Server: the request `h` is complete (its body delivered or taken elsewhere): the
 * connection is now answering it. Also used by httpUpload once the body is on disk.
 */
export function beginAnswer(st: HttpLayer, h: ParsedHead, lastReceived = true): void {
  st.cur = undefined;
  st.msg = undefined;
  st.chunk = undefined;
  st.oversized = false;
  st.busy = true;
  st.responded = false;
  st.reqMethod = h.method;
  // Shutdown: the last request received gets `Connection: close`; those before it keep
  // the connection (their client reads on and gets the rest).
  st.reqKeepAlive = h.keepAlive && !(st.shuttingDown && lastReceived);
  st.reqHttp10 = h.proto === "HTTP/1.0";
  st.streaming = 0;
  st.noBodyOut = false;
  st.connectRequest = h.method === "CONNECT";
  st.reqStart = 0;
  // RFC 9112 §9.6: no request after one that closes the connection; none after CONNECT.
  if (!h.keepAlive || st.connectRequest) st.lastRequest = true;
}

/**
 * Server: reply() on MG_EV_HTTP_HDRS answers the request whose head just arrived, before
 * its body is read (docs/http.md: a handler can refuse early); MG_EV_HTTP_MSG does not
 * follow. When the whole body is already in the receive buffer (none, or all of its
 * Content-Length) the request is skipped and the connection stays usable. Otherwise the
 * body is never read: the response says `Connection: close` and the connection closes
 * after it (RFC 9112 §9.6), since unread body bytes would be taken for the next request.
 */
export function answerEarly(c: Connection, st: HttpLayer): void {
  const h = st.cur!;
  const end = h.headLen + st.bodyLen;
  const whole = st.chunk === undefined && !st.oversized && c.recvLen >= end;
  beginAnswer(st, h, c.recvLen <= end);
  st.answeredEarly = true;
  if (!whole) {
    st.reqKeepAlive = false;
    st.lastRequest = true;
  }
}

/** Client side: a response framed by the connection closing is complete now. */
function finishAtClose(c: Connection, st: HttpLayer): void {
  const h = st.cur!;
  if (st.bodyLen === -1) {
    const data = c.recvData();
    deliver(c, st, h, data.subarray(h.skip), data.subarray(h.headLen), data.length);
  } else {
    st.cur = undefined;
    c.lastError = new MgError("ERR_HTTP_PARSE", "HTTP: connection closed before the response was complete");
    c.call(MG_EV_ERROR, c.lastError.message);
  }
}

/** The connection gives up on the message in progress: nothing more of it is read or dispatched. */
function dropRequest(st: HttpLayer): void {
  st.failed = true;
  st.oversized = false;
  st.cur = undefined;
  st.msg = undefined;
  st.chunk = undefined;
}

/** A plain-text error answer after which the connection closes (the request is not finished). */
function sendClosingAnswer(c: Connection, status: number, body: string): void {
  c.send(`HTTP/1.1 ${status} ${statusText(status)}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
}

/** Refuses a malformed or oversized message: error status, MG_EV_ERROR, close. */
function fail(c: Connection, st: HttpLayer, e: HttpParseError): void {
  dropRequest(st);
  c.recvConsume();
  if (st.isServer && !st.busy) sendClosingAnswer(c, e.status, `${statusText(e.status)}: ${e.reason}\n`);
  const err = new MgError("ERR_HTTP_PARSE", `HTTP ${st.isServer ? "request" : "response"} refused (${e.status}): ${e.reason}`, { status: e.status });
  c.lastError = err;
  c.call(MG_EV_ERROR, err.message);
  if (st.isServer) c.drain(); else c.close();
}

function checkTimeouts(c: Connection, st: HttpLayer, now: number): void {
  if (!st.isServer || st.failed || c.isClosing || c.layer !== st) return;
  if (st.reqStart !== 0 && !st.busy) {
    const waited = now - st.reqStart;
    if (st.cur === undefined && st.headersTimeoutMs > 0 && waited > st.headersTimeoutMs) {
      fail(c, st, new HttpParseError(408, `request head not complete after ${st.headersTimeoutMs} ms`));
    } else if (st.requestTimeoutMs > 0 && waited > st.requestTimeoutMs) {
      fail(c, st, new HttpParseError(408, `request not complete after ${st.requestTimeoutMs} ms`));
    } else if (!st.reparse && !st.waitWrite) {
      // Nothing due: the next poll that can find something is the earlier deadline
      // (1 ms early: the sum may round up where the difference above does not).
      const head = st.cur === undefined && st.headersTimeoutMs > 0 ? st.headersTimeoutMs : Infinity;
      const whole = st.requestTimeoutMs > 0 ? st.requestTimeoutMs : Infinity;
      c._layerPollAt = st.reqStart + Math.min(head, whole) - 1;
    }
  } else if (st.since !== 0 && !st.busy && st.idleTimeoutMs > 0 && now - st.since > st.idleTimeoutMs) {
    c.close();
  } else if (!st.busy && !st.reparse && !st.waitWrite) {
    // Idle (or no idle timeout): only the idle deadline; a new request resets it.
    if (st.idleTimeoutMs <= 0) c._layerPollAt = Infinity;
    else if (st.since !== 0) c._layerPollAt = st.since + st.idleTimeoutMs - 1;
  }
}

/**
 * The response to the current request is complete: close if the request asked for it,
 * otherwise let the next pipelined request in.
 */
export function responseDone(c: Connection, st: HttpLayer | undefined = httpLayerOf(c)): void {
  if (st === undefined || !st.isServer || !st.busy) return;
  st.busy = false;
  st.streaming = 0;
  st.noBodyOut = false;
  // Answered inside MG_EV_HTTP_MSG (or early, in MG_EV_HTTP_HDRS): the parse loop goes on
  // by itself after the handler, and the dispatch's clock is current enough (one clock
  // read less per request); answered later (async work), the time now.
  const inCall = st.inCall || st.inHdrs;
  st.since = inCall ? c.manager._now : millis();
  c._layerPollAt = 0;
  if (st.connectRequest) {
    st.connectRequest = false;
    // A 2xx answer to CONNECT (RFC 9110 §9.3.6) makes the connection a tunnel (httpReply
    // removes this layer); any other answer ends it.
    if (!st.tunnel) { c.drain(); return; }
    return;
  }
  if (!st.reqKeepAlive) { c.drain(); return; }
  if (st.shuttingDown) {
    // Requests received behind this one are answered first (processInput closes after them).
    if (inCall) return; // the parse loop goes on by itself
    if (c.recvLen > 0) { st.reparse = true; c._layerPollAt = 0; c.touch(); } else c.drain();
    return;
  }
  if (st.peerEnded && c.recvLen === 0 && !inCall) { c.drain(); return; }
  if (c.recvLen > 0 && !inCall) {
    // Answered outside the HTTP_MSG handler: pipelined requests wait for the next poll.
    st.reparse = true;
    c.touch();
  }
}
