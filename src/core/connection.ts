// The core connection: a socket (TCP, UDP or a listener), its receive buffer, its send
// queue, the handler that receives its events, and the protocol layer that sees every
// event first (Mongoose's `pfn`). It knows no protocol: the public Connection
// (src/connection.ts) extends it with the protocol methods.
import { Buffer } from "node:buffer"; // the module's binding: the global Buffer is a getter, called at each use
import type * as net from "node:net";
import type * as dgram from "node:dgram";
import { MG_EV_ERROR } from "./events.js";
import { RecvBuffer } from "./recv-buffer.js";
import type { Addr } from "./addr.js";
import { DEFAULT_WRITE_TIMEOUT_MS, type CoreOptions } from "./options.js";
import { taintRead, placeReads, canPlace, PLACE_MIN, type Listening, type ReadPlace } from "./accept.js";
import type { TlsOpts } from "../tls/options.js";
import { toBuffer } from "../util/bytes.js";
import { MgError, type MgErrorCode } from "../util/errors.js";
import { logDebug, logLevel, MG_LL_DEBUG } from "../util/log.js";

export type { Addr };

/**
 * A protocol layer (Mongoose's `pfn` with its `pfn_data`): an object per connection
 * that holds the protocol's state, sees every event before the user's handler, and
 * answers the few questions the core asks where the lifecycle meets the protocol. The
 * core never reads a layer's state. (Re-exported by layer.ts.)
 */
export interface Layer {
  /** Every event of the connection, before the user's handler. */
  onEvent(c: CoreConnection, ev: number, data: unknown): void;
  /** Bytes the application queued with send() (client layers that track requests). */
  onSend?(c: CoreConnection, data: Buffer): void;
  /**
   * A large read of `bytes` just reached the receive buffer, before any event: the layer
   * may look at the buffer (without consuming) and reserve room for the message at its
   * front (recvReserve), so that the rest of it is read straight there. No handler runs here.
   */
  onArrive?(c: CoreConnection, bytes: number): void;
  /**
   * The peer finished sending (half-close). Return true when the layer closes the
   * connection itself once the work in progress is done; false lets the core drain it.
   */
  onPeerEnd?(c: CoreConnection): boolean;
  /** drain() was called: the last chance to adjust what is queued (before it is written). */
  onDrain?(c: CoreConnection): void;
  /**
   * The queue is about to be written: a layer that counted bytes with _sendMore() puts
   * the chunk that holds them in place of the one it queued (see _sendMore()).
   */
  onFlush?(c: CoreConnection): void;
  /**
   * The queue was handed to the socket; `handedOver` is true when the socket took every
   * byte at once (plain TCP, nothing left in its buffer), so nothing of what was queued
   * is read any more and a layer may write into that memory again.
   */
  onFlushed?(c: CoreConnection, handedOver: boolean): void;
  /**
   * close() or error() was called on an open connection: what is queued now is still
   * written before the socket goes, so a carrier can queue its last word (MQTT over
   * WebSocket: the close frame).
   */
  onClose?(c: CoreConnection): void;
  /**
   * The manager is shutting down: tell the peer (WebSocket 1001, ...). Return true when
   * work in progress should finish first (the layer then drains or closes the
   * connection itself, and the manager waits for it up to its deadline); false lets the
   * core drain it now.
   */
  onShutdown?(c: CoreConnection): boolean;
  /** The user's handler threw while handling `ev`: give the peer an error answer. */
  onHandlerError?(c: CoreConnection, ev: number, err: unknown): void;
}

/** Creates the layer of a new connection (accepted or connecting); undefined: raw bytes. */
export type LayerFactory = (c: CoreConnection) => Layer | undefined;

/**
 * What a connection needs of its manager (CoreManager implements it). Declared here so
 * that the socket, TLS and connection files need not import the manager.
 */
