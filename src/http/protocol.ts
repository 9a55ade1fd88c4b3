// The HTTP/1.1 layer of a connection (server and client side). It parses messages from
// the receive buffer as they complete, emits MG_EV_HTTP_HDRS and MG_EV_HTTP_MSG, answers
// malformed input with an error status and a close, and keeps pipelined responses in
// order: while a response is being produced, the next request waits in the buffer.
import type { Connection } from "../core/connection.js";
import {
  MG_EV_CLOSE, MG_EV_ERROR, MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG, MG_EV_POLL, MG_EV_READ,
} from "../core/events.js";
import { HttpMessage } from "./message.js";
import { parseHead, HttpParseError, type ParsedHead } from "./parser.js";
import { ChunkedDecoder } from "./chunked.js";
import { statusText } from "./status.js";
import { millis } from "../util/time.js";

export const DEFAULT_MAX_HEADER_SIZE = 16 * 1024;

/** Response stream modes (HttpConnState.streaming): chunked, Server-Sent Events, raw until close (HTTP/1.0). */
export const STREAM_CHUNKED = 1, STREAM_EVENTS = 2, STREAM_RAW = 3;
export const DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024;
export const DEFAULT_MAX_HEADERS = 100;
export const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 300_000;

const EMPTY = Buffer.alloc(0);

/** Per-connection HTTP state. */
export interface HttpConnState {
  isServer: boolean;
  maxHead: number;
  maxBody: number;
  maxHeaders: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  /** The head of the message whose body is still arriving. */
  cur: ParsedHead | undefined;
  msg: HttpMessage | undefined;
  chunk: ChunkedDecoder | undefined;
  /** Body bytes expected: >= 0 known, -1 until the connection closes (responses). */
  bodyLen: number;
  /** A response is being produced: the next request waits. */
  busy: boolean;
  /** The request being answered. */
  reqMethod: string;
  reqKeepAlive: boolean;
  reqHttp10: boolean;
  /** 0: none, else STREAM_CHUNKED, STREAM_EVENTS or STREAM_RAW. */
  streaming: number;
  /** When the connection last went idle (for idleTimeoutMs); 0 while not idle. */
  since: number;
  /** When the first byte of the current request arrived (for the request timeouts); 0 when none. */
  reqStart: number;
  requestTimeoutMs: number;
  /** The HTTP_MSG handler is running: the parse loop goes on by itself after it. */
  inCall: boolean;
  /** Client: HEAD requests sent whose responses have no body. */
  headRequests: number;
  /** Requests wait in the buffer and a response just finished: parse at the next poll. */
  reparse: boolean;
  failed: boolean;
  /** The peer finished sending (half-close): close once the current response is done. */
  peerEnded: boolean;
  /** The last response head queued without a Connection header (see closingHead). */
  lastHead: Buffer | undefined;
}

/** Turns a connection into an HTTP connection (server side when accepted, client side when connecting). */
export function attachHttp(c: Connection): void {
  c._proto = httpProto;
}

function state(c: Connection): HttpConnState {
  let st = c._http;
  if (st === undefined) {
    const o = c._opts;
    const maxHead = positive(o.maxHeaderSize, DEFAULT_MAX_HEADER_SIZE, "maxHeaderSize");
    const maxBody = nonNegative(o.maxBodySize, DEFAULT_MAX_BODY_SIZE, "maxBodySize");
    st = c._http = {
      isServer: !c.isClient,
      maxHead, maxBody,
      maxHeaders: positive(o.maxHeaders, DEFAULT_MAX_HEADERS, "maxHeaders"),
      headersTimeoutMs: nonNegative(o.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS, "headersTimeoutMs"),
      idleTimeoutMs: nonNegative(o.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS, "idleTimeoutMs"),
      requestTimeoutMs: nonNegative(o.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, "requestTimeoutMs"),
      reqStart: 0, inCall: false,
      cur: undefined, msg: undefined, chunk: undefined, bodyLen: 0,
      busy: false, reqMethod: "", reqKeepAlive: true, reqHttp10: false, streaming: 0,
      since: millis(), headRequests: 0, reparse: false, failed: false, peerEnded: false, lastHead: undefined,
    };
    // The receive buffer must hold a whole message (head and body).
    const need = maxHead + maxBody + 4096;
    if (o.maxRecvSize === undefined && c._maxRecv < need) c._maxRecv = need;
  }
  return st;
}

