// The core manager owns every connection. Node delivers socket events whenever they
// happen; the manager records them on the connection (received bytes go straight into
// the receive buffer) and dispatches them to handlers only inside poll(), as Mongoose
// does. It knows no protocol: a connection's layer (see connection.ts) is made by the
// factory given to listen/connect, and the public Manager (src/manager.ts) maps URL
// schemes to layers.
import * as net from "node:net";
import * as dns from "node:dns";
import { CoreConnection, joinQueued, queuedBytes, type CoreHandler, type CoreHost, type LayerFactory } from "./connection.js";
import { toAddr } from "./addr.js";
import { listenTcp, connectTcp, attachSocket } from "./tcp.js";
import { bindUdpConn, connectUdp, sendDatagram } from "./udp.js";
import {
  MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_OPEN, MG_EV_POLL,
  MG_EV_READ, MG_EV_RESOLVE, MG_EV_TLS_HS, MG_EV_WAKEUP, MG_EV_WRITE,
} from "./events.js";
import { checkCoreOptions, type CoreOptions } from "./options.js";
import { TimerList, type Timer, type TimerOptions } from "./timers.js";
import { millis } from "../util/time.js";
import { urlHost, urlIsSsl, urlPort, urlScheme } from "../util/url.js";
import { startTlsServer, tlsAfterConnect, prepareTlsServer, tlsInit, tlsFree } from "./tls-init.js";
import type { TlsOpts } from "../tls/options.js";
import { logDebug, logError, logLevel, logTraffic, MG_LL_DEBUG, MG_LL_VERBOSE } from "../util/log.js";
import { MgError, optionError, type MgErrorCode } from "../util/errors.js";
import { checkOptionsObject, checkOptionTable, is, optionKind, splitHandlerArgs, optBool, optNonNegativeInt, optPositiveInt, type OptionTable } from "../util/check.js";
import { WakeupChannel, type WakeupHandle } from "./wakeup.js";
import { lingerThenDestroy } from "./linger.js";

/** How a connection is opened: its transport, TLS, and the layer that speaks its protocol. */
export interface OpenSpec {
  udp: boolean;
  /** The scheme asks for TLS (https, wss, mqtts, tls, ssl): never speak in clear. */
  tls: boolean;
  layer?: LayerFactory;
  /** ALPN protocols offered by default over TLS (http/1.1 for HTTP). */
  alpn?: readonly string[];
}

/** Options of `manager.close()`. */
export interface CloseOptions {
  /**
   * How long work in progress may take to finish (requests being answered, downloads,
   * closing handshakes) before the rest is cut. Default 10000 ms.
   */
  timeoutMs?: number;
}

/** Options of `new Manager(handler, options)`. */
export interface ManagerOptions {
  /** Called with whatever a handler throws (default: print the stack to stderr). */
  errorHandler?: (err: unknown) => void;
  /** Allow wakeup() calls (kept for API compatibility; always available). */
  enableWakeup?: boolean;
  /**
   * MG_EV_POLL reaches every connection at least this often (ms, default 1000): the
   * clock of timeouts (HTTP, WebSocket, MQTT keep-alive, writeTimeoutMs) and periodic
   * work. Besides, a connection gets MG_EV_POLL after its events in every poll that had
   * I/O for it. The round over every connection goes out in slices of at most 256
   * connections per dispatch, the next slice at the next turn of the event loop, so
   * I/O arriving meanwhile is not held behind 10k handler calls. A poll() whose wait ran
   * out without I/O (its timeout, or a timer due) starts a round at once (Mongoose's idle
   * tick); run() does not: idle, it sleeps until a timer or the next round is due, one
   * round per interval whatever the number of connections. Lower it for finer-grained
   * periodic work (or use timerAdd).
   */
  pollIntervalMs?: number;
  /**
   * "udp://IP:port": resolve names with the library's own DNS client against this
   * server instead of the system resolver (read by the public Manager, which installs
   * the client as the core's resolver; see docs/dns.md).
   */
  dnsServer?: string;
  /** The own DNS client's time for one lookup, all attempts included (default 3000 ms). */
  dnsTimeoutMs?: number;
}

/** What a name lookup reports: an error, or an address and its family (4 or 6). */
export type ResolveCallback = (err: Error | undefined, address: string, family: number) => void;
/**
 * A name lookup: calls `cb` once, unless the returned function is called first.
 * `family` 0 takes an address of either family.
 */
export type Resolver = (host: string, family: 0 | 4 | 6, cb: ResolveCallback) => () => void;

/** The system resolver (getaddrinfo through dns.lookup), the default. */
const systemResolver: Resolver = (host, family, cb) => {
  let live = true;
  dns.lookup(host, { family }, (err, address, fam) => {
    if (!live) return;
    if (err) cb(new Error(err.code ?? err.message), "", 0); else cb(undefined, address, fam);
  });
  return () => { live = false; };
};

/** Options of `manager.run()`. */
export interface RunOptions {
  /**
   * Poll timeout in milliseconds (default 100) of the polls run() makes while it shuts
   * down. Otherwise run() makes no idle ticks, so a wait that ran out would dispatch
   * nothing: it sleeps until I/O, a due timer or the next MG_EV_POLL round instead.
   */
  pollMs?: number;
  /** Stop (and close gracefully) when this signal aborts. */
  signal?: AbortSignal;
}

