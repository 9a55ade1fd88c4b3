// The WebSocket client: connects, sends the upgrade request (RFC 6455 section 4.1),
// checks the 101 response and its Sec-WebSocket-Accept, then MG_EV_WS_OPEN. For
// wss:// URLs TLS starts on MG_EV_CONNECT (with `tls` from the options, or default
// verification against the URL's host).
import type { CoreConnection as Connection, CoreHandler } from "../core/connection.js";
import type { CoreManager, OpenSpec } from "../core/manager.js";
import { MG_EV_ERROR } from "../core/events.js";
import { MG_EV_WS_OPEN } from "./events.js";
import { checkCoreOptions, type CoreOptions } from "../core/options.js";
import type { TlsOpts } from "../tls/options.js";
import { HttpMessage } from "../http/message.js";
import { parseHead, headOf, HttpParseError } from "../http/parser.js";
import { formatHeaders, type HeadersInit } from "../http/reply.js";
import { httpSettings, type HttpLimits } from "../http/options.js";
import { urlHost, urlPort, urlScheme, urlUri } from "../util/url.js";
import { millis } from "../util/time.js";
import { MgError } from "../util/errors.js";
import { checkOptionTable, is, optionKind, optPositiveInt, splitHandlerArgs, type OptionTable } from "../util/check.js";
import { createWsState, enableDeflate, sizeRecvBuffer, type WsConnState, type WsHandshake, type WsOptions } from "./state.js";
import { checkUpgradeResponse, newKey } from "./handshake.js";
import { clientAccept, clientOffer, deflateOptions, type WsDeflateOptions } from "./deflate.js";
import { WsLayer } from "./layer.js";
import { checkWsOptions } from "./options.js";

const EMPTY = Buffer.alloc(0);
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000;

/** Options of Manager.wsConnect(): connection options plus the handshake's. */
export interface WsConnectOptions extends CoreOptions, HttpLimits, WsOptions {
  /** Extra request headers (Origin, Authorization, Cookie, ...). */
  headers?: HeadersInit;
  /** Subprotocols to offer (Sec-WebSocket-Protocol), most preferred first. */
  protocols?: string | readonly string[];
  /** Time allowed from wsConnect() to the server's 101 response. Default 30 s. */
  handshakeTimeoutMs?: number;
}

/** The handshake's own options (handshakeTimeoutMs, the connection's and the ws* ones are checked below). */
const HANDSHAKE_OPTIONS: OptionTable = {
  headers: is.headers,
  protocols: optionKind("a subprotocol name or a list of them", (v) => typeof v === "string" || (Array.isArray(v) && v.every((p) => typeof p === "string"))),
};

/** Connects to a WebSocket server. See Manager.wsConnect(). */
export function wsConnect(manager: CoreManager, url: string, handlerOrOpts?: CoreHandler | WsConnectOptions, opts?: WsConnectOptions): Connection {
  const [handler, o] = splitHandlerArgs<CoreHandler, WsConnectOptions>(handlerOrOpts, opts, "wsConnect");
  const scheme = typeof url === "string" && url.includes("://") ? urlScheme(url) : "";
  if (scheme !== "ws" && scheme !== "wss" && scheme !== "http" && scheme !== "https") {
    throw new MgError("ERR_INVALID_URL", `wsConnect: expected a ws:// or wss:// URL, got ${String(url)}`);
  }
  const { st, wss, connOpts } = wsClientState(url, o);
  // For wss:// the client handshake starts TLS itself (with `tls`) before the request goes out.
  const spec: OpenSpec = { udp: false, tls: wss, layer: () => new WsLayer(st) };
  return manager._connect(url, handler, connOpts, spec);
}

/**
 * @internal The client's WebSocket state for `url` (ws://, wss://, http://, https://),
 * with its opening handshake ready to start on MG_EV_CONNECT; checks the options.
 * `connOpts` are the options left for the connection. Used by wsConnect() and by
 * protocols carried over WebSocket (MQTT over WebSocket).
 */
