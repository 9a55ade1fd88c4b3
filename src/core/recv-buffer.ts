// The receive buffer of a connection: the bytes received and not consumed yet, as a
// contiguous front and, behind it, the chunks that arrived since (not copied yet).
//
// Appending never copies: a chunk read from the socket is kept as it is. Bytes are
// copied only when a layer asks for more contiguous bytes than the front holds (view()),
// and then only as many as it asks for; a layer that can work chunk by chunk (the
// WebSocket decoder streaming a large frame) reads head() and never pays for a copy.
//
// Bytes once received are never overwritten in place (a layer may modify bytes it has
// been given, e.g. unmask a WebSocket payload, but the buffer never does): views
// returned by view()/head() stay valid after the handler returns, because merging only
// writes past the end of the front's data, and growing allocates a new backing store
// instead of compacting the old one.

import { releaseRead, taintRead } from "./accept.js";

const EMPTY = Buffer.alloc(0);
// Growth of the front when view() gathers everything: doubling, at most 1 MiB at a time.
const GROW_MAX_STEP = 1 << 20;
const GROW_MIN = 16384;

export class RecvBuffer {
  // The front: buf[start..end).
  private buf: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  /** True when `buf` is our own allocation whose tail past `end` is free to write. */
  private owned = false;
  /** Chunks behind the front, in order: rest[ri..]; their bytes: restLen. */
  private rest: Buffer[] = [];
  private ri = 0;
  private restLen = 0;
  /** reserve(): the next allocation of the front has room for at least this many bytes. */
  private hint = 0;
  /** reserve(): the bytes the message at the front needs in all (0: none reserved). */
  private want = 0;

  get length(): number { return this.end - this.start + this.restLen; }
  /** Bytes the front can hold without a new allocation. */
  get capacity(): number { return this.buf.length - this.start; }
  /** Pieces the data is in (1 when contiguous, 0 when empty). */
  get pieces(): number { return (this.end > this.start ? 1 : 0) + this.rest.length - this.ri; }

  /** Appends bytes without copying them: `chunk` is kept, and must not be written to by the caller afterwards. */
  append(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    if (this.end === this.start) {
      // (Empty front means empty buffer: consume() promotes the next chunk.)
      this.buf = chunk; this.start = 0; this.end = n; this.owned = false;
      return;
    }
    this.rest.push(chunk);
    this.restLen += n;
  }

  /**
   * A contiguous view of the first `n` bytes (all when omitted; fewer when fewer are
   * there). Copies only when they span chunks, and then only what it must. Valid for as
   * long as it is kept.
   */
  view(n?: number, kept = true): Buffer {
    const len = this.length;
    const take = n === undefined || n > len ? len : n < 0 ? 0 : n;
    if (this.start + take > this.end) this.gather(take, n === undefined);
    // (A view that may be kept: the memory it shows is never reused for later reads.)
    if (kept) taintRead(this.buf);
    return this.start === 0 && take === this.buf.length ? this.buf : this.buf.subarray(this.start, this.start + take);
  }

  /** The first contiguous piece (empty when there is nothing), without copying. */
  head(kept = true): Buffer {
    // A chunk read whole (the common case) is handed on as it is: no view to allocate.
    const b = this.buf;
    if (kept) taintRead(b);
    return this.start === 0 && this.end === b.length ? b : b.subarray(this.start, this.end);
  }

  /**
   * A hint from the layer: the message at the front needs `n` contiguous bytes, so the
   * next time the front has to grow it gets room for that many at once (bytes arriving
   * later are then copied once, behind the others, instead of again at each growth).
   * The caller caps `n` (CoreConnection.recvReserve caps it at the receive limit).
   */
  reserve(n: number): void { this.hint = this.want = n > 0 ? n : 0; }