const RUN_OPTIONS: OptionTable = {
  pollMs: is.nonNegativeInt,
  signal: optionKind("an AbortSignal", (v) => v instanceof AbortSignal),
};

// The transports the core speaks by itself; the public Manager adds the protocol schemes.
const CORE_SCHEMES: Record<string, OpenSpec> = {
  tcp: { udp: false, tls: false }, udp: { udp: true, tls: false },
  tls: { udp: false, tls: true }, ssl: { udp: false, tls: true },
};
// What close() gives work in progress by default before it is cut.
const CLOSE_TIMEOUT_MS = 10_000;
// What an ended socket gets to deliver what was handed to it before it is destroyed.
const END_GRACE_MS = 2000;
// When concatenating queued sends into one write stops paying off: past this many bytes
// in all, or when one chunk is this big (a WebSocket payload behind its header): a copy
// of it would be an unpooled allocation for the GC, a writev of the pieces costs less.
const CONCAT_LIMIT = 64 * 1024;
const WRITEV_MIN = 4096;
// How often MG_EV_POLL reaches every connection when I/O keeps the loop busy.
const POLL_INTERVAL_MS = 1000;
// The most connections one dispatch visits for the MG_EV_POLL round; the rest of the
// round goes on at the next turns of the event loop, I/O in between, so a request that
// arrives during a round of 10k connections waits for one slice, not for the round.
const ROUND_SLICE = 256;

export class CoreManager implements CoreHost {
  /** The default handler of connections that have none of their own. */
  handler: CoreHandler | undefined;
  /** Called with whatever a handler throws; a throwing handler never stops the loop. */
  errorHandler: (err: unknown) => void;
  private readonly pollIntervalMs: number;
  // When the last MG_EV_POLL round started (ms, monotonic), and the round in progress:
  // the connections as they were when it started, and the next one to visit
  // (connections closed meanwhile are skipped; those opened meanwhile wait for the next).
  private lastRound = -Infinity;
  private round: readonly CoreConnection[] | undefined;
  private roundNext = 0;

  private readonly conns = new Map<number, CoreConnection>();
  private connList: CoreConnection[] | undefined;
  private nextId = 1;
  private readonly timers = new TimerList();
  // Connections with events waiting for dispatch, and the list being dispatched now.
  private dirty: CoreConnection[] = [];
  private spare: CoreConnection[] = [];
  // Connections with sends queued outside of a dispatch.
  private toFlush: CoreConnection[] = [];
  private flushScheduled = false;
  private inDispatch = false;
  private waiter: (() => void) | undefined;
  private wakeScheduled = false;
  // One timer for the waits of every poll, kept armed across polls (a poll woken by I/O
  // leaves it, unref'd): a busy loop does not create and cancel a timer per poll.
  // waitTimerAt: when it fires; waitUntil: when the current wait ends; timedOut: the
  // current wait ended by that timer, not by I/O.
  private waitTimer: NodeJS.Timeout | undefined;
  private waitTimerAt = 0;
  private waitUntil = 0;
  private timedOut = false;
  private polling: Promise<void> | undefined;
  private closed = false;
  /** @internal How many polls have dispatched (httpRequest's hint when nobody polls). */
  _polls = 0;
  private closing: Promise<void> | undefined;
  /** @internal How names are looked up (the system resolver unless the public Manager installs another). */
  _resolver: Resolver = systemResolver;
  /** @internal The time of the current dispatch (ms, monotonic): a clock for timeouts that need no precision. */
  _now = millis();
  private readonly wakeups: WakeupChannel[] = [];
  private readonly wakeFn = (): void => {
    this.wakeScheduled = false;
    const w = this.waiter;
    if (w === undefined) return;
    this.waiter = undefined;
    this.waitTimer?.unref(); // nobody waits for it now: it must not keep the process alive
    w();
  };
  private readonly waitTimerFn = (): void => {
    this.waitTimer = undefined;
    const w = this.waiter;
    if (w === undefined) return;
    // Armed for an earlier wait that I/O ended: this one lasts longer.
    const left = this.waitUntil - millis();
    if (left > 0) { this.armWaitTimer(left); return; }
    this.waiter = undefined;
    this.timedOut = true;
    w();
  };
  private readonly flushFn = (): void => { this.flushScheduled = false; this.flushPending(); };

  constructor(handler?: CoreHandler, opts: ManagerOptions = {}) {
    checkOptionsObject(opts, "Manager options");
    if (handler !== undefined && typeof handler !== "function") throw new MgError("ERR_INVALID_ARG", `Manager: the handler must be a function, got ${typeof handler}`);
    if (opts.errorHandler !== undefined && typeof opts.errorHandler !== "function") throw optionError("errorHandler", "a function", opts.errorHandler);
    this.handler = handler;
    this.errorHandler = opts.errorHandler ?? ((err) => logError("handler threw:", err));
    this.pollIntervalMs = optPositiveInt(opts, "pollIntervalMs", POLL_INTERVAL_MS);
    optBool(opts, "enableWakeup", true);
  }

  /** Every open connection, listeners included. */
  get connections(): readonly CoreConnection[] {
    return (this.connList ??= Array.from(this.conns.values()));
  }

