// The Manager owns every connection. Node delivers socket events whenever they happen;
// the manager records them on the connection (received bytes go straight into the
// receive buffer) and dispatches them to handlers only inside poll(), as Mongoose does.
import * as net from "node:net";
import * as dns from "node:dns";
import { Connection } from "./connection.js";
import { toAddr } from "./addr.js";
import { listenTcp, connectTcp, attachSocket } from "./tcp.js";
import { bindUdpConn, connectUdp, sendDatagram } from "./udp.js";
import {
  MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_OPEN, MG_EV_POLL,
  MG_EV_READ, MG_EV_RESOLVE, MG_EV_TLS_HS, MG_EV_WAKEUP, MG_EV_WRITE, type EventHandler,
} from "./events.js";
import type { ConnectionOptions } from "./options.js";
import { TimerList, type Timer, type TimerOptions } from "./timers.js";
import { millis } from "../util/time.js";
import { urlHost, urlIsSsl, urlPort, urlScheme } from "../util/url.js";
import { attachHttp, httpPeerEnded } from "../http/protocol.js";
import { startTlsServer, tlsAfterConnect, prepareTlsServer } from "../tls/tls.js";
import { logError } from "../util/log.js";
import { wsConnect, type WsConnectOptions } from "../ws/client.js";
import { WS_CLOSE_GOING_AWAY } from "../ws/close.js";
import { WakeupChannel, type WakeupHandle } from "./wakeup.js";
import { httpRequest, type HttpRequestOptions, type HttpResponse } from "../http/client.js";
import { mqttConnect, type MqttConnectOptions } from "../mqtt/client.js";
import { mqttListen } from "../mqtt/server.js";
import { attachMqtt } from "../mqtt/layer.js";
import { sntpConnect, type SntpConnectOptions } from "../sntp/client.js";

export interface ManagerOptions {
  /** Called with whatever a handler throws (default: print the stack to stderr). */
  errorHandler?: (err: unknown) => void;
  /** Allow wakeup() calls (kept for API compatibility; always available). */
  enableWakeup?: boolean;
}

export interface RunOptions {
  /** Poll timeout in milliseconds (default 100). */
  pollMs?: number;
  /** Stop (and close gracefully) when this signal aborts. */
  signal?: AbortSignal;
}

const SCHEMES = new Set(["tcp", "udp", "http", "https", "ws", "wss", "mqtt", "mqtts", "tls", "ssl"]);
// What close() gives a draining connection before it is cut.
const CLOSE_GRACE_MS = 2000;
// When concatenating queued sends into one write stops paying off.
const CONCAT_LIMIT = 64 * 1024;

export class Manager {
  /** The default handler of connections that have none of their own. */
  handler: EventHandler | undefined;
  errorHandler: (err: unknown) => void;

  private readonly conns = new Map<number, Connection>();
  private connList: Connection[] | undefined;
  private nextId = 1;
  private readonly timers = new TimerList();
  // Connections with events waiting for dispatch, and the list being dispatched now.
  private dirty: Connection[] = [];
  private spare: Connection[] = [];
  // Connections with sends queued outside of a dispatch.
  private toFlush: Connection[] = [];
  private flushScheduled = false;
  private inDispatch = false;
  private waiter: (() => void) | undefined;
  private wakeScheduled = false;
  private polling: Promise<void> | undefined;
  private closed = false;
  /** @internal The time of the current dispatch (ms, monotonic): a clock for timeouts that need no precision. */
  _now = millis();
  private readonly wakeups: WakeupChannel[] = [];
  private readonly wakeFn = (): void => { this.wakeScheduled = false; const w = this.waiter; this.waiter = undefined; w?.(); };
  private readonly flushFn = (): void => { this.flushScheduled = false; this.flushPending(); };

  constructor(handler?: EventHandler, opts: ManagerOptions = {}) {
    this.handler = handler;
    this.errorHandler = opts.errorHandler ?? ((err) => logError("handler threw:", err));
  }

  /** Every open connection, listeners included. */
  get connections(): readonly Connection[] {
    return (this.connList ??= Array.from(this.conns.values()));
  }

