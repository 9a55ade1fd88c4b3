// The WebSocket layer: the server's upgrade, the protocol handler that replaces HTTP on
// an upgraded connection (both sides), sending and the closing handshake.
import type { CoreConnection as Connection, Layer } from "../core/connection.js";
import { MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_POLL, MG_EV_READ, MG_EV_WRITE } from "../core/events.js";
import { MG_EV_WS_CTL, MG_EV_WS_MSG, MG_EV_WS_OPEN } from "./events.js";
import type { HttpMessage } from "../http/message.js";
import { formatHeaders, httpReply, type HeadersInit } from "../http/reply.js";
import { httpLayerOf } from "../http/layer.js";
import { MgError, typeError } from "../util/errors.js";
import { millis } from "../util/time.js";
import { toBuffer } from "../util/bytes.js";
import { WsMessage } from "./message.js";
import {
  WEBSOCKET_OP_BINARY, WEBSOCKET_OP_CLOSE, WEBSOCKET_OP_PING, WEBSOCKET_OP_PONG, WEBSOCKET_OP_TEXT,
} from "./constants.js";
import { createWsState, enableDeflate, sizeRecvBuffer, type WsConnState, type WsOptions, type WsProtocolSelector } from "./state.js";
import { receiveFrames, releaseHook, resumeFrames, type FrameSink } from "./receiver.js";
import { sendFrame, endRun, slabsWritten } from "./sender.js";
import { acceptKey, checkUpgradeRequest, headerIn, offeredProtocols } from "./handshake.js";
import { deflateOptions, serverNegotiate } from "./deflate.js";
import { closePayload, isValidCloseCode, WS_CLOSE_GOING_AWAY, WS_CLOSE_INTERNAL_ERROR, WS_CLOSE_NORMAL, WS_CLOSE_POLICY_VIOLATION } from "./close.js";
import { MAX_CONTROL_PAYLOAD } from "./frame.js";

const EMPTY = Buffer.alloc(0);

/**
 * Server: answers an upgrade request with 101 and turns the connection into a
 * WebSocket (MG_EV_WS_OPEN follows at once). A request that is not a valid upgrade
 * (RFC 6455 section 4.2.1) gets 400, or 426 with Sec-WebSocket-Version: 13, and the
 * connection closes; returns false then.
 */
export function wsUpgrade(c: Connection, msg: HttpMessage, extra?: HeadersInit): boolean {
  const st = wsAccept(c, msg, extra, "wsUpgrade");
  if (st === undefined) return false;
  c.setLayer(new WsLayer(st));
  c.isWebsocket = true;
  c.call(MG_EV_WS_OPEN, msg);
  return true;
}

/**
 * @internal The server's side of the opening handshake, for wsUpgrade() and for
 * protocols carried in WebSocket messages (MQTT over WebSocket, src/mqttws): checks the
 * request, queues the 101 (with the subprotocol `choose` picks from those offered, or
 * the connection's wsProtocols when `choose` is omitted), agrees permessage-deflate and
 * takes the connection from the HTTP layer. Returns the new WebSocket state; the caller
 * sets the layer and `isWebsocket`. A request that is not a valid upgrade gets 400 (or
 * 426), as does one for which `choose` returns false: undefined then, and the
 * connection drains.
 */