  // ---- the loop -----------------------------------------------------------------

  /**
   * Waits up to `timeoutMs` for I/O, dispatches every event that arrived, runs due
   * timers, sends MG_EV_POLL and resolves. MG_EV_POLL goes to the connections that had
   * events in this poll, and to every connection in a round: when the poll's wait ran
   * out without I/O (its timeout, or a timer due: Mongoose's idle tick of a hand-written
   * loop) or `pollIntervalMs` has passed since the last round. A round visits at most
   * 256 connections per poll and goes on in the next ones (a poll during a round waits
   * only for the next turn of the event loop): the cost of a poll does not grow with the
   * number of idle connections. (run() makes no idle ticks: idle, it costs one round per
   * pollIntervalMs.)
   */
  poll(timeoutMs = 0): Promise<void> { return this.pollWith(timeoutMs, true); }

  private pollWith(timeoutMs: number, idleTicks: boolean): Promise<void> {
    if (this.polling) return this.polling;
    const p = this.pollOnce(timeoutMs, idleTicks).finally(() => { this.polling = undefined; });
    this.polling = p;
    return p;
  }

  private async pollOnce(timeoutMs: number, idleTicks: boolean): Promise<void> {
    const asked = Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 0;
    // The poll's wait ran out (its timeout or a timer due) without I/O: the idle tick of
    // every connection. A poll woken by I/O only touches the connections that had some.
    let idleTick = false;
    if (this.dirty.length === 0) {
      const now = millis();
      // A round in progress goes on at the next turn, after the I/O that arrived.
      let wait = this.round !== undefined ? 0 : Math.min(asked, this.timers.nextIn(now));
      // Without idle ticks, wake for the next round on schedule.
      if (!idleTicks) wait = Math.min(wait, Math.max(0, this.lastRound + this.pollIntervalMs - now));
      if (wait <= 0) {
        // A timer already due ends the wait at once: still an idle tick (poll(0) is not one).
        idleTick = this.round === undefined && idleTicks && asked > 0;
        await new Promise<void>((resolve) => { setImmediate(resolve); });
      } else {
        this.timedOut = false;
        await new Promise<void>((resolve) => {
          this.waiter = resolve;
          this.waitUntil = now + wait;
          this.armWaitTimer(wait);
        });
        idleTick = idleTicks && this.timedOut;
      }
    }
    this.dispatch(idleTick);
  }

  /** Makes the wait timer fire within `ms` (it may fire earlier: waitTimerFn re-arms it then). */
  private armWaitTimer(ms: number): void {
    const at = millis() + ms;
    const t = this.waitTimer;
    if (t !== undefined) {
      if (this.waitTimerAt <= at) { t.ref(); return; }
      clearTimeout(t);
    }
    this.waitTimer = setTimeout(this.waitTimerFn, ms);
    this.waitTimerAt = at;
  }

  /** Polls until SIGINT/SIGTERM or `signal` aborts, then closes gracefully. */
  async run(opts: RunOptions = {}): Promise<void> {
    checkOptionsObject(opts, "run options");
    checkOptionTable(opts, RUN_OPTIONS, "run");
    const pollMs = opts.pollMs ?? 100;
    let stop = false;
    const onSignal = (): void => { stop = true; this.wake(); };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    opts.signal?.addEventListener("abort", onSignal, { once: true });
    try {
      // Without idle ticks a wait that runs out with nothing due would dispatch nothing:
      // run() sleeps until I/O, a timer or the next round instead (pollMs once closing).
      while (!stop && !this.closed && !opts.signal?.aborted) await this.pollWith(this.closing === undefined ? this.pollIntervalMs : pollMs, false);
    } finally {
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
      opts.signal?.removeEventListener("abort", onSignal);
    }
    await this.close();
  }

  /**
   * Closes every connection gracefully: listeners at once (nothing new is accepted);
   * each layer is told (a WebSocket peer gets close 1001, an HTTP connection finishes
   * the response in progress); the others drain (close once what they send is written).
   * Whatever is still open after `timeoutMs` (default 10 s) is cut. Handlers receive
   * MG_EV_CLOSE.
   */
  async close(opts: CloseOptions = {}): Promise<void> {
    if (this.closed || this.closing) return this.closing;
    checkOptionsObject(opts, "close options");
    const timeoutMs = optNonNegativeInt(opts, "timeoutMs", CLOSE_TIMEOUT_MS);
    this.closing = this.shutdown(timeoutMs);
    return this.closing;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    // A poll of run() sleeping until the next round: the shutdown's polls are short.
    this.wakeNow();
    // Timers keep running until the end: a handler may answer a request from one.
    for (const c of this.connections) {
      if (c.isListening || c._udp) {
        // Stop accepting now (a new connect is refused), not at the next dispatch.
        c._server?.close();
        c._server = undefined;
        c.close();
        continue;
      }
      if (c._closed || c.isClosing) continue;
      const l = c._layer;
      let waits = false;
      if (l?.onShutdown !== undefined) {
        try { waits = l.onShutdown(c); } catch (e) { this._reportError(e); }
      }
      if (!waits) c.drain();
    }
    const deadline = millis() + timeoutMs;
    while (this.conns.size > 0 && millis() < deadline) await this.poll(20);
    this.timers.clear();
    for (const c of this.connections) {
      if (!c._closed && logLevel >= MG_LL_DEBUG) logDebug(`conn ${c.id}: cut at the shutdown deadline`);
      c._socket?.destroy(); this.finishClose(c);
    }
    for (const w of this.wakeups) w.close();
    if (this.waitTimer !== undefined) { clearTimeout(this.waitTimer); this.waitTimer = undefined; }
    this.round = undefined;
    this.closed = true;
    this.wakeNow(); // run() waiting on this manager returns now
  }