  /**
   * Readies the front to be filled in place: when the reserved message still lacks at
   * least `min` bytes, makes the front one buffer of our own with room for all of it
   * (copying what is there, once) and returns how many bytes are still to come; the
   * socket can then read them straight to fillBuf[fillAt..] and report them with
   * filled(). Returns 0 otherwise.
   */
  prepareFill(min: number): number {
    const len = this.length;
    if (this.want - len < min || len === 0) return 0;
    if (!this.owned || this.start + this.want > this.buf.length) {
      let next: Buffer;
      // (Room for the whole message is asked of the allocator before its bytes are in:
      // when it refuses, the bytes just come as usual.)
      try { next = Buffer.allocUnsafeSlow(this.want); } catch { return 0; }
      this.buf.copy(next, 0, this.start, this.end);
      releaseRead(this.buf);
      this.buf = next; this.end -= this.start; this.start = 0; this.owned = true;
      this.hint = 0;
    }
    if (this.ri < this.rest.length) this.gather(len, false);
    return this.start + this.want - this.end;
  }
  /** A reservation is in force (reserve() and nothing consumed since). */
  get reserving(): boolean { return this.want > 0; }
  get fillBuf(): Buffer { return this.buf; }
  get fillAt(): number { return this.end; }

  /**
   * `n` bytes were written at dest[at..] for prepareFill(): they join the front when that
   * is still where they belong (nothing consumed the front or arrived behind it since).
   * False otherwise: the caller then appends a copy.
   */
  filled(dest: Buffer, at: number, n: number): boolean {
    if (dest !== this.buf || at !== this.end || !this.owned || this.ri < this.rest.length || at + n > dest.length) return false;
    this.end += n;
    return true;
  }

  /** Drops `n` bytes from the front (all when omitted). */
  consume(n?: number): void {
    const len = this.length;
    if (n === undefined || n >= len) { this.clear(); return; }
    if (!(n > 0)) return;
    this.want = 0; // (the reserved message is what is consumed)
    const front = this.end - this.start;
    if (n < front) { this.start += n; return; }
    n -= front;
    // The front is used up: the next chunk (less what is consumed of it) becomes the front.
    releaseRead(this.buf);
    const rest = this.rest;
    let c = rest[this.ri]!;
    while (n >= c.length) { n -= c.length; this.restLen -= c.length; releaseRead(c); c = rest[++this.ri]!; }
    this.ri++;
    this.restLen -= c.length;
    this.buf = c; this.start = n; this.end = c.length; this.owned = false;
    if (this.ri === rest.length) { rest.length = 0; this.ri = 0; }
  }

  clear(): void {
    releaseRead(this.buf);
    for (let i = this.ri; i < this.rest.length; i++) releaseRead(this.rest[i]!);
    this.buf = EMPTY; this.start = 0; this.end = 0; this.owned = false;
    if (this.rest.length > 0) { this.rest.length = 0; this.ri = 0; this.restLen = 0; }
    this.hint = this.want = 0;
  }

  /** Makes the first `take` bytes contiguous (they span the front and chunks behind it). */
  private gather(take: number, all: boolean): void {
    const front = this.end - this.start;
    if (!this.owned || this.start + take > this.buf.length) {
      // A new front: room for what is asked (with headroom when everything is gathered,
      // so that a caller waiting for more, such as an HTTP body, does not copy it again).
      let cap = all ? Math.max(take, Math.min(2 * take, take + GROW_MAX_STEP), GROW_MIN) : take;
      if (this.hint > cap) cap = this.hint;
      this.hint = 0;
      const next = Buffer.allocUnsafeSlow(cap);
      this.buf.copy(next, 0, this.start, this.end);
      releaseRead(this.buf);
      this.buf = next; this.start = 0; this.end = front; this.owned = true;
    }
    // Move chunks (the last one maybe in part) behind the front's data.
    let need = take - (this.end - this.start);
    const rest = this.rest;
    while (need > 0) {
      const c = rest[this.ri]!;
      if (c.length <= need) {
        c.copy(this.buf, this.end);
        releaseRead(c);
        this.end += c.length; this.restLen -= c.length; need -= c.length;
        this.ri++;
      } else {
        c.copy(this.buf, this.end, 0, need);
        rest[this.ri] = c.subarray(need);
        this.end += need; this.restLen -= need; need = 0;
      }
    }
    if (this.ri === rest.length) { rest.length = 0; this.ri = 0; }
  }
}