export function wsAccept(c: Connection, msg: HttpMessage, extra: HeadersInit | undefined, what: string, choose?: (offered: string[]) => string | false): WsConnState | undefined {
  if (c.isWebsocket) throw new MgError("ERR_WRONG_CONN", `${what}: connection ${c.id} is already a WebSocket`);
  if (c.isClient || c.isListening) throw new MgError("ERR_WRONG_CONN", `${what}: only for requests received by a server`);
  if (!c.canSend) throw c.closedError(what);
  const http = httpLayerOf(c);
  if (http === undefined) throw new MgError("ERR_WRONG_CONN", `${what}: connection ${c.id} does not speak HTTP`);
  let refusal = checkUpgradeRequest(msg);
  const offered = refusal === undefined ? offeredProtocols(msg)! : [];
  const forced = refusal === undefined && choose !== undefined ? choose(offered) : undefined;
  if (forced === false) refusal = { status: 400, reason: `no subprotocol this server speaks was offered (Sec-WebSocket-Protocol: ${offered.join(", ") || "none"})` };
  if (refusal !== undefined) {
    const headers: Record<string, string> = { "Sec-WebSocket-Version": "13", Connection: "close" };
    if (refusal.status === 426) headers["Upgrade"] = "websocket";
    httpReply(c, refusal.status, `${refusal.reason}\n`, headers);
    c.drain();
    return undefined;
  }
  const connOpts = http.connOpts as WsOptions;
  const st = createWsState(connOpts, true);
  const extraLines = formatHeaders(extra, { contentType: false, contentLength: false, chunked: false, eventStream: false, connection: false });
  let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
    acceptKey(msg.header("Sec-WebSocket-Key")!.trim()) + "\r\n";
  // Subprotocol (section 4.2.2, step 5.5): one of those offered, or no header at all. An
  // application that answers through extraHeaders has chosen already.
  const answered = headerIn(extraLines, "sec-websocket-protocol");
  if (answered !== undefined) st.protocol = answered;
  else {
    const chosen = typeof forced === "string" ? forced : chooseProtocol(connOpts.wsProtocols, offered, msg);
    if (chosen !== undefined) { st.protocol = chosen; head += `Sec-WebSocket-Protocol: ${chosen}\r\n`; }
  }
  const dopts = deflateOptions(connOpts.wsDeflate);
  const offers = dopts === undefined ? [] : msg.headerAll("Sec-WebSocket-Extensions");
  const agreed = offers.length > 0 ? serverNegotiate(offers, dopts!) : undefined;
  if (agreed !== undefined) head += `Sec-WebSocket-Extensions: ${agreed[0]}\r\n`;
  head += extraLines + "\r\n";
  c.send(head);
  if (agreed !== undefined) enableDeflate(c, st, agreed[1], dopts!);
  else sizeRecvBuffer(c, st);
  http.handOver(); // the HTTP layer is done with this connection
  return st;
}

/** The subprotocol to answer with: the first offered one in the list, or the selector's choice. */
function chooseProtocol(sel: readonly string[] | WsProtocolSelector | undefined, offered: string[], msg: HttpMessage): string | undefined {
  if (sel === undefined || offered.length === 0) return undefined;
  if (typeof sel !== "function") {
    for (const p of offered) if (sel.includes(p)) return p;
    return undefined;
  }
  const p = sel(offered, msg);
  if (p !== undefined && (typeof p !== "string" || !offered.includes(p))) {
    // Section 4.2.2: the server must pick one the client offered, or none.
    throw new MgError("ERR_INVALID_ARG", `wsProtocols: the selector returned ${JSON.stringify(p)}, which the client did not offer (${offered.join(", ")})`);
  }
  return p;
}

/** The agreed subprotocol of a WebSocket connection ("" when none or not a WebSocket). */
export function wsProtocolOf(c: Connection): string {
  const l = c.layer;
  if (l instanceof WsLayer) return l.st.protocol;
  // A protocol carried in WebSocket messages (MQTT over WebSocket) keeps its WebSocket layer inside.
  const inner = (l as Partial<WsCarrier> | undefined)?.wsLayer;
  return inner instanceof WsLayer ? inner.st.protocol : "";
}

/**
 * @internal What a protocol carried inside WebSocket data messages (MQTT over
 * WebSocket) gives the WebSocket layer: the data messages go to it instead of
 * MG_EV_WS_MSG (decoding goes on while the connection can send and is not over its
 * backpressure mark, as after any message).
 */
export type WsMessageConsumer = (c: Connection, op: number, data: Buffer) => void;

/** @internal A layer that runs a WebSocket layer inside it (see WsMessageConsumer). */
export interface WsCarrier {
  readonly wsLayer: WsLayer;
}