  // ---- the loop -----------------------------------------------------------------

  /**
   * Waits up to `timeoutMs` for I/O, dispatches every event that arrived, runs due
   * timers, sends MG_EV_POLL to every connection and resolves.
   */
  poll(timeoutMs = 0): Promise<void> {
    if (this.polling) return this.polling;
    const p = this.pollOnce(timeoutMs).finally(() => { this.polling = undefined; });
    this.polling = p;
    return p;
  }

  private async pollOnce(timeoutMs: number): Promise<void> {
    let wait = Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 0;
    if (this.dirty.length === 0) {
      wait = Math.min(wait, this.timers.nextIn(millis()));
      await new Promise<void>((resolve) => {
        if (wait <= 0) { setImmediate(resolve); return; }
        const t = setTimeout(() => { this.waiter = undefined; resolve(); }, wait);
        this.waiter = () => { clearTimeout(t); resolve(); };
      });
    }
    this.dispatch();
  }

  /** Polls until SIGINT/SIGTERM or `signal` aborts, then closes gracefully. */
  async run(opts: RunOptions = {}): Promise<void> {
    const pollMs = opts.pollMs ?? 100;
    let stop = false;
    const onSignal = (): void => { stop = true; this.wake(); };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    opts.signal?.addEventListener("abort", onSignal, { once: true });
    try {
      while (!stop && !this.closed && !opts.signal?.aborted) await this.poll(pollMs);
    } finally {
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
      opts.signal?.removeEventListener("abort", onSignal);
    }
    await this.close();
  }

  /**
   * Closes every connection: listeners at once, others once what they are sending is
   * written (at most a couple of seconds); WebSocket peers get a close frame with 1001
   * (going away). Handlers receive MG_EV_CLOSE.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.timers.clear();
    for (const c of this.connections) {
      if (c.isListening || c._udp) { c.close(); continue; }
      // WebSocket peers learn why the connection ends (RFC 6455 section 7.4.1: 1001 going away).
      if (c.isWebsocket && !c.isClosing) c.wsClose(WS_CLOSE_GOING_AWAY, "server shutting down");
      c.drain();
    }
    const deadline = millis() + CLOSE_GRACE_MS;
    while (this.conns.size > 0 && millis() < deadline) await this.poll(20);
    for (const c of this.connections) { c._socket?.destroy(); this.finishClose(c); }
    for (const w of this.wakeups) w.close();
    this.closed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> { await this.close(); }

  /**
   * Delivers MG_EV_WAKEUP with `data` to connection `connId` at the next poll (and wakes
   * a waiting poll). Returns false when there is no such connection. From another
   * thread, use wakeup(handle, connId, data) with a handle from wakeupHandle().
   */
  wakeup(connId: number, data: string | Uint8Array = Buffer.alloc(0)): boolean {
    const c = this.conns.get(connId);
    if (c === undefined || c._closed) return false;
    c._wakeups.push(typeof data === "string" ? Buffer.from(data) : Buffer.from(data));
    this._markDirty(c);
    return true;
  }

  /** A handle that a worker_threads Worker can use to wake connections of this manager. */
  wakeupHandle(): WakeupHandle {
    const ch = new WakeupChannel((id, data) => { this.wakeup(id, data); });
    this.wakeups.push(ch);
    return ch.handle;
  }

  /** Adds a timer; its callback runs inside poll(). */
  timerAdd(ms: number, callback: () => void, opts: TimerOptions = {}): Timer {
    const t = this.timers.add(ms, callback, opts);
    this.wake();
    return t;
  }

  // ---- listen / connect -----------------------------------------------------------

