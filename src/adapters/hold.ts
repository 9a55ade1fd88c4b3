// While an adapter produces a response asynchronously it holds the connection through
// the connection's producer hook `_onWritable`. Being set, the hook keeps drain() (for
// instance after the client half-closed its side) from closing the connection before the
// response is out, and the manager calls it when the send queue has room again: that is
// the backpressure for long bodies, so a slow reader never makes the send queue grow
// without bound.
import type { Connection } from "../connection.js";

/** A writer pauses while this many bytes wait to be sent (the manager wakes it under 256 KiB). */
export const SEND_HIGH_WATER = 512 * 1024;

/** The connection is closed, or closing without sending what is queued. */
export function isGone(c: Connection): boolean {
  return !c.canSend;
}

export class ConnectionHold {
  private waiter: (() => void) | undefined;
  private readonly hook = (): void => {
    const w = this.waiter;
    if (w !== undefined && this.conn.sendLen < SEND_HIGH_WATER) { this.waiter = undefined; w(); }
  };

  constructor(readonly conn: Connection) {}

  /** Holds the connection open: a response is being produced. */
  hold(): void { this.conn.producer = this.hook; }

  /** The response is complete (or abandoned): let drain() close and the HTTP layer move on. */
  release(): void {
    const c = this.conn;
    if (c.producer === this.hook) c.producer = undefined;
    this.wake();
    // A drain() that waited for the hook to go away re-checks at the next dispatch.
  }

  /** True when more may be queued now. */
  get writable(): boolean { return this.conn.sendLen < SEND_HIGH_WATER || isGone(this.conn); }

  /**
   * Calls `cb` once the send queue is under the high-water mark or the connection is
   * gone: at once when it already is. One waiter at a time.
   */
  whenWritable(cb: () => void): void {
    if (this.writable) { cb(); return; }
    this.waiter = cb;
    if (this.conn.producer !== this.hook) this.conn.producer = this.hook;
  }

  /** Resolves a waiting writer (the connection closed). */
  wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