export interface CoreHost {
  handler: CoreHandler | undefined;
  /** @internal */ _now: number;
  /** @internal */ _reportError(e: unknown): void;
  /** @internal */ _resumeIfRoom(c: CoreConnection): void;
  /** @internal */ _needsFlush(c: CoreConnection): void;
  /** @internal */ _sendDatagram(c: CoreConnection, buf: Buffer): boolean;
  /** @internal */ _touch(c: CoreConnection): void;
  /** @internal */ _markDirty(c: CoreConnection): void;
  /** @internal */ _resolveAndConnect(c: CoreConnection, url: string, resolveOnly: boolean): void;
  /** @internal */ _tlsInit(c: CoreConnection, opts: TlsOpts): void;
  /** @internal */ _tlsFree(c: CoreConnection): void;
  /** @internal */ _newConn(handler: CoreHandler | undefined, opts: CoreOptions): CoreConnection;
  /** @internal */ _onError(c: CoreConnection, msg: string, code: MgErrorCode): void;
  /** @internal */ _onClosed(c: CoreConnection): void;
  /** @internal */ _attachSocket(c: CoreConnection, sock: net.Socket): void;
  /** @internal */ _tlsReady(c: CoreConnection): void;
  /** @internal */ _tlsFailed(c: CoreConnection, msg: string): void;
}

/**
 * The handler type the core calls. Declared through a method so that handlers typed
 * with narrower parameters (the public EventHandler) fit.
 */
export type CoreHandler = { fn(c: CoreConnection, ev: number, data: unknown): void }["fn"];

const NO_ADDR: Addr = Object.freeze({ ip: "", port: 0, isIp6: false }) as Addr;
const DEFAULT_MAX_RECV = 1 << 20;
// send() returns false above this many queued bytes (the writes of one event are batched).
const SEND_HIGH_WATER = 256 * 1024;

export class CoreConnection {
  // First, the fields an MG_EV_POLL round reads of every connection (roundSlice, call,
  // afterEvents): declared first, they share the object's first cache lines, so a round
  // over 10k idle connections touches two lines of each instead of six.
  /** @internal */ _handler: CoreHandler | undefined;
  /** @internal the protocol layer (sees every event first). */ _layer: Layer | undefined;
  /** @internal */ _outBytes = 0;
  /** @internal */ _closed = false;
  /** @internal */ _paused = false;
  /** @internal the dispatch (manager._polls) that last sent this connection MG_EV_POLL. */
  _pollStamp = 0;
  /** @internal bytes wait in the socket: the write-stall check looks at this connection. */
  _writing = false;
  /**
   * @internal The layer needs no MG_EV_POLL of the round before this time (ms; 0: it
   * wants every one). Set by a layer whose POLL work is only deadlines (HttpLayer), reset
   * by setLayer(); the round then calls only the handler, which keeps getting every
   * MG_EV_POLL. See CoreManager.roundSlice.
   */
  _layerPollAt = 0;
  /** Set by close() or an error: the connection closes at the end of this event. */
  isClosing = false;
  /** Set by drain(): the connection closes as soon as everything queued is written. */
  isDraining = false;
  /** Unique, increasing id (1, 2, ...). */
  readonly id: number;
  /** The manager that owns this connection. */
  readonly manager: CoreHost;
  /** What the application wants to keep with this connection. */
  userdata: unknown = undefined;
  /** A listener (made by `listen()`): it accepts connections (TCP) or receives datagrams from any peer (UDP). */
  isListening = false;
  /** Made by `connect()` (or a protocol client such as `wsConnect()`), not accepted. */
  isClient = false;
  /** A UDP connection (`udp://`): each datagram is one MG_EV_READ. */
  isUdp = false;
  /** TLS is on (`https://`, `wss://`, `mqtts://`, `tls://`, or after `tlsInit()`). */
  isTls = false;
  /** The connection speaks WebSocket (after the upgrade, client or server). */
  isWebsocket = false;
  /** This end's address. A listener's has the real port (also for port 0) when `listen()` returns, except on the asynchronous fallback (cluster workers, host names: README "Why listen() uses tcp_wrap"). */
  localAddr: Addr = NO_ADDR;
  /** The peer's address (set on MG_EV_ACCEPT, MG_EV_RESOLVE; for a UDP listener, the sender of the last datagram). */
  remoteAddr: Addr = NO_ADDR;
  /** The error behind the last MG_EV_ERROR of this connection, with its stable `code`. */
  lastError: MgError | undefined = undefined;

