// Feeds a connection's receive buffer to its WebSocket decoder (codec.ts) and hands
// what comes out to the layer. A thin adapter between the pure codec and Connection:
// it consumes what the decoder used and stops when the connection starts closing.
import type { CoreConnection as Connection } from "../core/connection.js";
import type { WsConnState } from "./state.js";
import type { WsDecodeSink } from "./codec.js";
import { WEBSOCKET_OP_CLOSE } from "./constants.js";

/** What the receiver hands on. */
export interface FrameSink {
  /** A complete text or binary message (reassembled, decompressed, UTF-8 checked). */
  message(c: Connection, st: WsConnState, op: number, data: Buffer, flags: number): void;
  /** A ping, pong or (checked) close frame. */
  control(c: Connection, st: WsConnState, op: number, payload: Buffer, flags: number): void;
  /** A protocol violation: close with `code`. */
  fail(c: Connection, st: WsConnState, code: number, reason: string): void;
}

/**
 * Whether decoding may go on after a handler ran: not once the connection is closing
 * (draining is fine), and not while the send queue is over the high-water mark
 * (receive-side backpressure: the frames wait in the receive buffer, which fills, and
 * the core stops reading the socket; see resumeFrames()).
 */
function goOn(c: Connection, st: WsConnState, sink: FrameSink): boolean {
  if (st.failed || !c.canSend) return false;
  if (c.sendLen > st.pauseAbove) { pause(c, st, sink); return false; }
  return true;
}

function pause(c: Connection, st: WsConnState, sink: FrameSink): void {
  st.paused = true;
  // The producer hook wakes the manager when the socket drains (sendLen low again),
  // which MG_EV_WRITE / MG_EV_POLL alone would notice only at the next poll timeout.
  if (c.producer === undefined && !c.isDraining) c.producer = st.wake ??= (): void => { if (!c.isClosed) resumeFrames(c, st, sink); };
}

/** Lets go of the producer hook (paused no more, or the connection drains). */
export function releaseHook(c: Connection, st: WsConnState): void {
  if (st.wake !== undefined && c.producer === st.wake) c.producer = undefined;
}

/**
 * Backpressure: when decoding is paused and the send queue is down to the low-water
 * mark, decodes what waits in the receive buffer. Returns true when it did.
 */
export function resumeFrames(c: Connection, st: WsConnState, sink: FrameSink): boolean {
  if (!st.paused || c.sendLen > st.resumeBelow) return false;
  st.paused = false;
  releaseHook(c, st);
  receiveFrames(c, st, sink);
  // What the handlers queued now is written by the next dispatch (which this asks for).
  if (c.sendLen > 0 && !c.isClosed) c.touch();
  return true;
}

/** Reads go to the receive buffer again. */
function unplace(c: Connection, st: WsConnState): void {
  if (st.place === undefined) return;
  st.place = undefined;
  c._recvPlace(undefined);
}

// One bridge reused by every call (no allocation per read); the fields are saved and
// restored around decode() in case a handler makes another connection receive.
class Bridge implements WsDecodeSink {
  c: Connection | undefined;
  st: WsConnState | undefined;
  sink: FrameSink | undefined;
  // What is handed on may be a view of a read, kept by the handler: that read's memory
  // is never reused (marked before any handler runs, which may itself release the read).
  message(op: number, data: Buffer, flags: number): boolean {
    const c = this.c!, st = this.st!;
    if (data.length > 0) c._recvKept(data);
    this.sink!.message(c, st, op, data, flags);
    return goOn(c, st, this.sink!);
  }
  control(op: number, payload: Buffer, flags: number): boolean {
    const c = this.c!, st = this.st!;
    if (op === WEBSOCKET_OP_CLOSE) st.closeReceived = true;
    if (payload.length > 0) c._recvKept(payload);
    this.sink!.control(c, st, op, payload, flags);
    return goOn(c, st, this.sink!);
  }
  fail(code: number, reason: string): void {
    this.sink!.fail(this.c!, this.st!, code, reason);
  }
}
const bridge = new Bridge();

/**
 * Decodes and hands on every complete frame in the receive buffer. The buffer is read
 * chunk by chunk as the socket delivered it (recvHead): a frame inside one chunk is a
 * view of it, a large frame streams chunk after chunk into its own buffer, and only a
 * frame (or header) that spans chunks is gathered, exactly as many bytes as it needs.
 */
export function receiveFrames(c: Connection, st: WsConnState, sink: FrameSink): void {
  if (st.failed || st.closeReceived) { if (c.recvLen > 0) c.recvConsume(); return; }
  if (!c.canSend) return;
  if (st.paused) {
    if (c.sendLen > st.resumeBelow) return;
    st.paused = false;
    releaseHook(c, st);
  }
  const pc = bridge.c, pst = bridge.st, psink = bridge.sink;
  bridge.c = c; bridge.st = st; bridge.sink = sink;
  try {
    const d = st.decoder;
    // Bytes the socket read straight into the streaming frame's buffer (see below) come
    // before anything in the receive buffer.
    const pl = st.place;
    if (pl !== undefined && pl.placed > 0) {
      const k = pl.placed;
      pl.placed = 0;
      d.placed(bridge, k);
      if (d.streamLeft === 0) unplace(c, st);
      if (st.failed || st.closeReceived || d.closed || d.failed) { unplace(c, st); if (c.recvLen > 0) c.recvConsume(); return; }
      if (st.paused || !c.canSend) return;
    }
    for (;;) {
      const total = c.recvLen;
      if (total === 0) return;
      // (The own variants: the bridge marks what it hands on as kept, above; a read no
      // one keeps a view of — empty messages, a large frame streamed into its own
      // buffer — may have its memory reused for later reads.)
      let buf = c._recvHeadOwn();
      const w = d.wants;
      if (w > buf.length) {
        if (total < 2) return; // (nothing to decode yet: the buffer holds one byte)
        // The frame or header at the front spans chunks: gather what it needs (or all there is).
        c.recvReserve(w);
        buf = c._recvDataOwn(w);
      }
      const used = d.decode(buf, bridge, c.recvSize);
      // (On a failure the layer has already emptied the buffer.)
      if (used > 0 && c.recvLen > 0) c.recvConsume(used);
      // A large frame streams and nothing else waits: the socket's next reads go straight
      // into the frame's buffer (no receive-buffer chunk in between).
      if (st.place === undefined && c.recvLen === 0 && d.streamLeft > 0) st.place = c._recvPlace(d.streamTarget, d.streamAt, d.streamLeft);
      // After a close frame or a failure, later input is discarded (section 5.5.1).
      if (st.failed || st.closeReceived || d.closed || d.failed) { unplace(c, st); if (c.recvLen > 0) c.recvConsume(); return; }
      if (st.paused || !c.canSend) return;
      // Stopped inside what it was given: a pause, or it needs more than there is.
      const left = buf.length - used;
      if (left > 0 && (d.wants <= left || c.recvLen <= left)) return;
    }
  } finally {
    bridge.c = pc; bridge.st = pst; bridge.sink = psink;
  }
}