  /** `await using manager = new Manager(h)`: closes the manager gracefully (`close()`) when the scope ends. */
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
   * Listens on `url` (tcp://, udp://, tls://). The listener's handler (or the manager's)
   * handles accepted connections. Throws when the address cannot be bound;
   * `localAddr.port` is the real port.
   */
  listen(url: string, handlerOrOpts?: CoreHandler | CoreOptions, opts?: CoreOptions): CoreConnection {
    const [handler, o] = splitHandlerArgs<CoreHandler, CoreOptions>(handlerOrOpts, opts, "listen");
    return this._listen(url, handler, o, this.coreSpec(url, "listen"));
  }

  /** Connects to `url` (tcp://, udp://, tls://): MG_EV_RESOLVE, then MG_EV_CONNECT, or MG_EV_ERROR and MG_EV_CLOSE. */
  connect(url: string, handlerOrOpts?: CoreHandler | CoreOptions, opts?: CoreOptions): CoreConnection {
    const [handler, o] = splitHandlerArgs<CoreHandler, CoreOptions>(handlerOrOpts, opts, "connect");
    return this._connect(url, handler, o, this.coreSpec(url, "connect"));
  }

  private coreSpec(url: string, what: string): OpenSpec {
    const spec = CORE_SCHEMES[checkUrl(url, what)];
    if (spec === undefined) throw new MgError("ERR_INVALID_URL", `${what}: unsupported scheme "${urlScheme(url)}://" in ${url}`);
    return spec;
  }

  /** @internal Listens with an explicit transport and layer (the public Manager maps schemes to these). */
  _listen(url: string, handler: CoreHandler | undefined, o: CoreOptions, spec: OpenSpec): CoreConnection {
    checkUrl(url, "listen");
    checkCoreOptions(o);
    const host = urlHost(url) || "0.0.0.0";
    const port = urlPort(url);
    if (port < 0) throw new MgError("ERR_INVALID_URL", `listen: bad port in ${url}`);
    if (o.tls && !spec.udp) prepareTlsServer(o.tls, spec.alpn); // a bad certificate throws here
    const c = this.newConn(handler, o);
    c.isListening = true;
    c._tlsScheme = spec.tls;
    c._layerFactory = spec.layer;
    c._alpn = spec.alpn === undefined ? undefined : [...spec.alpn];
    try {
      if (spec.udp) {
        c.isUdp = true;
        bindUdpConn(this, c, host, port);
        // A UDP listener is one connection: its layer (if any) sees every datagram.
        if (spec.layer !== undefined) c._layer = spec.layer(c);
      } else {
        listenTcp(this, c, host, port);
      }
    } catch (e) {
      this.conns.delete(c.id);
      this.connList = undefined;
      throw e instanceof MgError ? e : new MgError("ERR_BIND", `listen ${url}: ${(e as Error).message}`, { cause: e });
    }
    if (logLevel >= MG_LL_DEBUG) logDebug(`conn ${c.id}: listening on ${url} (${c.localAddr.ip}:${c.localAddr.port})`);
    this.queueOpen(c);
    return c;
  }

  /** @internal Connects with an explicit transport and layer. */
  _connect(url: string, handler: CoreHandler | undefined, o: CoreOptions, spec: OpenSpec): CoreConnection {
    checkUrl(url, "connect");
    checkCoreOptions(o);
    const c = this.newConn(handler, o);
    c.isClient = true;
    c.isUdp = spec.udp;
    c._tlsScheme = spec.tls && !spec.udp;
    c._alpn = spec.alpn === undefined ? undefined : [...spec.alpn];
    if (spec.layer !== undefined) c._layer = spec.layer(c);
    this.queueOpen(c);
    this._resolveAndConnect(c, url, false);
    return c;
  }

  /**
   * Makes a connection object; the public Manager overrides it to make the public
   * Connection (with the protocol methods).
   */
  protected createConnection(id: number, handler: CoreHandler | undefined, opts: CoreOptions): CoreConnection {
    return new CoreConnection(this, id, handler, opts);
  }

  /** @internal */
  _newConn(handler: CoreHandler | undefined, opts: CoreOptions): CoreConnection { return this.newConn(handler, opts); }

  private newConn(handler: CoreHandler | undefined, opts: CoreOptions): CoreConnection {
    if (this.closed || this.closing) throw new MgError("ERR_MANAGER_CLOSED", "the manager is closed");
    // A connection with its own handler keeps it; one without follows the manager's.
    const c = this.createConnection(this.nextId++, handler, opts);
    this.conns.set(c.id, c);
    this.connList = undefined;
    return c;
  }

  private queueOpen(c: CoreConnection): void { c._evOpen = true; this._markDirty(c); }

  /**
   * @internal DNS (when the host is a name), then the socket connect unless
   * `resolveOnly`. A bare name ("localhost") is a host without a port.
   */
  _resolveAndConnect(c: CoreConnection, url: string, resolveOnly: boolean): void {
    const hasScheme = url.includes("://");
    const host = hasScheme ? urlHost(url) : bareHost(url);
    const port = hasScheme ? urlPort(url) : bareHost(url) === url ? 0 : urlPort(`tcp://${url}`);
    c._host = host;
    if (hasScheme) c._tlsScheme = c._tlsScheme || (!c.isUdp && urlIsSsl(url));
    c._resolveOnly = resolveOnly;
    // A lookup started earlier (a second resolve()) is superseded, not raced.
    if (c._resolving) { c._resolving.cancelled = true; c._resolving.cancel?.(); c._resolving = undefined; }
    if (!host || (!resolveOnly && port <= 0 && !c.isUdp) || port < 0) {
      this._onError(c, `${resolveOnly ? "resolve" : "connect"}: bad address in ${url}`, "ERR_INVALID_URL");
      if (!resolveOnly) this._onClosed(c);
      return;
    }
    const go = (ip: string, family: number): void => {
      c.remoteAddr = toAddr(ip, port, family);
      c._evResolve = true;
      this._markDirty(c);
      if (resolveOnly) return;
      if (c.isUdp) connectUdp(this, c, ip, port, family); else connectTcp(this, c, ip, port, url);
    };
    const family = net.isIP(host);
    if (family !== 0) { go(host, family); return; }
    const token: { cancelled: boolean; cancel?: () => void } = { cancelled: false };
    c._resolving = token;
    if (logLevel >= MG_LL_DEBUG) logDebug(`conn ${c.id}: resolving ${host}`);
    token.cancel = this._resolver(host, 0, (err, address, fam) => {
      if (token.cancelled || c._closed) return;
      c._resolving = undefined;
      if (err) {
        this._onError(c, `resolve: cannot resolve ${host}: ${err.message}`, "ERR_RESOLVE");
        if (!resolveOnly) this._onClosed(c);
        return;
      }
      go(address, fam);
    });
  }

  /** @internal tlsInit() of a connection. */
  _tlsInit(c: CoreConnection, opts: TlsOpts): void { tlsInit(c, opts); }
  /** @internal tlsFree() of a connection. */
  _tlsFree(c: CoreConnection): void { tlsFree(c); }

  /** @internal Wires a socket's events into the connection (TLS hands over its socket here). */
  _attachSocket(c: CoreConnection, sock: net.Socket): void { attachSocket(this, c, sock); }

  /** @internal A datagram to the connection's peer (the last sender, for a listener). */
  _sendDatagram(c: CoreConnection, buf: Buffer): boolean { return sendDatagram(this, c, buf); }

  // ---- events from Node -------------------------------------------------------------

  /** @internal Records that `c` has events to dispatch and wakes a waiting poll(). */
  _markDirty(c: CoreConnection): void {
    if (!c._dirty) { c._dirty = true; this.dirty.push(c); }
    this.wake();
  }

  /** Ends a waiting poll() at once. */
  private wakeNow(): void {
    if (this.waiter !== undefined) this.wakeFn();
  }

  /** Lets a waiting poll() finish once this turn of the event loop has delivered its I/O. */
  private wake(): void {
    if (this.waiter !== undefined && !this.wakeScheduled) {
      this.wakeScheduled = true;
      setImmediate(this.wakeFn);
    }
  }

  /** @internal */
  _onError(c: CoreConnection, msg: string, code: MgErrorCode): void {
    if (c._closed) return;
    c._evErrors.push(new MgError(code, msg));
    this._markDirty(c);
  }

  /** @internal */
  _onClosed(c: CoreConnection): void {
    if (c._closed) return;
    c._evClosed = true;
    this._markDirty(c);
  }

  /** @internal */
  _reportError(e: unknown): void {
    try { this.errorHandler(e); } catch (e2) { logError("errorHandler threw:", e2); }
  }

  // ---- dispatch ---------------------------------------------------------------------

  private dispatch(idleTick: boolean): void {
    this.inDispatch = true;
    const stamp = ++this._polls;
    this._now = millis();
    const list = this.dirty;
    this.dirty = this.spare;
    try {
      for (let i = 0; i < list.length; i++) {
        const c = list[i]!;
        c._dirty = false;
        if (!c._closed) this.dispatchConn(c);
      }
      const now = this._now = millis();
      this.timers.run(now, (e) => this._reportError(e));
      // The connections that had events: a layer may continue work there (the next
      // pipelined request, ...) without waiting for the round.
      for (let i = 0; i < list.length; i++) {
        const c = list[i]!;
        if (!c._closed) { c._pollStamp = stamp; c.call(MG_EV_POLL, now); this.afterEvents(c); }
      }
      // The round every connection gets once per interval (timeouts, periodic work,
      // stalled writes), one slice per dispatch.
      if (this.round === undefined && (idleTick || now - this.lastRound >= this.pollIntervalMs)) {
        this.lastRound = now;
        this.round = this.connections;
        this.roundNext = 0;
      }
      if (this.round !== undefined) this.roundSlice(this.round, now, stamp);
      // Sends queued on connections without events of their own in this dispatch (a
      // broadcast, a file read that completed before it): written now, with MG_EV_WRITE
      // at once, rather than at the next turn with another dispatch for their MG_EV_WRITE.
      this.flushListed();
    } finally {
      list.length = 0;
      this.spare = list;
      this.inDispatch = false;
    }
    this.flushPending();
  }

  /** The next ROUND_SLICE connections of the round: the write-stall check, MG_EV_POLL (unless they had it in this dispatch). */
  private roundSlice(round: readonly CoreConnection[], now: number, stamp: number): void {
    let i = this.roundNext;
    for (let n = 0; n < ROUND_SLICE && i < round.length; i++) {
      const c = round[i]!;
      if (c._closed) continue;
      n++;
      // Only connections with bytes in their socket are looked at (idle ones cost one field).
      if (c._writing && c._socket !== undefined && this.writeStalled(c, c._socket, now)) continue;
      if (c._pollStamp === stamp) continue; // had events: MG_EV_POLL went out with them
      // A layer with no deadline due is not called (HTTP keep-alive connections between
      // requests); the handler always is.
      if (now < c._layerPollAt) c._callHandler(MG_EV_POLL, now);
      else c.call(MG_EV_POLL, now);
      this.afterEvents(c);
    }
    this.roundNext = i;
    if (i >= round.length) this.round = undefined;
  }

  /** Inside a dispatch: writes what the connections listed by _needsFlush queued. */
  private flushListed(): void {
    const list = this.toFlush;
    if (list.length === 0) return;
    // What these writes' MG_EV_WRITE handlers send is listed anew, for flushPending().
    this.toFlush = [];
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      c._flushListed = false;
      this.afterEvents(c);
    }
  }