  /**
   * Listens on `url` (tcp://, udp://, http://, https://, ws://, wss://, mqtt://,
   * mqtts://). The listener's handler (or the manager's) handles accepted connections.
   * Throws when the address cannot be bound; `localAddr.port` is the real port.
   */
  listen(url: string, handlerOrOpts?: EventHandler | ConnectionOptions, opts?: ConnectionOptions): Connection {
    const [handler, o] = this.splitArgs(handlerOrOpts, opts);
    const scheme = this.checkScheme(url);
    const host = urlHost(url) || "0.0.0.0";
    const port = urlPort(url);
    if (port < 0) throw new Error(`listen: bad port in ${url}`);
    const co = this.withSchemeDefaults(scheme, o);
    if (co.tls && scheme !== "udp") prepareTlsServer(co.tls, co.http === true); // a bad certificate throws here
    const c = this.newConn(handler, co);
    c.isListening = true;
    c._tlsScheme = urlIsSsl(url);
    if (scheme === "udp") {
      c.isUdp = true;
      bindUdpConn(this, c, host, port);
    } else {
      listenTcp(this, c, host, port);
    }
    this.queueOpen(c);
    return c;
  }

  /** Connects to `url`: MG_EV_RESOLVE, then MG_EV_CONNECT, or MG_EV_ERROR and MG_EV_CLOSE. */
  connect(url: string, handlerOrOpts?: EventHandler | ConnectionOptions, opts?: ConnectionOptions): Connection {
    const [handler, o] = this.splitArgs(handlerOrOpts, opts);
    const scheme = this.checkScheme(url);
    const c = this.newConn(handler, this.withSchemeDefaults(scheme, o));
    c.isClient = true;
    c.isUdp = scheme === "udp";
    this.queueOpen(c);
    this._resolveAndConnect(c, url);
    return c;
  }

  /**
   * Sends one HTTP request on a new connection and resolves with the response
   * ({ status, headers, body }). Keep polling the manager while awaiting it.
   */
  httpRequest(url: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
    return httpRequest(this, url, opts);
  }

  /**
   * Connects to a WebSocket server (ws:// or wss://): sends the upgrade request, checks
   * the 101 response, then MG_EV_WS_OPEN. Options: `headers`, `protocols`, `tls`, and
   * the ws* connection options.
   */
  wsConnect(url: string, handlerOrOpts?: EventHandler | WsConnectOptions, opts?: WsConnectOptions): Connection {
    return wsConnect(this, url, handlerOrOpts, opts);
  }

  /**
   * Connects to an MQTT server (mqtt:// or mqtts://) and sends CONNECT; MG_EV_MQTT_OPEN
   * gives the CONNACK's return code. Options: `clientId`, `user`, `pass`, `keepAlive`,
   * `clean`, `will`, `version` (4 or 5), `props`, `tls`, `mqttMaxPacketSize`.
   */
  mqttConnect(url: string, handlerOrOpts?: EventHandler | MqttConnectOptions, opts?: MqttConnectOptions): Connection {
    return mqttConnect(this, url, handlerOrOpts, opts);
  }

  /** Listens for MQTT clients: accepted connections deliver MG_EV_MQTT_CMD / MG_EV_MQTT_MSG. */
  mqttListen(url: string, handlerOrOpts?: EventHandler | ConnectionOptions, opts?: ConnectionOptions): Connection {
    return mqttListen(this, url, handlerOrOpts, opts);
  }

  /**
   * Opens an SNTP client connection (udp://host:port or sntp://host, default port 123):
   * a request goes out on MG_EV_CONNECT and on each conn.sntpRequest(); a valid reply
   * delivers MG_EV_SNTP_TIME with the server's time in epoch milliseconds. Option
   * `timeoutMs` (default 5000): MG_EV_ERROR when a request gets no valid reply in time.
   */
  sntpConnect(url: string, handlerOrOpts?: EventHandler | SntpConnectOptions, opts?: SntpConnectOptions): Connection {
    return sntpConnect(this, url, handlerOrOpts, opts);
  }

  private splitArgs(a?: EventHandler | ConnectionOptions, b?: ConnectionOptions): [EventHandler | undefined, ConnectionOptions] {
    if (typeof a === "function") return [a, b ?? {}];
    return [undefined, { ...(a ?? {}), ...(b ?? {}) }];
  }

