// Accepting on a listening handle bound by bind.ts, and how accepted sockets read.
//
// net.Server creates the sockets it accepts itself and gives them no `onread` option, so
// every read of theirs allocates a fresh 64 KiB ArrayBuffer in C++, trims it and pushes
// it through the Readable stream machinery. Those ArrayBuffers outlive young-generation
// collections: a server that reads fast accumulates them until a full collection (tens
// of MiB for a WebSocket echo of small messages). Accepting on the handle ourselves lets
// the socket be created with `onread`: every read lands in one shared buffer and is
// copied out at once, into a pooled slab for small reads (no allocation of its own) or
// an arena of 64 KiB that is reused once no one views it (below). The copy is then
// handed on as a "data" event, so everything that listens for one (the connection's
// reader, a lingering close) works unchanged. While a layer waits for many bytes of one
// message (placeReads), the socket reads them straight into the layer's buffer instead.
import { Buffer } from "node:buffer"; // the module's binding: the global Buffer is a getter
import * as net from "node:net";
import * as util from "node:util";

/** What tcp.ts needs of a listener: closing it. */
export interface Listening { close(): void }

interface ListenHandle {
  onconnection: ((err: number, client: object | undefined) => void) | null;
  close(): void;
}

// Every read goes into this buffer; the callback copies it out before the next read
// (reads of all sockets happen one after another on this thread).
const READ_SIZE = 64 * 1024;
const readBuf = Buffer.allocUnsafeSlow(READ_SIZE);

// Reads up to POOLED bytes are copied into a slab shared by every socket; slab bytes once
// handed out are never written again (a full slab is left to the collector once nothing
// views it), so a chunk stays valid for as long as a layer keeps it.
const POOLED = 4096;
const SLAB_SIZE = 32 * 1024;
let slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
let slabAt = 0;

// Larger reads are copied into an arena of their own (READ_SIZE bytes). An arena whose
// bytes nobody took a view of (the receive buffer says so: see RecvBuffer) goes back to
// a few spares once the receive buffer lets go of it, and the next large read reuses
// it: a WebSocket server reading a flood of empty messages, or streaming a large frame
// into its own buffer, then allocates nothing per read, where each read's 64 KiB would
// otherwise wait, often for a full collection, before its memory is freed.
const SPARES_MAX = 16;
const spares: Buffer[] = [];
/** Arenas handed out whose bytes no one has a view of (yet). */
const clean = new WeakSet<ArrayBufferLike>();
/** Arenas in `spares`. */
const spared = new WeakSet<ArrayBufferLike>();

/** A copy of bytes [from..to) of `src`, a read (exported for tests). */
export function copyOut(src: Buffer, from: number, to: number): Buffer {
  const n = to - from;
  if (n > READ_SIZE) { // (from a read straight into a place given up meanwhile)
    const b = Buffer.allocUnsafe(n);
    src.copy(b, 0, from, to);
    return b;
  }
  if (n > POOLED) {
    let b = spares.pop();
    if (b !== undefined) spared.delete(b.buffer);
    else b = Buffer.allocUnsafeSlow(READ_SIZE);
    clean.add(b.buffer);
    src.copy(b, 0, from, to);
    return n === READ_SIZE ? b : b.subarray(0, n);
  }
  if (slabAt + n > SLAB_SIZE) { slab = Buffer.allocUnsafeSlow(SLAB_SIZE); slabAt = 0; }
  const at = slabAt;
  src.copy(slab, at, from, to);
  // (Next chunk 8-byte aligned: typed-array views of it stay aligned.)
  slabAt = (at + n + 7) & ~7;
  return slab.subarray(at, at + n);
}

/**
 * Someone may keep a view of `chunk`'s bytes: its arena (if it is one) is never reused,
 * even when the receive buffer let go of it already (a handler's recvData() can gather a
 * read out of the buffer while a layer is still reading it).
 */
export function taintRead(chunk: Buffer): void {
  const ab = chunk.buffer;
  if (ab.byteLength !== READ_SIZE) return; // (arenas are READ_SIZE long: a small read costs no lookup)
  clean.delete(ab);
  if (spared.has(ab)) {
    spared.delete(ab);
    const i = spares.findIndex((s) => s.buffer === ab);
    if (i >= 0) spares.splice(i, 1);
  }
}

/** The receive buffer holds nothing of `chunk` any more: a clean arena becomes a spare. */
export function releaseRead(chunk: Buffer): void {
  const ab = chunk.buffer;
  if (ab.byteLength !== READ_SIZE || !clean.has(ab)) return;
  clean.delete(ab);
  if (spares.length < SPARES_MAX) {
    spared.add(ab);
    spares.push(chunk.byteOffset === 0 && chunk.length === READ_SIZE ? chunk : Buffer.from(ab, 0, READ_SIZE));
  }
}

/**
 * Where a socket's next bytes go instead of its receive buffer: `left` bytes at
 * dest[at..]. A layer expecting that many bytes of one message (a large WebSocket frame
 * streaming into its own buffer) has them put there: the read under way is copied from
 * the shared buffer, later ones are read into dest itself (nextBuffer). `placed` counts
 * what arrived that way and the layer has not taken yet.
 */
