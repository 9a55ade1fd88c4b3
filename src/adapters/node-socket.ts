// The socket that node:http's ServerResponse writes to, for nodeHandler(). It stands for
// the connection: what the response writes is queued on the connection (with
// backpressure: a write completes once the send queue is short again), and it carries the
// addresses apps read from `req.socket` (remoteAddress, remotePort, encrypted, ...).
// One per connection, shared by the requests answered on it one after the other.
import { Duplex } from "node:stream";
import type { Connection } from "../connection.js";
import type { ConnectionHold } from "./hold.js";

function family(isIp6: boolean): string { return isIp6 ? "IPv6" : "IPv4"; }

export class AdapterSocket extends Duplex {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: string;
  readonly localAddress: string;
  readonly localPort: number;
  /** Present (true) on TLS connections, as on a tls.TLSSocket: Express's `req.protocol` reads it. */
  readonly encrypted: true | undefined;
  /** @internal The response using this socket now (ServerResponse.assignSocket sets it). */
  _httpMessage: unknown = null;

  constructor(private readonly conn: Connection, private readonly hold: ConnectionHold) {
    super({ allowHalfOpen: true });
    const r = conn.remoteAddr, l = conn.localAddr;
    this.remoteAddress = r.ip;
    this.remotePort = r.port;
    this.remoteFamily = family(r.isIp6);
    this.localAddress = l.ip;
    this.localPort = l.port;
    this.encrypted = conn.isTls ? true : undefined;
  }

  /** @internal */
  override _read(): void { /* the request body is pushed into the request itself */ }

  /** @internal */
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.conn.send(chunk);
    this.hold.whenWritable(cb);
  }

  /** @internal */
  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    for (let i = 0; i < chunks.length; i++) this.conn.send(chunks[i]!.chunk);
    this.hold.whenWritable(cb);
  }

  /** @internal */
  override _final(cb: (err?: Error | null) => void): void {
    this.conn.drain();
    cb();
  }

  /** @internal */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Destroyed by the app (req.destroy(), res.destroy()): the connection goes too.
    if (!this.conn.isClosed) this.conn.close();
    this.hold.wake();
    cb(err);
  }

  /** Ends the connection once what is queued is written (node:http calls it after a last response). */
  destroySoon(): void { this.conn.drain(); }

  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: family(this.conn.localAddr.isIp6), port: this.localPort };
  }

  // Socket options that node:http and apps set; the manager owns the real socket.
  setTimeout(_ms: number, cb?: () => void): this { if (cb) this.once("timeout", cb); return this; }
  setNoDelay(_noDelay?: boolean): this { return this; }
  setKeepAlive(_enable?: boolean, _delay?: number): this { return this; }
  ref(): this { return this; }
  unref(): this { return this; }
}