  private checkScheme(url: string): string {
    if (typeof url !== "string" || !url.includes("://")) throw new Error(`bad URL "${url}": expected scheme://host:port`);
    const scheme = urlScheme(url);
    if (!SCHEMES.has(scheme)) throw new Error(`unsupported scheme "${scheme}://" in ${url}`);
    return scheme;
  }

  private withSchemeDefaults(scheme: string, o: ConnectionOptions): ConnectionOptions {
    if (o.http === undefined && (scheme === "http" || scheme === "https" || scheme === "ws" || scheme === "wss")) {
      return { ...o, http: true };
    }
    return o;
  }

  /** @internal */
  _newConn(handler: EventHandler | undefined, opts: ConnectionOptions): Connection { return this.newConn(handler, opts); }

  private newConn(handler: EventHandler | undefined, opts: ConnectionOptions): Connection {
    if (this.closed) throw new Error("the manager is closed");
    // A connection with its own handler keeps it; one without follows the manager's.
    const c = new Connection(this, this.nextId++, handler, opts);
    this.conns.set(c.id, c);
    this.connList = undefined;
    if (opts.http) attachHttp(c);
    else if (opts.mqtt) attachMqtt(c);
    return c;
  }

  private queueOpen(c: Connection): void { c._evOpen = true; this._markDirty(c); }

  /** @internal DNS (when the host is a name), then the socket connect. */
  _resolveAndConnect(c: Connection, url: string): void {
    const host = urlHost(url);
    const port = urlPort(url);
    c._host = host;
    c._tlsScheme = !c.isUdp && urlIsSsl(url);
    if (!host || port <= 0 && !c.isUdp || port < 0) {
      this._onError(c, `connect: bad address in ${url}`); this._onClosed(c); return;
    }
    const go = (ip: string, family: number): void => {
      c.remoteAddr = toAddr(ip, port, family);
      c._evResolve = true;
      this._markDirty(c);
      if (c.isUdp) connectUdp(this, c, ip, port, family); else connectTcp(this, c, ip, port, url);
    };
    const family = net.isIP(host);
    if (family !== 0) { go(host, family); return; }
    const token = { cancelled: false };
    c._resolving = token;
    dns.lookup(host, (err, address, fam) => {
      if (token.cancelled || c._closed) return;
      c._resolving = undefined;
      if (err) { this._onError(c, `resolve: cannot resolve ${host}: ${err.code ?? err.message}`); this._onClosed(c); return; }
      go(address, fam);
    });
  }

  /** @internal Wires a socket's events into the connection (TLS hands over its socket here). */
  _attachSocket(c: Connection, sock: net.Socket): void { attachSocket(this, c, sock); }

  /** @internal A datagram to the connection's peer (the last sender, for a listener). */
  _sendDatagram(c: Connection, buf: Buffer): boolean { return sendDatagram(this, c, buf); }

  // ---- events from Node -------------------------------------------------------------

  /** @internal Records that `c` has events to dispatch and wakes a waiting poll(). */
  _markDirty(c: Connection): void {
    if (!c._dirty) { c._dirty = true; this.dirty.push(c); }
    this.wake();
  }

  /** Lets a waiting poll() finish once this turn of the event loop has delivered its I/O. */
  private wake(): void {
    if (this.waiter !== undefined && !this.wakeScheduled) {
      this.wakeScheduled = true;
      setImmediate(this.wakeFn);
    }
  }

  /** @internal */
  _onError(c: Connection, msg: string): void {
    if (c._closed) return;
    c._evErrors.push(msg);
    this._markDirty(c);
  }

  /** @internal */
  _onClosed(c: Connection): void {
    if (c._closed) return;
    c._evClosed = true;
    this._markDirty(c);
  }

  /** @internal */
  _reportError(e: unknown): void {
    try { this.errorHandler(e); } catch (e2) { logError("errorHandler threw:", e2); }
  }

  // ---- dispatch ---------------------------------------------------------------------