function positive(v: number | undefined, def: number, name: string): number {
  if (v === undefined) return def;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer, got ${v}`);
  return v;
}
function nonNegative(v: number | undefined, def: number, name: string): number {
  if (v === undefined) return def;
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be a non-negative integer, got ${v}`);
  return v;
}

/** The protocol handler: sees every event of an HTTP connection before the user's handler. */
export function httpProto(c: Connection, ev: number, data: unknown): void {
  if (ev === MG_EV_READ) {
    const st = state(c);
    if (st.failed) { c.recvConsume(); return; }
    processInput(c, st);
  } else if (ev === MG_EV_POLL) {
    const st = c._http;
    if (st === undefined) { if (!c.isListening) state(c); return; }
    if (st.reparse) { st.reparse = false; processInput(c, st); }
    checkTimeouts(c, st, data as number);
  } else if (ev === MG_EV_CLOSE) {
    const st = c._http;
    if (st !== undefined && !st.isServer && st.cur !== undefined) finishAtClose(c, st);
  }
}

/** Parses and dispatches every complete message in the receive buffer. */
function processInput(c: Connection, st: HttpConnState): void {
  while (!st.busy && c._proto === httpProto && !c._closed && !(c.isClosing && !c.isDraining) && c.recvLen > 0) {
    const buf = c.recvData();
    let h = st.cur;
    if (st.reqStart === 0) { st.reqStart = c.manager._now; st.since = 0; }
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
      st.msg = new HttpMessage(h.method, h.uri, h.query, h.proto, buf.subarray(h.skip, h.headLen), EMPTY, h.head, h.hdr, !st.isServer);
      c.call(MG_EV_HTTP_HDRS, st.msg);
      if (st.cur !== h || c._proto !== httpProto || c._closed || (c.isClosing && !c.isDraining)) return;
      if (h.expectContinue && st.bodyLen !== 0 && st.isServer) c.send("HTTP/1.1 100 Continue\r\n\r\n");
      if (c.recvLen === 0) return;
    }
    // The body.
    const data = c.recvData();
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
    deliver(c, st, h, data.subarray(h.skip, end), body, end);
  }
  if (st.peerEnded && !st.busy && !c.isClosing) c.drain();
}

/** Decides how the body is framed (RFC 9112 section 6.3). Returns false after a failure. */
function framing(c: Connection, st: HttpConnState, h: ParsedHead): boolean {
  st.chunk = undefined;
  if (!st.isServer) {
    const s = h.status;
    const answersHead = st.headRequests > 0;
    if (answersHead) st.headRequests--;
    if (s === 204 || s === 304 || s === 101 || answersHead) { st.bodyLen = 0; return true; }
  }
  if (h.chunked) { st.chunk = new ChunkedDecoder(h.headLen, st.maxBody); st.bodyLen = 0; return true; }
  if (h.contentLength >= 0) {
    if (h.contentLength > st.maxBody) {
      fail(c, st, new HttpParseError(413, `body of ${h.contentLength} bytes is larger than ${st.maxBody}`));
      return false;
    }
    st.bodyLen = h.contentLength;
    return true;
  }
  st.bodyLen = st.isServer ? 0 : -1;
  return true;
}

function deliver(c: Connection, st: HttpConnState, h: ParsedHead, raw: Buffer, body: Buffer, end: number): void {
  const msg = st.msg!;
  msg.message = raw;
  msg.bodyBytes = body;
  st.cur = undefined;
  st.msg = undefined;
  st.chunk = undefined;
  if (st.isServer) {
    st.busy = true;
    st.reqMethod = h.method;
    st.reqKeepAlive = h.keepAlive;
    st.reqHttp10 = h.proto === "HTTP/1.0";
    st.streaming = 0;
  }
  st.reqStart = 0;
  const proto = c._proto;
  st.inCall = true;
  try { c.call(MG_EV_HTTP_MSG, msg); } finally { st.inCall = false; }
  c.recvConsume(end);
  if (!st.busy) st.since = c.manager._now;
  if (c._proto !== proto && c._proto !== undefined && c.recvLen > 0) {
    // Upgraded (WebSocket): the new layer takes the bytes that followed the request.
    c._proto(c, MG_EV_READ, c.recvLen);
    return;
  }
  if (!st.isServer && !h.keepAlive && c._proto === httpProto && !c.isClosing) c.drain();
}