export function wsClientState(url: string, o: WsConnectOptions): { st: WsConnState; wss: boolean; connOpts: CoreOptions } {
  const scheme = urlScheme(url);
  const wss = scheme === "wss" || scheme === "https";
  const { headers, protocols, tls, handshakeTimeoutMs, ...connOpts } = o;
  checkOptionTable(o, HANDSHAKE_OPTIONS);
  checkCoreOptions(o); // `tls` is taken out of connOpts: check it (and the rest) here
  const timeout = optPositiveInt(o, "handshakeTimeoutMs", DEFAULT_HANDSHAKE_TIMEOUT_MS);
  const limits = httpSettings(o);
  checkWsOptions(o);
  const protoList = protocols === undefined ? [] : typeof protocols === "string" ? [protocols] : [...protocols];
  for (const p of protoList) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(p)) throw new MgError("ERR_INVALID_OPTION", `option protocols: invalid subprotocol ${JSON.stringify(p)}`);
  }
  const dopts = deflateOptions(o.wsDeflate);
  const key = newKey();
  const host = urlHost(url);
  const port = urlPort(url);
  const extra = formatHeaders(headers, { contentType: false, contentLength: false, chunked: false, eventStream: false, connection: false });
  const hostHeader = host.includes(":") ? `[${host}]` : host;
  const defaultPort = wss ? 443 : 80;
  let request = `GET ${urlUri(url)} HTTP/1.1\r\n`;
  if (!hasHeader(extra, "host")) request += `Host: ${hostHeader}${port === defaultPort ? "" : `:${port}`}\r\n`;
  request += `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`;
  if (protoList.length > 0) request += `Sec-WebSocket-Protocol: ${protoList.join(", ")}\r\n`;
  if (dopts !== undefined) request += `Sec-WebSocket-Extensions: ${clientOffer(dopts)}\r\n`;
  request += extra + "\r\n";

  const st = createWsState(o, false);
  st.handshake = new ClientHandshake(request, key, protoList, dopts, wss, { name: host, ...(tls ?? {}) }, millis() + timeout, limits.maxHead, limits.maxHeaders);
  return { st, wss, connOpts };
}

function hasHeader(lines: string, lowerName: string): boolean {
  for (const line of lines.split("\r\n")) {
    if (line.slice(0, lowerName.length + 1).toLowerCase() === lowerName + ":") return true;
  }
  return false;
}

/** The client's opening handshake in progress (RFC 6455 section 4.1). */
class ClientHandshake implements WsHandshake {
  constructor(
    readonly request: string,
    readonly key: string,
    readonly protocols: string[],
    readonly deflate: WsDeflateOptions | undefined,
    readonly wss: boolean,
    readonly tls: TlsOpts,
    /** When the handshake gives up (millis). */
    readonly deadline: number,
    readonly maxHead: number,
    readonly maxHeaders: number,
  ) {}

  /** MG_EV_CONNECT: start TLS for wss://, then send the upgrade request. */
  onConnect(c: Connection, st: WsConnState): void {
    if (this.wss && !c.isTls) {
      try { c.tlsInit(this.tls); } catch (e) {
        failHandshake(c, st, `cannot start TLS: ${(e as Error).message}`);
        return;
      }
    }
    c.send(this.request);
  }

  /** MG_EV_READ during the handshake: wait for the whole response head, then check it. */
  onRead(c: Connection, st: WsConnState): void {
    const buf = c.recvData();
    const h = parseHead(buf, true, this.maxHead, this.maxHeaders);
    if (h === 0) return;
    if (h instanceof HttpParseError) { failHandshake(c, st, `bad handshake response: ${h.reason}`); return; }
    const msg = new HttpMessage(h.method, h.uri, h.query, h.proto, buf.subarray(h.skip, h.headLen), EMPTY, headOf(h), h.hdr, true);
    const err = checkUpgradeResponse(msg, this.key, this.protocols);
    if (err !== undefined) { failHandshake(c, st, err); return; }
    const agreed = clientAccept(msg.headerAll("Sec-WebSocket-Extensions"), this.deflate);
    if (typeof agreed === "string") { failHandshake(c, st, agreed); return; }
    c.recvConsume(h.headLen);
    st.protocol = msg.header("Sec-WebSocket-Protocol")?.trim() ?? "";
    if (agreed !== undefined) enableDeflate(c, st, agreed, this.deflate!);
    else sizeRecvBuffer(c, st);
    st.handshake = undefined;
    c.isWebsocket = true;
    c.call(MG_EV_WS_OPEN, msg);
  }

  /** MG_EV_POLL during the handshake: give up after the deadline. */
  onPoll(c: Connection, st: WsConnState, now: number): void {
    if (!st.failed && now > this.deadline) failHandshake(c, st, "no handshake response in time (handshakeTimeoutMs)");
  }

  /** The connection closed during the handshake. */
  onClose(c: Connection, st: WsConnState): void {
    if (!st.failed) {
      c.lastError = new MgError("ERR_WS_HANDSHAKE", "WebSocket: connection closed before the handshake completed");
      c.call(MG_EV_ERROR, c.lastError.message);
    }
  }
}

function failHandshake(c: Connection, st: WsConnState, reason: string): void {
  st.failed = true;
  if (c.recvLen > 0) c.recvConsume();
  c.lastError = new MgError("ERR_WS_HANDSHAKE", `WebSocket: ${reason}`);
  c.call(MG_EV_ERROR, c.lastError.message);
  c.close();
}