  private dispatch(): void {
    this.inDispatch = true;
    this._now = millis();
    try {
      const list = this.dirty;
      this.dirty = this.spare;
      for (let i = 0; i < list.length; i++) {
        const c = list[i]!;
        c._dirty = false;
        if (!c._closed) this.dispatchConn(c);
      }
      list.length = 0;
      this.spare = list;
      const now = this._now = millis();
      this.timers.run(now, (e) => this._reportError(e));
      for (const c of this.connections) {
        if (!c._closed) { c.call(MG_EV_POLL, now); this.afterEvents(c); }
      }
    } finally {
      this.inDispatch = false;
    }
    this.flushPending();
  }

  private dispatchConn(c: Connection): void {
    if (c._evOpen) { c._evOpen = false; c.call(MG_EV_OPEN); }
    if (c._evResolve) { c._evResolve = false; c.call(MG_EV_RESOLVE); }
    if (c._evAccept) {
      c._evAccept = false;
      c.call(MG_EV_ACCEPT);
      this.startReading(c);
    }
    if (c._evConnect) {
      c._evConnect = false;
      c._established = true;
      c.call(MG_EV_CONNECT);
      tlsAfterConnect(c); // https:// etc. without tlsInit: TLS with default options, before anything is written
    }
    if (c._evTlsHs) { c._evTlsHs = false; c.call(MG_EV_TLS_HS); }
    if (c._datagrams.length > 0) {
      // One MG_EV_READ per datagram; the buffer holds exactly that datagram.
      const ds = c._datagrams;
      c._datagrams = [];
      for (const d of ds) {
        if (c._closed || c.isClosing) break;
        if (!c._udpConnected) c.remoteAddr = d.from;
        c._recv.clear();
        c._recv.append(d.data);
        c.call(MG_EV_READ, d.data.length);
        c._recv.clear();
      }
    }
    if (c._evRead > 0) {
      const n = c._evRead;
      c._evRead = 0;
      if (!c.isClosing || c.isDraining) c.call(MG_EV_READ, n);
    }
    if (c._evWrite > 0) { const n = c._evWrite; c._evWrite = 0; c.call(MG_EV_WRITE, n); }
    if (c._wakeups.length > 0) {
      const ws = c._wakeups;
      c._wakeups = [];
      for (const d of ws) c.call(MG_EV_WAKEUP, d);
    }
    if (c._onWritable && !c._closed && c.sendLen < WRITABLE_LOW) c._onWritable();
    while (c._evErrors.length > 0) {
      const msg = c._evErrors.shift()!;
      c.call(MG_EV_ERROR, msg);
      c.isClosing = true;
    }
    if (c._evEnd) {
      // The peer finished sending: answer what it asked, then close (HTTP/1.0, shutdown(SHUT_WR) clients).
      c._evEnd = false;
      if (!c.isClosing) {
        // An HTTP server still producing a response closes once it is done.
        if (c._http === undefined || !httpPeerEnded(c)) c.drain();
      }
    }
    if (c._evClosed) { this.finishClose(c); return; }
    this.afterEvents(c);
  }

  /** After a connection's events: write what was queued, close, or resume reading. */
  private afterEvents(c: Connection): void {
    if (c._closed) return;
    if (c._outBytes > 0) this.flush(c);
    if (c.isClosing && !c.isDraining) { this.closeNow(c); return; }
    if (c.isDraining) { this.endWhenWritten(c); return; }
    if (c._paused && c._recv.length < c._maxRecv) this._resumeIfRoom(c);
  }

  private startReading(c: Connection): void {
    const sock = c._socket;
    if (!sock || c._closed) return;
    c._established = true;
    if (c._opts.tls && !c._tlsOpts && !c.isTls) c._tlsOpts = c._opts.tls;
    if ((c._tlsOpts || c._tlsScheme) && !c.isTls) { startTlsServer(c, c._tlsOpts); return; }
    attachSocket(this, c, sock);
    sock.resume();
  }

  /** @internal */
  _resumeIfRoom(c: Connection): void {
    if (c._paused && c._recv.length < c._maxRecv && c._socket && !c._closed) {
      c._paused = false;
      c._socket.resume();
    }
  }