/** Client side: a response framed by the connection closing is complete now. */
function finishAtClose(c: Connection, st: HttpConnState): void {
  const h = st.cur!;
  if (st.bodyLen === -1) {
    const data = c.recvData();
    deliver(c, st, h, data.subarray(h.skip), data.subarray(h.headLen), data.length);
  } else {
    st.cur = undefined;
    c.call(MG_EV_ERROR, "HTTP: connection closed before the response was complete");
  }
}

/** Refuses a malformed or oversized message: error status, MG_EV_ERROR, close. */
function fail(c: Connection, st: HttpConnState, e: HttpParseError): void {
  st.failed = true;
  st.cur = undefined;
  st.msg = undefined;
  st.chunk = undefined;
  c.recvConsume();
  if (st.isServer && !st.busy) {
    const text = statusText(e.status);
    const body = `${text}: ${e.reason}\n`;
    c.send(`HTTP/1.1 ${e.status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  }
  c.call(MG_EV_ERROR, `HTTP ${st.isServer ? "request" : "response"} refused (${e.status}): ${e.reason}`);
  if (st.isServer) c.drain(); else c.close();
}

function checkTimeouts(c: Connection, st: HttpConnState, now: number): void {
  if (!st.isServer || st.failed || c.isClosing || c._proto !== httpProto) return;
  if (st.reqStart !== 0 && !st.busy) {
    const waited = now - st.reqStart;
    if (st.cur === undefined && st.headersTimeoutMs > 0 && waited > st.headersTimeoutMs) {
      fail(c, st, new HttpParseError(408, `request head not complete after ${st.headersTimeoutMs} ms`));
    } else if (st.requestTimeoutMs > 0 && waited > st.requestTimeoutMs) {
      fail(c, st, new HttpParseError(408, `request not complete after ${st.requestTimeoutMs} ms`));
    }
  } else if (st.since !== 0 && !st.busy && st.idleTimeoutMs > 0 && now - st.since > st.idleTimeoutMs) {
    c.close();
  }
}

/**
 * The response to the current request is complete: close if the request asked for it,
 * otherwise let the next pipelined request in.
 */
export function responseDone(c: Connection): void {
  const st = c._http;
  if (st === undefined || !st.isServer || !st.busy) return;
  st.busy = false;
  st.streaming = 0;
  st.since = millis();
  if (!st.reqKeepAlive) { c.drain(); return; }
  if (st.peerEnded && c.recvLen === 0 && !st.inCall) { c.drain(); return; }
  if (c.recvLen > 0 && !st.inCall) {
    // Answered outside the HTTP_MSG handler: pipelined requests wait for the next poll.
    st.reparse = true;
    c.manager._touch(c);
  }
}

/** Client side: notes a HEAD request being sent, whose response will have no body. */
export function noteClientSend(c: Connection, data: Buffer): void {
  if (c._proto === httpProto && data.length >= 5 && data[0] === 0x48 && data[1] === 0x45 && data[2] === 0x41 && data[3] === 0x44 && data[4] === 0x20) {
    state(c).headRequests++;
  }
}

/**
 * drain() on a server connection: if the last response head is still queued, add
 * "Connection: close" to it, so a keep-alive client does not reuse a connection that
 * is about to close (the guide's reply-then-drain pattern).
 */
export function closingHead(c: Connection): void {
  const st = c._http;
  const head = st?.lastHead;
  if (st === undefined || head === undefined) return;
  st.lastHead = undefined;
  const i = c._out.lastIndexOf(head);
  if (i < 0) return;
  const end = head.indexOf("\r\n\r\n");
  if (end < 0) return;
  const patched = Buffer.concat([head.subarray(0, end + 2), CONNECTION_CLOSE, head.subarray(end + 2)]);
  c._out[i] = patched;
  c._outBytes += CONNECTION_CLOSE.length;
}
const CONNECTION_CLOSE = Buffer.from("Connection: close\r\n");

/**
 * The peer half-closed. Returns true when the HTTP layer closes the connection itself
 * once the response in progress is complete; event streams never complete, so they
 * close now.
 */
export function httpPeerEnded(c: Connection): boolean {
  const st = c._http;
  if (st === undefined || !st.isServer || !st.busy || st.streaming === STREAM_EVENTS) return false;
  st.peerEnded = true;
  return true;
}