  /**
   * writeTimeoutMs: true (and the connection is cut with ERR_TIMEOUT) when what was
   * handed to the socket has not moved for that long. Progress is bytes leaving the
   * socket's queue: handed minus still queued (writableLength).
   */
  private writeStalled(c: CoreConnection, sock: net.Socket, now: number): boolean {
    const pending = sock.writableLength;
    if (pending === 0) { c._writing = false; return false; }
    // Whole writes finish (writableLength falls), or the one in progress shrinks in libuv
    // (writeQueueSize falls: a large write leaves in pieces as the peer reads).
    const drained = c._handed - pending;
    const inKernelQueue = writeQueueSize(sock);
    if (drained !== c._drained || inKernelQueue < c._queued) {
      c._drained = drained; c._queued = inKernelQueue; c._progressAt = now; return false;
    }
    c._queued = inKernelQueue;
    if (now - c._progressAt <= c._writeTimeoutMs || c.isListening) return false;
    logDebug(`conn ${c.id}: ${pending} bytes not written for ${now - c._progressAt} ms: cut`);
    // The peer does not read: nothing queued can be delivered, so no graceful end.
    const err = new MgError("ERR_TIMEOUT", `write stalled: ${pending} bytes queued made no progress for ${c._writeTimeoutMs} ms (writeTimeoutMs)`);
    c.lastError = err;
    c.call(MG_EV_ERROR, err.message);
    c.isClosing = true;
    c.isDraining = false;
    c._out.length = 0; c._outBytes = 0; // (emptied in place: see flush())
    // A reset frees what the kernel still holds for the peer (a FIN would wait behind it).
    try { sock.resetAndDestroy(); } catch { sock.destroy(); } // TLS sockets cannot reset
    this.finishClose(c);
    return true;
  }

