// The receive buffer of a connection: an append-only window over a Buffer.
//
// Bytes once received are never overwritten in place. Parsed messages are views
// (subarray) into this memory and stay valid after the handler returns: appending only
// writes past the end of the current data, and growing allocates a new backing store
// instead of compacting the old one.

const EMPTY = Buffer.alloc(0);

export class RecvBuffer {
  private buf: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  /** True when `buf` is our own allocation whose tail past `end` is free to write. */
  private owned = false;

  get length(): number { return this.end - this.start; }
  get capacity(): number { return this.buf.length - this.start; }

  /** Appends bytes. The first chunk into an empty buffer is adopted without copying. */
  append(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    if (this.end === this.start) {
      this.buf = chunk; this.start = 0; this.end = n; this.owned = false;
      return;
    }
    if (this.owned && this.buf.length - this.end >= n) {
      chunk.copy(this.buf, this.end);
      this.end += n;
      return;
    }
    const len = this.end - this.start;
    const next = Buffer.allocUnsafeSlow(Math.max(len + n, Math.min(2 * (len + n), len + n + (1 << 20)), 16384));
    this.buf.copy(next, 0, this.start, this.end);
    chunk.copy(next, len);
    this.buf = next; this.start = 0; this.end = len + n; this.owned = true;
  }

  /** A view of the first `n` bytes (all when omitted). Valid for as long as it is kept. */
  view(n?: number): Buffer {
    const len = this.end - this.start;
    const take = n === undefined || n > len ? len : n < 0 ? 0 : n;
    return this.buf.subarray(this.start, this.start + take);
  }

  /** Drops `n` bytes from the front (all when omitted). */
  consume(n?: number): void {
    const len = this.end - this.start;
    if (n === undefined || n >= len) { this.clear(); return; }
    if (n > 0) this.start += n;
  }

  clear(): void { this.buf = EMPTY; this.start = 0; this.end = 0; this.owned = false; }
}