  /** @internal listeners: makes the layer of each accepted connection. */ _layerFactory: LayerFactory | undefined;
  /** @internal */ _opts: CoreOptions;
  /** @internal */ readonly _recv = new RecvBuffer();
  /** @internal */ _maxRecv: number;
  /**
   * @internal What waits to be written: Buffers, and the strings a layer queued with
   * _sendText (an HTTP answer goes to the socket as a string: no Buffer is made for it).
   */
  _out: (Buffer | string)[] = [];
  /** @internal */ _socket: net.Socket | undefined;
  /** @internal */ _server: Listening | undefined;
  /** @internal */ _udp: dgram.Socket | undefined;
  /** @internal UDP datagrams waiting for dispatch, with their senders. */
  _datagrams: { data: Buffer; from: Addr }[] = [];
  /** @internal the UDP peer is fixed (connect) rather than the last sender (listen). */
  _udpConnected = false;
  // Events that arrived from Node and wait for the next poll's dispatch.
  /** @internal */ _dirty = false;
  /** @internal */ _evOpen = false;
  /** @internal */ _evResolve = false;
  /** @internal */ _evConnect = false;
  /** @internal */ _evAccept = false;
  /** @internal */ _evTlsHs = false;
  /** @internal */ _evRead = 0;
  /** @internal */ _evWrite = 0;
  /** @internal */ _evErrors: MgError[] = [];
  /** @internal */ _evEnd = false;
  /** @internal MG_EV_WAKEUP payloads waiting for dispatch. */
  _wakeups: Buffer[] = [];
  /** @internal */ _evClosed = false;
  /** @internal CONNECT (client) or ACCEPT (server) has been dispatched: sends may be flushed. */
  _established = false;
  /** @internal listed in the manager's connections to write at the end of the dispatch or turn. */
  _flushListed = false;
  /** @internal a producer (static file stream, ...) to call when the send queue has room. */
  _onWritable: (() => void) | undefined;
  /** @internal pending DNS lookup; cancelled by resolveCancel() (`cancel` drops it from the resolver) */
  _resolving: { cancelled: boolean; cancel?: () => void } | undefined;
  /** @internal resolve() only: no connect after MG_EV_RESOLVE. */
  _resolveOnly = false;
  /** @internal */ _tlsOpts: TlsOpts | undefined;
  /** @internal TLS handshake in progress: plaintext must not be flushed. */
  _tlsPending = false;
  /** @internal The URL's scheme asks for TLS (https, wss, mqtts, tls, ssl): never speak in clear. */
  _tlsScheme = false;
  /** @internal ALPN protocols offered by default (the layer's, e.g. http/1.1). */
  _alpn: string[] | undefined;
  /** @internal Client: the host of the URL connected to (the default TLS name). */
  _host = "";
  /** @internal The receive-buffer limit was set by the user (maxRecvSize or recvSize). */
  _recvSizeSet: boolean;
  /** @internal writeTimeoutMs (0: off), and the write progress it watches (see CoreManager). */
  _writeTimeoutMs: number;
  /** @internal */ _handed = 0;
  /** @internal */ _drained = 0;
  /** @internal */ _queued = 0;
  /** @internal */ _progressAt = 0;
  /**
   * @internal Set by a layer before drain(): once everything is written, the write side
   * closes and the peer's further bytes are read and discarded for a bounded time before
   * the socket closes (a lingering close, see linger.ts), so the peer reads our last packet.
   */
  _linger = false;

  /** @internal */
  constructor(manager: CoreHost, id: number, handler: CoreHandler | undefined, opts: CoreOptions) {
    this.manager = manager;
    this.id = id;
    this._handler = handler;
    this._opts = opts;
    this._recvSizeSet = opts.maxRecvSize !== undefined;
    this._maxRecv = opts.maxRecvSize ?? DEFAULT_MAX_RECV;
    this._writeTimeoutMs = opts.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
  }

  // ---- handler ------------------------------------------------------------------

  /** The handler that receives this connection's events (the manager's when unset). */
  get handler(): CoreHandler | undefined { return this._handler ?? this.manager.handler; }
  set handler(h: CoreHandler | undefined) { this._handler = h; }
  setHandler(h: CoreHandler | undefined): void { this._handler = h; }