/** The WebSocket layer of a connection (both sides; a client's during its handshake too). */
export class WsLayer implements Layer {
  readonly #sink: FrameSink;
  /**
   * `consumer`: a protocol carried in the data messages receives them (MG_EV_WS_MSG is
   * not raised); control frames and failures are handled as for any WebSocket.
   */
  constructor(readonly st: WsConnState, consumer?: WsMessageConsumer) {
    this.#sink = consumer === undefined ? sink : { ...sink, message: (c, _st, op, data) => consumer(c, op, data) };
  }

  /** @internal Client: the opening handshake is still in progress (nothing may be framed yet). */
  get handshaking(): boolean { return this.st.handshake !== undefined; }

  /**
   * @internal Sends one binary message for a protocol carried in them (compressed when
   * permessage-deflate is on and it is at least the threshold). Returns the bytes
   * queued: 0 once our close frame went out or the connection failed (nothing may follow).
   */
  sendBinary(c: Connection, data: Buffer): number {
    const st = this.st;
    if (st.closeSent || st.failed) return 0;
    const d = st.deflate;
    if (d !== undefined && data.length >= d.threshold) return sendFrame(c, st, WEBSOCKET_OP_BINARY, d.compress(data), !st.isServer, true);
    return sendFrame(c, st, WEBSOCKET_OP_BINARY, data, !st.isServer);
  }

  /** @internal Fails the WebSocket (RFC 6455 section 7.1.7): close frame with `code`, MG_EV_ERROR, drain. */
  fail(c: Connection, code: number, reason: string): void { wsFail(c, this.st, code, reason); }

  /**
   * @internal Queues a close frame with `code` when the WebSocket is open and none was
   * sent (for a carried protocol ending the connection). Returns whether one was queued.
   */
  sendCloseFrame(c: Connection, code: number, reason: string): boolean {
    const st = this.st;
    if (st.handshake !== undefined || st.failed || st.closeSent || !c.isWebsocket || !c.canSend) return false;
    sendClose(c, st, code, reason);
    return true;
  }

  /** @internal Receive-side backpressure: decoding pauses above `high` bytes waiting to be sent, resumes at half. */
  setBackpressure(high: number): void {
    this.st.pauseAbove = high;
    this.st.resumeBelow = high >>> 1;
  }

