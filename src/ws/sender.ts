// Frame building (RFC 6455 section 5.2): header, masking for clients (section 5.3),
// queued on the connection in as few buffers as possible.
//
// Small frames are written into a slab shared by every connection, and the small frames
// a connection sends one after another (an echo of many messages, a burst of
// broadcasts to one client) are queued as ONE view of the slab that grows with each
// frame, so a burst of 100,000 messages is a few buffers and a few writes, not 100,000.
// Slab bytes once queued are never written again while anything may still read them, so
// merging never changes queued data. A full slab is reused once every connection that
// queued views of it has handed them to its socket and the socket took them at once
// (SlabUse below); otherwise it is left to the garbage collector.
import type { CoreConnection as Connection } from "../core/connection.js";
import type { WsConnState, SlabUse } from "./state.js";
import { FIN, RSV1, headerLength, writeHeader, writeHeaderAt, writeMaskKey, maskInto, maskRange } from "./frame.js";

// Frames up to this size go into the slab (payload copied behind its header). A larger
// unmasked payload is queued as it is, after its header in the slab: no copy and no
// per-message allocation (a 16 KiB copy is an unpooled allocation the GC pays for);
// the core writes such big chunks with one writev instead of concatenating them.
const SMALL = 2048;
const SLAB_SIZE = 64 * 1024;

// Full slabs nobody reads any more, ready to be written again. A few are enough: an echo
// of many small messages fills one while the one before is being written.
const SPARES_MAX = 4;
const spares: Buffer[] = [];

// The slab being filled (`use.buf`) and where its free part starts.
let use: SlabUse = { buf: Buffer.allocUnsafeSlow(SLAB_SIZE), out: 0, kept: false };
let slabAt = 0;

function reuse(u: SlabUse): void {
  if (u.out === 0 && !u.kept && u !== use && spares.length < SPARES_MAX) { u.kept = true; spares.push(u.buf); }
}

/** Where in the slab a small frame of `size` bytes goes (a new slab when this one is full). */
function slabRoom(size: number): number {
  if (slabAt + size > SLAB_SIZE) {
    const full = use;
    use = { buf: spares.pop() ?? Buffer.allocUnsafeSlow(SLAB_SIZE), out: 0, kept: false };
    slabAt = 0;
    reuse(full);
  }
  return slabAt;
}

/**
 * The connection's queue was handed to its socket (the layer's onFlushed): the slabs it
 * had views of are free of them when the socket took every byte at once (`handedOver`);
 * when it did not, the socket may still read them, and they are never reused.
 */
export function slabsWritten(st: WsConnState, handedOver: boolean): void {
  const list = st.slabsOut;
  for (let i = 0; i < list.length; i++) {
    const u = list[i]!;
    u.out--;
    if (!handedOver) u.kept = true;
    reuse(u);
  }
  list.length = 0;
}

/** Queues the frame just written at slab[at..at+size): merged into the connection's last small frames when they are still the last thing queued. */
function slabQueue(c: Connection, st: WsConnState, at: number, size: number): void {
  const end = at + size;
  slabAt = end;
  const slab = use.buf;
  if (st.pending !== undefined && st.pendSlab === slab && st.pendEnd === at) {
    // The run grows; its longer view is made once, when the queue is written (endRun()).
    c._sendMore(size);
    st.pendEnd = end;
    return;
  }
  if (st.pending !== undefined) endRun(c, st); // (the run before, in another slab or not adjacent)
  // (Counted once per connection and slab until the queue is written: slabsWritten().)
  if (!st.slabsOut.includes(use)) { use.out++; st.slabsOut.push(use); }
  const view = slab.subarray(at, end);
  st.pending = view; st.pendSlab = slab; st.pendStart = at; st.pendEnd = end;
  c.send(view); // (the layer's onSend sees that this is `pending` and keeps it)
}

/** The run of small frames becomes one view of its slab, and the next frame starts a new one: before the queue is written (the layer's onFlush), or before something else is queued after the run. */
export function endRun(c: Connection, st: WsConnState): void {
  const p = st.pending;
  if (p === undefined) return;
  st.pending = undefined;
  if (st.pendEnd - st.pendStart !== p.length) c._swapQueued(p, st.pendSlab!.subarray(st.pendStart, st.pendEnd));
  st.pendSlab = undefined;
}

/**
 * Queues one frame with FIN set. `masked` for client frames; `compressed` sets RSV1
 * (the payload is already deflated). Returns the frame's size in bytes.
 */
export function sendFrame(c: Connection, st: WsConnState, op: number, payload: string | Uint8Array, masked: boolean, compressed = false): number {
  const b0 = FIN | (compressed ? RSV1 : 0) | op;
  const isString = typeof payload === "string";
  const len = isString ? (payload.length === 0 ? 0 : Buffer.byteLength(payload, "utf8")) : payload.length;
  const hl = headerLength(len, masked);
  const size = hl + len;
  if (size <= SMALL) {
    const at = slabRoom(size);
    const f = use.buf;
    let p = writeHeaderAt(f, at, b0, len, masked);
    const keyAt = p;
    if (masked) { writeMaskKey(f, p); p += 4; }
    if (len > 0) {
      if (isString) {
        f.write(payload, p, len, "utf8");
        if (masked) maskRange(f, p, p + len, f, keyAt);
      } else if (masked) {
        maskInto(payload, f, p, keyAt);
      } else {
        f.set(payload, p);
      }
    }
    slabQueue(c, st, at, size);
    return size;
  }
  if (isString) {
    const frame = Buffer.allocUnsafe(size);
    const at = writeHeader(frame, b0, len, masked);
    if (masked) {
      writeMaskKey(frame, at);
      frame.write(payload, hl, "utf8");
      maskRange(frame, hl, size, frame, at);
    } else {
      frame.write(payload, hl, "utf8");
    }
    c.send(frame);
    return size;
  }
  if (masked) {
    const frame = Buffer.allocUnsafe(size);
    const at = writeHeader(frame, b0, len, true);
    writeMaskKey(frame, at);
    maskInto(payload, frame, hl, at);
    c.send(frame);
  } else {
    // The header joins the connection's small frames queued just before (slabQueue);
    // the payload is queued after it, which ends that run (the layer's onSend).
    const at = slabRoom(hl);
    writeHeaderAt(use.buf, at, b0, len, false);
    slabQueue(c, st, at, hl);
    c.send(payload);
  }
  return size;
}