  /**
   * Sends an event to this connection: first to the protocol layer, then to the
   * handler (Mongoose's mg_call). Use MG_EV_USER + n for events of your own. A throwing
   * handler is reported to the manager's errorHandler and never stops the loop; the
   * layer then gives the peer an error answer (HTTP 500, WebSocket 1011, ...).
   */
  call(ev: number, data?: unknown): void {
    const layer = this._layer;
    if (layer !== undefined) {
      try { layer.onEvent(this, ev, data); }
      catch (e) { this.manager._reportError(e); }
    }
    this._callHandler(ev, data);
  }

  /** @internal call() without the layer: the handler only (the round's MG_EV_POLL when the layer needs none). */
  _callHandler(ev: number, data?: unknown): void {
    const h = this._handler ?? this.manager.handler;
    if (h !== undefined) {
      try { h(this, ev, data); }
      catch (e) {
        this.manager._reportError(e);
        const l = this._layer;
        if (l?.onHandlerError !== undefined && !this._closed) {
          try { l.onHandlerError(this, ev, e); } catch (e2) { this.manager._reportError(e2); }
        }
      }
    }
  }

  // ---- state --------------------------------------------------------------------

  /** MG_EV_CLOSE has been delivered: nothing more can be sent or received. */
  get isClosed(): boolean { return this._closed; }
  /** Received bytes wait in the receive buffer. */
  get isReadable(): boolean { return this._recv.length > 0; }
  /** The socket accepts more data without queueing in memory. */
  get isWritable(): boolean {
    if (this._closed || this.isClosing || this.isListening) return false;
    if (this._udp) return true;
    const s = this._socket;
    return s !== undefined && !s.destroyed && !s.writableNeedDrain;
  }
  /** The receive buffer is full: reading from the socket is paused until the handler consumes. */
  get isFull(): boolean { return this._recv.length >= this._maxRecv; }
  /** Bytes in the receive buffer. */
  get recvLen(): number { return this._recv.length; }
  /** Capacity of the receive buffer: the most it holds before reading pauses. */
  get recvSize(): number { return this._maxRecv; }
  /** Sets the receive buffer's capacity (a positive integer of bytes); reading resumes if that makes room. */
  set recvSize(n: number) {
    if (!Number.isInteger(n) || n <= 0) throw new MgError("ERR_INVALID_ARG", `recvSize must be a positive integer, got ${n}`);
    this._maxRecv = n;
    this._recvSizeSet = true;
    this.manager._resumeIfRoom(this);
  }
  /** Bytes queued for sending and not yet written to the network. */
  get sendLen(): number { return this._outBytes + (this._socket?.writableLength ?? 0); }
  /** Capacity of the send side: bytes that may be queued before `isWritable` goes false. */
  get sendSize(): number { return this._socket?.writableHighWaterMark ?? 16384; }

  // ---- raw I/O ------------------------------------------------------------------

  /**
   * Queues bytes for sending (strings are UTF-8); they are written at the end of the
   * current event, batched into as few writes as possible. Throws (code
   * ERR_CONN_CLOSED) on a connection that is closed or closing. Returns false when the
   * queue is above the high-water mark (`sendSize`): the bytes are queued all the same,
   * and a producer should wait for MG_EV_WRITE / `isWritable`. A TCP listener sends
   * nothing and returns false. On UDP each call is one datagram, an empty one included.
   */
  send(data: string | Uint8Array): boolean {
    if (this._closed || this.isClosing) throw this.closedError("send");
    if (this.isListening && !this.isUdp) return false;
    const buf = toBuffer(data);
    if (this._udp) return this.manager._sendDatagram(this, buf);
    if (buf.length === 0) return true;
    const l = this._layer;
    if (l?.onSend !== undefined) l.onSend(this, buf);
    this._out.push(buf);
    this._outBytes += buf.length;
    this.manager._needsFlush(this);
    return this.sendLen <= SEND_HIGH_WATER;
  }

  /**
   * @internal Queues `text`, `bytes` long in UTF-8, as a string: the socket encodes it as
   * it writes (no Buffer per message), or bytes that must not be written to. For layers
   * that build their own messages (the HTTP server's answers): the layer's onSend is not
   * called.
   */
  _sendText(text: string | Buffer, bytes: number): void {
    if (this._closed || this.isClosing) throw this.closedError("send");
    this._out.push(text);
    this._outBytes += bytes;
    this.manager._needsFlush(this);
  }