  private dispatchConn(c: CoreConnection): void {
    if (c._evOpen) { c._evOpen = false; c.call(MG_EV_OPEN); }
    if (c._evResolve) { c._evResolve = false; c.call(MG_EV_RESOLVE); }
    if (c._evAccept) {
      c._evAccept = false;
      if (logLevel >= MG_LL_DEBUG) logDebug(`conn ${c.id}: accepted from ${c.remoteAddr.ip}:${c.remoteAddr.port}`);
      c.call(MG_EV_ACCEPT);
      this.startReading(c);
    }
    if (c._evConnect) {
      c._evConnect = false;
      c._established = true;
      if (logLevel >= MG_LL_DEBUG) logDebug(`conn ${c.id}: connected to ${c.remoteAddr.ip}:${c.remoteAddr.port}`);
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
      ds.length = 0; // (no pointers left behind in an array that may be old: see flush())
    }
    if (c._evRead > 0) {
      const n = c._evRead;
      c._evRead = 0;
      if (!c.isClosing || c.isDraining) c.call(MG_EV_READ, n);
      if (!c.isClosing) c._placeRecv();
    }
    if (c._evWrite > 0) { const n = c._evWrite; c._evWrite = 0; c.call(MG_EV_WRITE, n); }
    if (c._wakeups.length > 0) {
      const ws = c._wakeups;
      c._wakeups = [];
      for (const d of ws) c.call(MG_EV_WAKEUP, d);
      ws.length = 0;
    }
    if (c._onWritable && !c._closed && c.sendLen < WRITABLE_LOW) c._onWritable();
    while (c._evErrors.length > 0) {
      const err = c._evErrors.shift()!;
      c.lastError = err;
      if (logLevel >= MG_LL_DEBUG) logDebug(`conn ${c.id}: ${err.code}: ${err.message}`);
      c.call(MG_EV_ERROR, err.message);
      c.isClosing = true;
    }
    if (c._evEnd) {
      // The peer finished sending: answer what it asked, then close (HTTP/1.0, shutdown(SHUT_WR) clients).
      c._evEnd = false;
      if (!c.isClosing) {
        // A layer still producing an answer closes once it is done.
        const l = c._layer;
        let handled = false;
        if (l?.onPeerEnd !== undefined) { try { handled = l.onPeerEnd(c); } catch (e) { this._reportError(e); } }
        if (!handled) c.drain();
      }
    }
    if (c._evClosed) { this.finishClose(c); return; }
    this.afterEvents(c);
  }