  onEvent(c: Connection, ev: number, data: unknown): void {
    const st = this.st;
    switch (ev) {
      case MG_EV_READ:
        if (st.handshake !== undefined) {
          st.handshake.onRead(c, st);
          if (st.handshake !== undefined || st.failed) return;
        }
        receiveFrames(c, st, this.#sink);
        break;
      case MG_EV_POLL:
        if (st.handshake !== undefined) st.handshake.onPoll(c, st, data as number);
        else if (st.closeSent && !c.isClosed && (data as number) - st.closeSentAt > st.closeTimeoutMs) {
          // The peer did not finish the closing handshake in time (RFC 6455 section 7.1.1).
          st.closeSentAt = Infinity;
          c.abort();
        } else if (st.paused) resumeFrames(c, st, this.#sink);
        break;
      case MG_EV_WRITE:
        // Receive-side backpressure: the send queue went down, maybe below the low-water mark.
        if (st.paused) resumeFrames(c, st, this.#sink);
        break;
      case MG_EV_CONNECT:
        if (st.handshake !== undefined) st.handshake.onConnect(c, st);
        break;
      case MG_EV_ERROR:
        st.failed = true;
        break;
      case MG_EV_CLOSE:
        if (st.handshake !== undefined) { const hs = st.handshake; st.handshake = undefined; hs.onClose(c, st); }
        st.deflate = undefined;
        break;
    }
  }

  /** Something was queued: a small frame queued earlier is no longer the last thing queued (see sender.ts). */
  onSend(c: Connection, data: Buffer): void {
    // (The run's view is made now, while it is still the last thing queued.)
    if (data !== this.st.pending && this.st.pending !== undefined) endRun(c, this.st);
  }

  /** The queue is about to be written: the run of small frames becomes one chunk (sender.ts). */
  onFlush(c: Connection): void {
    if (this.st.pending !== undefined) endRun(c, this.st);
  }

  /** The queue was written: the sender slabs it had views of may be reused (sender.ts). */
  onFlushed(_c: Connection, handedOver: boolean): void {
    if (this.st.slabsOut.length > 0) slabsWritten(this.st, handedOver);
  }

  /** drain(): a paused decoder must not hold the connection open through the producer hook. */
  onDrain(c: Connection): void {
    releaseHook(c, this.st);
  }

  /** Shutdown: close 1001 (going away, RFC 6455 §7.4.1), then wait for the peer's close. */
  onShutdown(c: Connection): boolean {
    const st = this.st;
    if (st.handshake !== undefined || st.failed || !c.isWebsocket) return false;
    if (!st.closeSent) {
      sendClose(c, st, WS_CLOSE_GOING_AWAY, "server shutting down");
    }
    return !st.closeReceived;
  }

  /** The handler threw on a message: close 1011 (internal error, RFC 6455 §7.4.1). */
  onHandlerError(c: Connection, ev: number, _err: unknown): void {
    const st = this.st;
    if (ev !== MG_EV_WS_MSG && ev !== MG_EV_WS_CTL && ev !== MG_EV_WS_OPEN) return;
    if (st.closeSent || st.failed || !c.canSend) return;
    sendClose(c, st, WS_CLOSE_INTERNAL_ERROR, "handler error");
  }
}

/** The WebSocket state of `c`, or undefined. */
export function wsStateOf(c: Connection): WsConnState | undefined {
  const l = c.layer;
  return l instanceof WsLayer ? l.st : undefined;
}

const sink: FrameSink = {
  message(c, _st, op, data, flags) {
    c.call(MG_EV_WS_MSG, new WsMessage(data, flags, op));
  },
  control(c, st, op, payload, flags) {
    // A ping is answered with a pong carrying the same data (section 5.5.2).
    if (op === WEBSOCKET_OP_PING && !st.closeSent) sendFrame(c, st, WEBSOCKET_OP_PONG, payload, !st.isServer);
    c.call(MG_EV_WS_CTL, new WsMessage(payload, flags, op));
    if (op === WEBSOCKET_OP_CLOSE) {
      // Section 5.5.1: answer a close with a close (echoing the code), then close the connection.
      if (!st.closeSent) {
        markCloseSent(st);
        sendFrame(c, st, WEBSOCKET_OP_CLOSE, payload.length >= 2 ? payload.subarray(0, 2) : EMPTY, !st.isServer);
      }
      c.drain();
    }
  },
  fail: wsFail,
};

/**
 * Fails the WebSocket connection (RFC 6455 section 7.1.7): a close frame with `code`
 * (once), MG_EV_ERROR (ERR_WS_PROTOCOL with the close code), then drain.
 */
function wsFail(c: Connection, st: WsConnState, code: number, reason: string): void {
  st.failed = true;
  if (!st.closeSent) {
    sendClose(c, st, code, reason);
  }
  if (c.recvLen > 0) c.recvConsume();
  c.lastError = new MgError("ERR_WS_PROTOCOL", `WebSocket: ${reason} (close ${code})`, { closeCode: code });
  c.call(MG_EV_ERROR, c.lastError.message);
  c.drain();
}

/** Queues our close frame (the reason cut to fit a control frame) and notes it was sent. */
function sendClose(c: Connection, st: WsConnState, code: number, reason: string): void {
  markCloseSent(st);
  sendFrame(c, st, WEBSOCKET_OP_CLOSE, closePayload(code, reason.length > 120 ? reason.slice(0, 120) : reason), !st.isServer);
}

function markCloseSent(st: WsConnState): void {
  st.closeSent = true;
  st.closeSentAt = millis();
}

function wsState(c: Connection, what: string): WsConnState {
  const st = wsStateOf(c);
  if (st === undefined || !c.isWebsocket) {
    if (c.isClosed && c.isWebsocket) throw c.closedError(what);
    throw new MgError("ERR_WRONG_CONN", `${what}: connection ${c.id} is not a WebSocket`);
  }
  if (!c.canSend) throw c.closedError(what);
  return st;
}

/**
 * Sends a message (TEXT, BINARY) or a control frame (PING, PONG, CLOSE; at most 125
 * bytes). Returns the bytes queued: 0 when nothing was sent (the connection is closing,
 * a close frame was already sent, or the send queue is full under the "drop" policy).
 */
export function wsSend(c: Connection, data: string | Uint8Array, op: number): number {
  const st = wsState(c, "wsSend");
  if (typeof data !== "string" && !(data instanceof Uint8Array)) throw typeError("wsSend: data must be a string or Uint8Array");
  const masked = !st.isServer;
  if (op === WEBSOCKET_OP_PING || op === WEBSOCKET_OP_PONG || op === WEBSOCKET_OP_CLOSE) {
    const n = typeof data === "string" ? Buffer.byteLength(data) : data.length;
    if (n > MAX_CONTROL_PAYLOAD) throw new MgError("ERR_INVALID_ARG", `wsSend: control frame payload of ${n} bytes; at most 125 are allowed`);
    if (op === WEBSOCKET_OP_CLOSE && n > 0) checkCloseArg(data);
    if (!canSend(c, st)) return 0;
    if (op === WEBSOCKET_OP_CLOSE) markCloseSent(st);
    return sendFrame(c, st, op, data, masked);
  }
  if (op !== WEBSOCKET_OP_TEXT && op !== WEBSOCKET_OP_BINARY) {
    throw new MgError("ERR_INVALID_ARG", `wsSend: op must be WEBSOCKET_OP_TEXT, _BINARY, _PING, _PONG or _CLOSE, got ${op}`);
  }
  if (!canSend(c, st)) return 0;
  const queued = c.sendLen;
  // (For strings, length in UTF-16 units stands in for bytes: close enough for a limit.)
  if (queued > 0 && queued + data.length > st.maxSendQueue) {
    // Backpressure: a peer that reads too slowly must not make the queue grow without bound.
    if (st.sendQueuePolicy === "drop") { st.dropped++; return 0; }
    overflow(c, st);
    return 0;
  }
  const d = st.deflate;
  // A string of n UTF-16 units has at most 3n UTF-8 bytes: short ones skip byteLength().
  if (d !== undefined && (typeof data === "string" ? data.length * 3 >= d.threshold && Buffer.byteLength(data) >= d.threshold : data.length >= d.threshold)) {
    return sendFrame(c, st, op, d.compress(toBuffer(data)), masked, true);
  }
  return sendFrame(c, st, op, data, masked);
}

/** A close payload sent with wsSend() must be one a peer accepts (RFC 6455 section 7.4). */
function checkCloseArg(data: string | Uint8Array): void {
  const b = toBuffer(data);
  if (b.length < 2 || !isValidCloseCode(b.readUInt16BE(0))) {
    throw new MgError("ERR_INVALID_ARG", "wsSend: a close payload is empty, or a valid 2-byte close code and a reason");
  }
}

function canSend(c: Connection, st: WsConnState): boolean {
  // Nothing may follow our close frame (section 5.5.1).
  return c.canSend && !st.closeSent && !st.failed;
}

/** The send queue went over wsMaxSendQueue under the "close" policy: close 1008. */
function overflow(c: Connection, st: WsConnState): void {
  st.failed = true;
  sendClose(c, st, WS_CLOSE_POLICY_VIOLATION, "send queue full");
  c.lastError = new MgError("ERR_WS_PROTOCOL", `WebSocket: send queue over ${st.maxSendQueue} bytes, the peer reads too slowly (close ${WS_CLOSE_POLICY_VIOLATION})`, { closeCode: WS_CLOSE_POLICY_VIOLATION });
  c.call(MG_EV_ERROR, c.lastError.message);
  c.close();
}

/**
 * Starts the closing handshake (RFC 6455 section 7.1.2): sends a close frame with
 * `code` and `reason`; the connection closes when the peer answers (MG_EV_WS_CTL, then
 * MG_EV_CLOSE) or after wsCloseTimeoutMs.
 */
export function wsClose(c: Connection, code: number = WS_CLOSE_NORMAL, reason = ""): void {
  const st = wsState(c, "wsClose");
  const payload = closePayload(code, reason);
  if (!canSend(c, st)) return;
  markCloseSent(st);
  sendFrame(c, st, WEBSOCKET_OP_CLOSE, payload, !st.isServer);
}