  /**
   * @internal The chunk the layer queued last grows by `bytes` before it is written:
   * they are counted now (sendLen, backpressure) and the layer's onFlush() swaps in the
   * longer chunk (_swapQueued()). A WebSocket echo of many small frames makes one view
   * of its slab when the queue is written, instead of a new view per frame. Throws as
   * send() does on a closed or closing connection.
   */
  _sendMore(bytes: number): void {
    if (this._closed || this.isClosing) throw this.closedError("send");
    this._outBytes += bytes;
    this.manager._needsFlush(this);
  }

  /** @internal onFlush(): `neu` is queued in place of `old`; its extra bytes were counted by _sendMore(). */
  _swapQueued(old: Buffer, neu: Buffer): void {
    const q = this._out;
    let i = q.length - 1;
    if (q[i] !== old) i = q.lastIndexOf(old);
    if (i >= 0) q[i] = neu;
    else this._outBytes -= neu.length - old.length; // (gone already: the count must not stay ahead)
  }

  /** @internal An MgError for a send on a closed or closing connection. */
  closedError(what: string): MgError {
    return new MgError("ERR_CONN_CLOSED", `${what}: connection ${this.id} is ${this._closed ? "closed" : "closing"}`);
  }

  /** True when sends are accepted (not closed, not closing). */
  get canSend(): boolean { return !this._closed && !this.isClosing; }

  /** A view of the first `n` received bytes (all when omitted); nothing is consumed. */
  recvData(n?: number): Buffer { return this._recv.view(n); }

  /** Drops `n` bytes (all when omitted) from the front of the receive buffer. */
  recvConsume(n?: number): void {
    this._recv.consume(n);
    if (this._paused) this.manager._resumeIfRoom(this);
  }

  /** A copy of the first `n` bytes (all when omitted) queued but not yet handed to the socket. */
  sendData(n?: number): Buffer {
    const all = queuedBytes(this._out, this._outBytes);
    return n === undefined || n >= all.length ? all : all.subarray(0, Math.max(0, n));
  }

  /** Closes the connection at the end of this event: what is queued is written once, then the socket closes. */
  close(): void {
    if (this._closed) return;
    if (!this.isClosing) this.#closingHook();
    this.isClosing = true;
    this.manager._needsFlush(this);
  }

  /**
   * Closes the connection as soon as everything queued (and what a stream in progress,
   * such as serveFile, still sends) has been written; MG_EV_CLOSE follows without
   * waiting for the peer.
   */
  drain(): void {
    if (this._closed || this.isDraining) return;
    this.isDraining = true;
    const l = this._layer;
    if (l?.onDrain !== undefined) l.onDrain(this);
    this.manager._needsFlush(this);
  }

  /** Reports an error: MG_EV_ERROR with `msg`, then the connection closes. */
  error(msg: string | MgError): void {
    const err = typeof msg === "string" ? new MgError("ERR_HANDLER", msg) : msg;
    this.lastError = err;
    if (logLevel >= MG_LL_DEBUG) logDebug(`conn ${this.id}: ${err.code}: ${err.message}`);
    if (!this.isClosing && !this._closed) this.#closingHook();
    this.call(MG_EV_ERROR, err.message);
    this.isClosing = true;
    this.manager._needsFlush(this);
  }