  /** @internal A connection queued sends; write them at the end of this event or soon. */
  _needsFlush(c: Connection): void {
    if (this.inDispatch) return; // afterEvents() writes them
    this.toFlush.push(c);
    if (!this.flushScheduled) { this.flushScheduled = true; setImmediate(this.flushFn); }
  }

  private flushPending(): void {
    const list = this.toFlush;
    if (list.length === 0) return;
    this.toFlush = [];
    for (const c of list) {
      if (c._closed) continue;
      if (c._outBytes > 0) this.flush(c, true);
      if (c.isClosing && !c.isDraining) this.closeNow(c);
      else if (c.isDraining) this.endWhenWritten(c);
    }
  }

  private flush(c: Connection, deferWriteEvent = false): void {
    const sock = c._socket;
    if (c._udp) {
      if (c._established) {
        const q = c._out; c._out = []; c._outBytes = 0;
        for (const b of q) this._sendDatagram(c, b);
      }
      return;
    }
    if (!sock || !c._established || c._tlsPending || sock.destroyed || sock.connecting) return;
    const q = c._out;
    const n = c._outBytes;
    if (q.length === 1) {
      sock.write(q[0]!);
    } else if (n <= CONCAT_LIMIT) {
      sock.write(Buffer.concat(q, n));
    } else {
      sock.cork();
      for (const b of q) sock.write(b);
      sock.uncork();
    }
    c._out = [];
    c._outBytes = 0;
    if (deferWriteEvent || !this.inDispatch) { c._evWrite += n; this._markDirty(c); }
    else c.call(MG_EV_WRITE, n);
  }

  private endWhenWritten(c: Connection): void {
    if (c._outBytes > 0 || c._onWritable) return; // flush() comes back here later
    const sock = c._socket;
    if (c._udp || c.isListening || !sock) { this.closeNow(c); return; }
    if (sock.destroyed) { this.finishClose(c); return; }
    if (!sock.writableEnded && !c._tlsPending && c._established) sock.end();
    else if (!c._established || c._tlsPending) this.closeNow(c); // nothing queued: no need to finish a TLS handshake
  }

  private closeNow(c: Connection): void {
    const sock = c._socket;
    if (sock && !sock.destroyed) {
      // TLS: end() sends close_notify (RFC 8446 §6.1) and reads the peer's, instead of a reset.
      if ((sock.writableLength > 0 || c.isTls) && !sock.writableEnded) {
        // Let what was already handed to the socket go out, but not for long.
        sock.end();
        setTimeout(() => sock.destroy(), CLOSE_GRACE_MS).unref();
      } else {
        sock.destroy();
      }
    }
    this.finishClose(c);
  }

  private finishClose(c: Connection): void {
    if (c._closed) return;
    c._closed = true;
    c.isClosing = true;
    c._onWritable = undefined;
    if (c._resolving) c._resolving.cancelled = true;
    if (c._server) c._server.close();
    if (c._udp) { try { c._udp.close(); } catch { /* already closed */ } }
    c._socket?.removeAllListeners("data");
    if (c._socket && !c._socket.destroyed && c._socket.writableLength === 0) c._socket.destroy();
    this.conns.delete(c.id);
    this.connList = undefined;
    c.call(MG_EV_CLOSE);
  }

  // ---- hooks for TLS ------------------------------------------------------------------

  /** @internal TLS finished its handshake on `c`. */
  _tlsReady(c: Connection): void {
    c._tlsPending = false;
    c.isTls = true;
    if (c.isClient && !c._established) c._evConnect = true;
    c._evTlsHs = true;
    this._markDirty(c);
    if (c._outBytes > 0) this._needsFlush(c);
  }

  /** @internal */
  _tlsFailed(c: Connection, msg: string): void {
    this._onError(c, msg);
    c._socket?.destroy();
    this._onClosed(c);
  }

  /** @internal Wakes poll() for a connection whose state changed outside Node socket events. */
  _touch(c: Connection): void { this._markDirty(c); }


}

/** Send-queue level under which a producer (static file stream, ...) is asked for more. */
export const WRITABLE_LOW = 256 * 1024;

