// The SNTP client layer (RFC 4330): a UDP connection that sends a request on
// MG_EV_CONNECT (as Mongoose's mg_sntp_connect does) and on every sntpRequest(), checks
// each reply, and delivers MG_EV_SNTP_TIME with the server's time in epoch milliseconds.
// As in Mongoose, the connection closes after a valid reply or the timeout (one
// connection per time request), unless it was opened with keepOpen: true.
import { performance } from "node:perf_hooks";
import { randomInt } from "node:crypto";
import type { CoreConnection as Connection, CoreHandler, Layer } from "../core/connection.js";
import type { CoreManager } from "../core/manager.js";
import { MG_EV_CONNECT, MG_EV_ERROR, MG_EV_POLL, MG_EV_READ } from "../core/events.js";
import { MG_EV_SNTP_TIME } from "./events.js";
import { MgError } from "../util/errors.js";
import { splitHandlerArgs, optBool } from "../util/check.js";
import { urlHost, urlPort, urlScheme } from "../util/url.js";
import { millis } from "../util/time.js";
import { buildRequest, parseReply, requestTransmit } from "./packet.js";

/** How long a request waits for a valid reply by default. */
export const SNTP_DEFAULT_TIMEOUT_MS = 5000;
const SNTP_PORT = 123;

/** Options of Manager.sntpConnect(). */
export interface SntpConnectOptions {
  /** Time a request waits for a valid reply before MG_EV_ERROR "no answer ..." (default 5000 ms). */
  timeoutMs?: number;
  /**
   * Keep the connection open after a reply or a timeout, for more sntpRequest() calls
   * (default false: it closes, as in Mongoose; open a new one for the next sync).
   */
  keepOpen?: boolean;
}

interface PendingRequest {
  /** Our transmit timestamp: the reply's originate timestamp must equal it (RFC 4330 section 5). */
  originate: Uint8Array;
  /** performance.now() when sent (T1 on a monotonic clock, for the round-trip delay). */
  sentAt: number;
  /** millis() after which the request has timed out. */
  deadline: number;
}

interface SntpState {
  /** "host:port", for messages. */
  peer: string;
  timeoutMs: number;
  keepOpen: boolean;
  connected: boolean;
  pending: PendingRequest | undefined;
}

/** The SNTP layer of a connection: its state and its events. */
class SntpLayer implements Layer {
  constructor(readonly st: SntpState) {}
  onEvent(c: Connection, ev: number, data: unknown): void { sntpEvent(c, this.st, ev, data); }
}

/** Opens an SNTP client connection. See Manager.sntpConnect(). */
export function sntpConnect(manager: CoreManager, url: string, handlerOrOpts?: CoreHandler | SntpConnectOptions, opts?: SntpConnectOptions): Connection {
  const [handler, o] = splitHandlerArgs<CoreHandler, SntpConnectOptions>(handlerOrOpts, opts, "sntpConnect");
  if (typeof url !== "string" || !url.includes("://")) throw new MgError("ERR_INVALID_URL", `sntpConnect: bad URL "${String(url)}": expected udp://host:port or sntp://host`);
  const scheme = urlScheme(url);
  if (scheme !== "udp" && scheme !== "sntp") throw new MgError("ERR_INVALID_URL", `sntpConnect: expected a udp:// or sntp:// URL, got ${url}`);
  const host = urlHost(url);
  let port = urlPort(url);
  if (port === 0) port = SNTP_PORT; // udp:// has no default port of its own
  if (host === "" || port < 0) throw new MgError("ERR_INVALID_URL", `sntpConnect: bad address in ${url}`);
  const timeoutMs = o.timeoutMs ?? SNTP_DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new MgError("ERR_INVALID_OPTION", `option timeoutMs must be a positive number, got ${String(timeoutMs)}`);
  const keepOpen = optBool(o, "keepOpen", false);
  const hostPart = host.includes(":") ? `[${host}]` : host;
  const st: SntpState = { peer: `${hostPart}:${port}`, timeoutMs, keepOpen, connected: false, pending: undefined };
  return manager._connect(`udp://${hostPart}:${port}`, handler, {}, { udp: true, tls: false, layer: () => new SntpLayer(st) });
}

/**
 * Sends a new request on an SNTP connection (one made before MG_EV_CONNECT goes out on
 * connect). Only the latest request is answered: a reply to an earlier one is rejected
 * as stale. Throws on a connection that is not an SNTP client or is closed.
 */
export function sntpRequest(c: Connection): void {
  const l = c.layer;
  if (!(l instanceof SntpLayer)) throw new MgError("ERR_WRONG_CONN", `sntpRequest: connection ${c.id} is not an SNTP connection (open it with manager.sntpConnect)`);
  if (!c.canSend) throw c.closedError("sntpRequest");
  const st = l.st;
  if (st.connected) sendRequest(c, st);
}

function sendRequest(c: Connection, st: SntpState): void {
  const req = buildRequest(Date.now(), randomInt(0x10000));
  st.pending = { originate: requestTransmit(req), sentAt: performance.now(), deadline: millis() + st.timeoutMs };
  c.send(req);
}

function sntpEvent(c: Connection, st: SntpState, ev: number, data: unknown): void {
  if (ev === MG_EV_CONNECT) {
    st.connected = true;
    sendRequest(c, st);
  } else if (ev === MG_EV_READ) {
    onDatagram(c, st);
  } else if (ev === MG_EV_POLL) {
    const p = st.pending;
    if (p !== undefined && (data as number) > p.deadline) {
      st.pending = undefined;
      report(c, "ERR_TIMEOUT", `SNTP: no answer from ${st.peer} within ${st.timeoutMs} ms`);
      closeWhenDone(c, st);
    }
  }
}

// Each MG_EV_READ on a UDP connection holds exactly one datagram.
function onDatagram(c: Connection, st: SntpState): void {
  const receivedAt = performance.now();
  const p = st.pending;
  if (p === undefined) {
    report(c, "ERR_SNTP", `SNTP: unexpected reply from ${st.peer} (no request pending)`);
    return;
  }
  const r = parseReply(c.recvData(), p.originate);
  if ("reason" in r) {
    report(c, "ERR_SNTP", `SNTP: ${r.reason} from ${st.peer}`);
    if (r.kiss !== undefined) {
      // RFC 4330 section 8: a kiss-o'-death asks the client to stop (DENY, RSTR) or slow down (RATE).
      st.pending = undefined;
      c.close();
    }
    // Otherwise the request stays pending: a forged or broken datagram must not cancel it.
    return;
  }
  st.pending = undefined;
  // RFC 4330 section 5: delay d = (T4 - T1) - (T3 - T2). The time delivered is the server's
  // transmit time T3 plus half the delay: the server's clock at the moment of receipt.
  const delay = Math.max(0, (receivedAt - p.sentAt) - (r.transmitMs - r.receiveMs));
  c.call(MG_EV_SNTP_TIME, Math.round(r.transmitMs + delay / 2));
  closeWhenDone(c, st);
}

/** After a reply or a timeout: close, unless keepOpen, or the handler asked again (sntpRequest() in its MG_EV_SNTP_TIME/MG_EV_ERROR). */
function closeWhenDone(c: Connection, st: SntpState): void {
  if (!st.keepOpen && st.pending === undefined && !c.isClosed) c.close();
}

/** MG_EV_ERROR without closing: the connection may ask again. */
function report(c: Connection, code: "ERR_SNTP" | "ERR_TIMEOUT", msg: string): void {
  c.lastError = new MgError(code, msg);
  c.call(MG_EV_ERROR, msg);
}