  /** The layer's onClose, once, before the connection is marked closing (sends still allowed). */
  #closingHook(): void {
    const l = this._layer;
    if (l?.onClose === undefined) return;
    try { l.onClose(this); } catch (e) { this.manager._reportError(e); }
  }

  // ---- for protocol layers --------------------------------------------------------

  /** @internal The layer that sees this connection's events first. */
  get layer(): Layer | undefined { return this._layer; }
  /** @internal Replaces the layer (an upgrade: HTTP to WebSocket, or to a raw tunnel). */
  setLayer(l: Layer | undefined): void { this._layer = l; this._layerPollAt = 0; }
  /**
   * @internal A layer that parses whole messages from the receive buffer needs it this
   * big; the user's maxRecvSize / recvSize wins when set.
   */
  needRecvSize(n: number): void {
    if (!this._recvSizeSet && this._maxRecv < n) { this._maxRecv = n; this.manager._resumeIfRoom(this); }
  }
  /**
   * @internal The first contiguous piece of the receive buffer, as the socket delivered
   * it (no copy; empty when nothing waits). A layer that parses chunk by chunk reads
   * this and consumes with recvConsume(); recvData(n) gathers n bytes across pieces.
   */
  recvHead(): Buffer { return this._recv.head(); }

  /**
   * @internal recvHead() and recvData() for a layer that keeps no view of what they
   * return unless it says so with _recvKept(): the memory of what it consumed may then
   * be reused for later reads (core/accept.ts). The public ones assume views are kept.
   */
  _recvHeadOwn(): Buffer { return this._recv.head(false); }
  /** @internal See _recvHeadOwn(). */
  _recvDataOwn(n: number): Buffer { return this._recv.view(n, false); }
  /**
   * @internal The next `left` bytes from the socket are one message's and go straight
   * to dest[at..] (core/accept.ts placeReads), without passing through the receive buffer, when the
   * receive buffer is empty and the socket is an accepted plain one; undefined
   * otherwise (they come through the receive buffer as usual). `dest` undefined stops it.
   */
  _recvPlace(dest: Buffer | undefined, at = 0, left = 0): ReadPlace | undefined {
    const sock = this._socket;
    if (sock === undefined || this._closed || (dest !== undefined && this._recv.length !== 0)) return undefined;
    this._recvFill = undefined; // (one place per socket: this one replaces a fill of the receive buffer)
    return placeReads(sock, dest, at, left);
  }

  /** @internal The receive buffer's fill in place under way (see _placeRecv). */
  _recvFill: ReadPlace | undefined;

  /**
   * @internal After the layers have read: when the message at the front reserved (with
   * recvReserve) at least a full read more than has arrived, the socket's next reads go
   * straight into the receive buffer's front, sized for the whole message (an accepted
   * plain socket only; others append as usual).
   */
  _placeRecv(): void {
    const f = this._recvFill, r = this._recv;
    if (f === undefined && !r.reserving) return; // (the common case: nothing reserved)
    const sock = this._socket;
    if (sock === undefined || this._closed || !canPlace(sock)) return;
    if (f !== undefined) {
      // Still where the next bytes belong? (A layer may have consumed the message
      // meanwhile, or be taking it piece by piece, as httpUpload() does: then the rest
      // comes as usual, so that what was consumed is not kept in one buffer.)
      if (f.left > 0 && r.reserving && f.dest === r.fillBuf && f.at === r.fillAt) return;
      this._recvFill = undefined;
      placeReads(sock, undefined);
    }
    const left = r.prepareFill(PLACE_MIN);
    if (left > 0) this._recvFill = placeReads(sock, r.fillBuf, r.fillAt, left, true);
  }

  /**
   * @internal `n` bytes of a receive-buffer fill arrived (core/tcp.ts): they join the
   * front, or, when the front changed under the fill, come after what it holds as a
   * copy (and the fill stops).
   */
  _recvFilled(p: ReadPlace, n: number): void {
    const at = p.at - n;
    p.placed = 0;
    const current = p === this._recvFill;
    if (current && p.left === 0) this._recvFill = undefined;
    if (current && this._recv.filled(p.dest, at, n)) return;
    this._recv.append(Buffer.from(p.dest.subarray(at, p.at)));
    if (this._recvFill === p) {
      this._recvFill = undefined;
      if (this._socket !== undefined) placeReads(this._socket, undefined);
    }
  }

  /** @internal A view of `piece` (from _recvHeadOwn/_recvDataOwn) may be kept: its memory is never reused. */
  _recvKept(piece: Buffer): void { taintRead(piece); }
  /**
   * @internal The message at the front of the receive buffer needs `n` contiguous bytes: when
   * recvData() next has to gather, it allocates room for them at once, and on an
   * accepted plain socket the rest of the message is then read straight there. Capped at
   * the receive limit (recvSize), so a length announced by a peer never reserves more.
   * Consuming ends the reservation.
   */
  recvReserve(n: number): void { this._recv.reserve(n < this._maxRecv ? n : this._maxRecv); }
  /** @internal Replaces a buffer still waiting in the send queue; false when it was written already. */
  replaceQueued(old: Buffer | string, neu: Buffer | string): boolean {
    const i = this._out.lastIndexOf(old);
    if (i < 0) return false;
    this._out[i] = neu;
    this._outBytes += (typeof neu === "string" ? Buffer.byteLength(neu) : neu.length) - (typeof old === "string" ? Buffer.byteLength(old) : old.length);
    return true;
  }
  /** @internal Cuts the connection now, without writing what is queued (a peer that does not answer). */
  abort(): void {
    if (this._closed) return;
    if (this._socket !== undefined) this._socket.destroy();
    this.isClosing = true;
    this.isDraining = false;
    // Emptied in place, not replaced: a dropped array would keep its buffers alive for V8's young-generation GC (see CoreManager.flush).
    this._out.length = 0;
    this._outBytes = 0;
    this.manager._needsFlush(this);
  }
  /**
   * @internal A producer (a file stream, an adapter's response) that writes on its own:
   * called when the send queue has room; drain() waits until it is cleared.
   */
  get producer(): (() => void) | undefined { return this._onWritable; }
  /** @internal */
  set producer(fn: (() => void) | undefined) {
    this._onWritable = fn;
    if (fn === undefined && this.isDraining && !this._closed) this.manager._touch(this);
  }
  /** @internal Wakes the next poll for this connection (state changed outside socket events). */
  touch(): void { this.manager._touch(this); }

  // ---- TLS ----------------------------------------------------------------------

  /** Starts TLS on this connection: call on MG_EV_ACCEPT (server) or MG_EV_CONNECT (client). */
  tlsInit(opts: TlsOpts): void { this.manager._tlsInit(this, opts); }
  /** Forgets the TLS settings of a connection that has not started TLS yet. */
  tlsFree(): void { this.manager._tlsFree(this); }

  // ---- DNS ----------------------------------------------------------------------

  /**
   * Resolves a host name (`"example.com"`, or the host of a URL): MG_EV_RESOLVE with
   * `remoteAddr` set, or MG_EV_ERROR. A connection made by connect() goes on to connect
   * to the address unless it has a socket already; any other only resolves.
   */
  resolve(url: string): void {
    const connects = this.isClient && !this._resolveOnly && this._socket === undefined && this._udp === undefined;
    this.manager._resolveAndConnect(this, url, !connects);
  }
  /** Cancels a pending resolve(). */
  resolveCancel(): void {
    const r = this._resolving;
    this._resolving = undefined;
    if (r !== undefined) { r.cancelled = true; r.cancel?.(); }
  }
}