  /** After a connection's events: write what was queued, close, or resume reading. */
  private afterEvents(c: CoreConnection): void {
    if (c._closed) return;
    if (c._outBytes > 0) this.flush(c);
    if (c.isClosing && !c.isDraining) { this.closeNow(c); return; }
    if (c.isDraining) { this.endWhenWritten(c); return; }
    if (c._paused && c._recv.length < c._maxRecv) this._resumeIfRoom(c);
  }

  private startReading(c: CoreConnection): void {
    const sock = c._socket;
    if (!sock || c._closed) return;
    c._established = true;
    if (c._opts.tls && !c._tlsOpts && !c.isTls) c._tlsOpts = c._opts.tls;
    if ((c._tlsOpts || c._tlsScheme) && !c.isTls) { startTlsServer(c, c._tlsOpts); return; }
    attachSocket(this, c, sock);
    sock.resume();
  }

  /** @internal */
  _resumeIfRoom(c: CoreConnection): void {
    if (c._paused && c._recv.length < c._maxRecv && c._socket && !c._closed) {
      c._paused = false;
      c._socket.resume();
    }
  }

  /** @internal A connection queued sends; write them at the end of this event or soon. */
  _needsFlush(c: CoreConnection): void {
    // Listed once until written. During a dispatch the list is written at its end (a
    // broadcast queues sends on connections that have no events of their own in it);
    // outside one, at the next turn of the event loop.
    if (c._flushListed) return;
    c._flushListed = true;
    this.toFlush.push(c);
    if (!this.inDispatch && !this.flushScheduled) { this.flushScheduled = true; setImmediate(this.flushFn); }
  }

  private flushPending(): void {
    const list = this.toFlush;
    if (list.length === 0) return;
    this.toFlush = [];
    for (const c of list) {
      c._flushListed = false;
      if (c._closed) continue;
      if (c._outBytes > 0) this.flush(c, true);
      if (c.isClosing && !c.isDraining) this.closeNow(c);
      else if (c.isDraining) this.endWhenWritten(c);
    }
  }

  private flush(c: CoreConnection, deferWriteEvent = false): void {
    const sock = c._socket;
    if (c._udp) {
      if (c._established) {
        const q = c._out; c._out = []; c._outBytes = 0;
        for (const b of q) this._sendDatagram(c, typeof b === "string" ? Buffer.from(b, "utf8") : b);
        q.length = 0; // (no pointers left behind: see the TCP case below)
      }
      return;
    }
    if (!sock || !c._established || c._tlsPending || sock.destroyed || sock.connecting) return;
    const l = c._layer;
    if (l !== undefined && l.onFlush !== undefined) l.onFlush(c);
    const q = c._out;
    const n = c._outBytes;
    if (logLevel >= MG_LL_VERBOSE) logTraffic(c.id, "->", queuedBytes(q, n), `${c.remoteAddr.ip}:${c.remoteAddr.port}`);
    const wasIdle = sock.writableLength === 0;
    c._handed += n;
    if (q.length === 1 || (n <= CONCAT_LIMIT && !hasBigChunk(q))) {
      let chunk = joinQueued(q, n);
      // A string goes to a TCP socket as it is (encoded straight into the write), but TLS
      // would copy it once more before encrypting: give it bytes. As many bytes as
      // characters means ASCII, which latin1 encodes to the same bytes, faster.
      if (c.isTls && typeof chunk === "string") chunk = Buffer.from(chunk, chunk.length === n ? "latin1" : "utf8");
      sock.write(chunk);
    } else {
      sock.cork();
      for (const b of q) sock.write(b);
      sock.uncork();
    }
    // The queue array is emptied in place, never replaced: dropped with its elements, it
    // would keep what they point to alive in V8's eyes. A long-lived array is in the old
    // generation, and a young-generation GC counts everything an old object points to
    // as live, dead or not, so a written 16 MiB payload would outlive every young GC,
    // get promoted, and wait for a full GC (a WebSocket echo of 16 MiB messages held
    // 60 MiB more than `ws` that way). Emptying the array clears those pointers.
    // (pop() is cheap for a few chunks; setting `length` is a runtime call in V8.)
    if (q.length <= 4) { while (q.length > 0) q.pop(); } else q.length = 0;
    c._outBytes = 0;
    if (l !== undefined && l.onFlushed !== undefined) l.onFlushed(c, !c.isTls && sock.writableLength === 0);
    if (c._writeTimeoutMs > 0 && sock.writableLength > 0) {
      // Bytes wait in the socket: the write-stall clock starts now (not when written at once).
      if (wasIdle) c._progressAt = millis();
      c._writing = true;
    }
    if (deferWriteEvent || !this.inDispatch) { c._evWrite += n; this._markDirty(c); }
    else c.call(MG_EV_WRITE, n);
  }