export interface ReadPlace {
  dest: Buffer; at: number; left: number; placed: number;
  /** The bytes belong to the connection's receive buffer (RecvBuffer.prepareFill), not to a layer's buffer. */
  recv: boolean;
  /** The view of dest the socket's next read goes into, when it was given one (see nextBuffer). */
  view: Buffer | undefined;
}

const PLACE = Symbol("readPlace");
type PlacingSocket = net.Socket & { [PLACE]: ReadPlace | undefined };

/**
 * Sends `sock`'s next `left` bytes to dest[at..] (see ReadPlace), or stops that (`dest`
 * undefined). Returns the place, or undefined when the socket does not read through
 * the shared buffer (TLS, outgoing sockets): the bytes then come as usual.
 */
export function placeReads(sock: net.Socket, dest: Buffer | undefined, at = 0, left = 0, recv = false): ReadPlace | undefined {
  if (!(PLACE in sock)) return undefined;
  const s = sock as PlacingSocket;
  s[PLACE] = dest === undefined || left <= 0 ? undefined : { dest, at, left, placed: 0, recv, view: undefined };
  return s[PLACE];
}

/** True when `sock` can have its reads placed (an accepted plain socket). */
export function canPlace(sock: net.Socket): boolean { return PLACE in sock; }

/** Fewer bytes than this still to come are not worth placing: a read through the shared buffer takes them with what follows. */
export const PLACE_MIN = READ_SIZE;

function onRead(this: PlacingSocket, n: number, buf: Buffer): void {
  const p = this[PLACE];
  reader = this;
  if (buf !== readBuf) {
    // The read went into the view nextBuffer() gave: in place already, unless the place
    // was given up meanwhile (a failed frame: those bytes are then the socket's as usual).
    if (p !== undefined && p.view === buf) { p.view = undefined; placedIn(this, p, n); }
    else this.emit("data", copyOut(buf, 0, n));
    return;
  }
  if (p !== undefined && p.left > 0) {
    const k = n < p.left ? n : p.left;
    readBuf.copy(p.dest, p.at, 0, k);
    placedIn(this, p, k);
    if (k < n) this.emit("data", copyOut(readBuf, k, n));
    return;
  }
  this.emit("data", copyOut(readBuf, 0, n));
}

/** `k` more bytes are at p.dest[p.at..]: counted, and reported as "placed". */
function placedIn(sock: PlacingSocket, p: ReadPlace, k: number): void {
  p.at += k; p.left -= k; p.placed += k;
  if (p.left === 0) { sock[PLACE] = undefined; placeComplete(); }
  sock.emit("placed", k, p);
}

// V8 frees dead ArrayBuffers of the young generation in a minor GC, and checks whether
// one is due (32 MiB of young ArrayBuffer memory) only when a new ArrayBuffer is
// allocated. Reads placed into a message's own buffer allocate nothing, so with large
// messages that check would run only at the next message's allocation: the previous
// message's buffer, long dead, is then freed after the next one has taken new memory.
// Allocating a 1-byte ArrayBuffer when a place is complete runs the check then, while
// the next message is still on its way, and its buffer can reuse the freed memory.
// (Echoing 16 MiB messages: peak RSS 148 -> 132 MiB, a quarter of the page faults.)
let checkpoint: ArrayBuffer | undefined;
function placeComplete(): void { checkpoint = new ArrayBuffer(1); }

// The socket whose read callback ran last: Node asks nextBuffer() for that socket's next
// read buffer right after its callback returns.
let reader: PlacingSocket | undefined;

/**
 * Where the next read of the socket that just read goes: while a large frame is placed
 * and at least a full read of it is still to come, straight into its buffer (the
 * kernel copies the bytes there, none pass through the shared buffer; the view is at
 * most what the frame still lacks, so no later bytes land in it); else the shared buffer.
 */
function nextBuffer(): Buffer {
  const s = reader;
  reader = undefined;
  const p = s?.[PLACE];
  if (p === undefined || p.left < PLACE_MIN) return readBuf;
  return p.view = p.dest.subarray(p.at, p.at + p.left);
}

const readOption = { buffer: nextBuffer, callback: onRead };

/**
 * Accepts connections on `handle` (bound and listening). Each socket starts paused, as
 * with net.Server's `pauseOnConnect`, and is given to `onSocket`; `onError` gets an
 * accept error (the listener keeps listening).
 */
export function acceptOn(handle: object, onSocket: (sock: net.Socket) => void, onError: (msg: string) => void): Listening {
  const h = handle as ListenHandle;
  h.onconnection = (err, client) => {
    if (err !== 0 || client === undefined) { onError(`accept: ${util.getSystemErrorName(err)}`); return; }
    const sock = new net.Socket({
      handle: client, allowHalfOpen: true, pauseOnCreate: true, readable: true, writable: true, onread: readOption,
    } as net.SocketConstructorOpts) as PlacingSocket;
    sock[PLACE] = undefined;
    onSocket(sock);
  };
  return { close(): void { if (h.onconnection !== null) { h.onconnection = null; h.close(); } } };
}