/**
 * What is queued, as one chunk for one socket write: the only one as it is, strings
 * joined, Buffers (and strings among them) concatenated.
 */
export function joinQueued(q: readonly (Buffer | string)[], bytes: number): Buffer | string {
  if (q.length === 1) return q[0]!;
  let strings = 0;
  for (let i = 0; i < q.length; i++) if (typeof q[i] === "string") strings++;
  if (strings === q.length) return q.join("");
  if (strings === 0) return concatBuffers(q as Buffer[], bytes);
  return Buffer.concat(q.map((b) => typeof b === "string" ? Buffer.from(b, "utf8") : b), bytes);
}

/**
 * Buffer.concat of the queued Buffers (`bytes` in all): the short ones (an MQTT ack, a
 * frame header) are copied byte by byte, which costs less than a TypedArray set() each.
 */
function concatBuffers(q: readonly Buffer[], bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let pos = 0;
  for (let i = 0; i < q.length; i++) {
    const b = q[i]!;
    const n = b.length;
    if (n <= 16) { for (let j = 0; j < n; j++) out[pos + j] = b[j]!; }
    else out.set(b, pos);
    pos += n;
  }
  return out;
}

/** What is queued, as one Buffer. */
export function queuedBytes(q: readonly (Buffer | string)[], bytes: number): Buffer {
  const j = joinQueued(q, bytes);
  return typeof j === "string" ? Buffer.from(j, "utf8") : j;
}