  private endWhenWritten(c: CoreConnection): void {
    if (c._outBytes > 0 || c._onWritable) return; // flush() comes back here later
    const sock = c._socket;
    if (c._udp || c.isListening || !sock) { this.closeNow(c); return; }
    if (sock.destroyed) { this.finishClose(c); return; }
    if (!sock.writableEnded && !c._tlsPending && c._established) {
      // Once everything is written the socket is closed, without waiting for the peer
      // to close its side (Mongoose's drain): MG_EV_CLOSE follows the 'close' event.
      sock.end(c._linger ? () => lingerThenDestroy(sock) : () => sock.destroy());
      setTimeout(() => sock.destroy(), END_GRACE_MS * 5).unref();
    } else if (!c._established || c._tlsPending) this.closeNow(c); // nothing queued: no need to finish a TLS handshake
  }

  private closeNow(c: CoreConnection): void {
    const sock = c._socket;
    if (sock && !sock.destroyed) {
      // TLS: end() sends close_notify (RFC 8446 §6.1) and reads the peer's, instead of a reset.
      if (c._linger && c._established && !sock.writableEnded) {
        // A layer's last word (an error it told the peer about) is read before the socket goes.
        sock.end(() => lingerThenDestroy(sock));
        setTimeout(() => sock.destroy(), END_GRACE_MS * 5).unref();
      } else if ((sock.writableLength > 0 || c.isTls) && !sock.writableEnded) {
        // Let what was already handed to the socket go out, but not for long.
        sock.end();
        setTimeout(() => sock.destroy(), END_GRACE_MS).unref();
      } else {
        sock.destroy();
      }
    }
    this.finishClose(c);
  }

  private finishClose(c: CoreConnection): void {
    if (c._closed) return;
    c._closed = true;
    c.isClosing = true;
    // A producer waiting for room learns that the connection is gone (and frees its file).
    const producer = c._onWritable;
    c._onWritable = undefined;
    if (producer !== undefined) { try { producer(); } catch (e) { this._reportError(e); } }
    if (c._resolving) { c._resolving.cancelled = true; c._resolving.cancel?.(); }
    if (c._server) c._server.close();
    if (c._udp) { try { c._udp.close(); } catch { /* already closed */ } }
    c._socket?.removeAllListeners("data");
    if (c._socket && !c._socket.destroyed && c._socket.writableLength === 0 && !c._linger) c._socket.destroy();
    this.conns.delete(c.id);
    this.connList = undefined;
    if (logLevel >= MG_LL_DEBUG) logDebug(`conn ${c.id}: closed${c.lastError ? ` (last error ${c.lastError.code})` : ""}`);
    c.call(MG_EV_CLOSE);
  }

  // ---- hooks for TLS ------------------------------------------------------------------

  /** @internal TLS finished its handshake on `c`. */
  _tlsReady(c: CoreConnection): void {
    c._tlsPending = false;
    c.isTls = true;
    if (c.isClient && !c._established) c._evConnect = true;
    c._evTlsHs = true;
    if (logLevel >= MG_LL_DEBUG) logDebug(`conn ${c.id}: TLS handshake done`);
    this._markDirty(c);
    if (c._outBytes > 0) this._needsFlush(c);
  }

  /** @internal */
  _tlsFailed(c: CoreConnection, msg: string): void {
    this._onError(c, msg, "ERR_TLS");
    c._socket?.destroy();
    this._onClosed(c);
  }

  /** @internal Wakes poll() for a connection whose state changed outside Node socket events. */
  _touch(c: CoreConnection): void { this._markDirty(c); }


}

/**
 * Bytes of the write in progress still in libuv's queue (Node keeps the number on the
 * handle; for TLS, on the TCP handle under it). 0 when unknown.
 */
function writeQueueSize(sock: net.Socket): number {
  type H = { _handle?: { writeQueueSize?: unknown } | null; _parent?: H };
  const s = sock as unknown as H;
  const q = s._handle?.writeQueueSize;
  if (typeof q === "number" && q > 0) return q;
  const p = s._parent?._handle?.writeQueueSize;
  return typeof p === "number" ? p : 0;
}

/** Send-queue level under which a producer (static file stream, ...) is asked for more. */
export const WRITABLE_LOW = 256 * 1024;



/** The scheme of `url`, or an MgError for something that is not a URL. */
export function checkUrl(url: string, what: string): string {
  if (typeof url !== "string" || !url.includes("://")) throw new MgError("ERR_INVALID_URL", `${what}: bad URL ${JSON.stringify(url)}: expected scheme://host:port`);
  return urlScheme(url);
}

/** The host of "name", "name:port", "[v6]:port" or a bare IPv6 address. */
function bareHost(s: string): string {
  if (net.isIP(s) !== 0) return s;
  return urlHost(`tcp://${s}`);
}

/** Whether a queued Buffer is big enough to be written as it is (WRITEV_MIN). */
function hasBigChunk(q: readonly (Buffer | string)[]): boolean {
  for (let i = 0; i < q.length; i++) {
    const b = q[i]!;
    if (typeof b !== "string" && b.length >= WRITEV_MIN) return true;
  }
  return false;
}
