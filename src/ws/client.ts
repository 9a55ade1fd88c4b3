// The WebSocket client: connects, sends the upgrade request (RFC 6455 section 4.1),
// checks the 101 response and its Sec-WebSocket-Accept, then MG_EV_WS_OPEN. For
// wss:// URLs TLS starts on MG_EV_CONNECT (with `tls` from the options, or default
// verification against the URL's host).
import type { Connection } from "../core/connection.js";
import type { Manager } from "../core/manager.js";
import type { EventHandler } from "../core/events.js";
import { MG_EV_ERROR, MG_EV_WS_OPEN } from "../core/events.js";
import type { ConnectionOptions } from "../core/options.js";
import type { TlsOpts } from "../tls/options.js";
import { HttpMessage } from "../http/message.js";
import { parseHead, HttpParseError } from "../http/parser.js";
import { formatHeaders, type HeadersInit } from "../http/reply.js";
import { DEFAULT_MAX_HEADER_SIZE, DEFAULT_MAX_HEADERS } from "../http/protocol.js";
import { urlHost, urlPort, urlScheme, urlUri } from "../util/url.js";
import { millis } from "../util/time.js";
import { createWsState, enableDeflate, sizeRecvBuffer, type WsConnState } from "./state.js";
import { checkUpgradeResponse, newKey } from "./handshake.js";
import { clientAccept, clientOffer, deflateOptions, type WsDeflateOptions } from "./deflate.js";
import { wsProto } from "./layer.js";

const EMPTY = Buffer.alloc(0);
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000;

/** Options of Manager.wsConnect(): connection options plus the handshake's. */
export interface WsConnectOptions extends ConnectionOptions {
  /** Extra request headers (Origin, Authorization, Cookie, ...). */
  headers?: HeadersInit;
  /** Subprotocols to offer (Sec-WebSocket-Protocol), most preferred first. */
  protocols?: string | readonly string[];
  /** Time allowed from wsConnect() to the server's 101 response. Default 30 s. */
  handshakeTimeoutMs?: number;
}

/** @internal The client's opening handshake in progress. */
export interface ClientHandshake {
  request: string;
  key: string;
  protocols: string[];
  deflate: WsDeflateOptions | undefined;
  wss: boolean;
  tls: TlsOpts;
  /** When the handshake gives up (millis). */
  deadline: number;
}

/** Connects to a WebSocket server. See Manager.wsConnect(). */
export function wsConnect(manager: Manager, url: string, handlerOrOpts?: EventHandler | WsConnectOptions, opts?: WsConnectOptions): Connection {
  const handler = typeof handlerOrOpts === "function" ? handlerOrOpts : undefined;
  const o: WsConnectOptions = typeof handlerOrOpts === "function" ? (opts ?? {}) : { ...(handlerOrOpts ?? {}), ...(opts ?? {}) };
  const scheme = urlScheme(url);
  if (scheme !== "ws" && scheme !== "wss" && scheme !== "http" && scheme !== "https") {
    throw new Error(`wsConnect: expected a ws:// or wss:// URL, got ${url}`);
  }
  const wss = scheme === "wss" || scheme === "https";
  const { headers, protocols, tls, handshakeTimeoutMs, ...connOpts } = o;
  const timeout = handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  if (!(timeout > 0)) throw new Error(`wsConnect: handshakeTimeoutMs must be positive, got ${timeout}`);
  const protoList = protocols === undefined ? [] : typeof protocols === "string" ? [protocols] : [...protocols];
  for (const p of protoList) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(p)) throw new Error(`wsConnect: invalid subprotocol ${JSON.stringify(p)}`);
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

  const c = manager.connect(url, handler, { ...connOpts, http: false });
  const st = createWsState(c, false);
  st.handshake = { request, key, protocols: protoList, deflate: dopts, wss, tls: { name: host, ...(tls ?? {}) }, deadline: millis() + timeout };
  c._ws = st;
  c._proto = wsProto;
  return c;
}

function hasHeader(lines: string, lowerName: string): boolean {
  for (const line of lines.split("\r\n")) {
    if (line.slice(0, lowerName.length + 1).toLowerCase() === lowerName + ":") return true;
  }
  return false;
}

/** @internal MG_EV_CONNECT: start TLS for wss://, then send the upgrade request. */
export function clientOnConnect(c: Connection, st: WsConnState): void {
  const hs = st.handshake!;
  if (hs.wss && !c.isTls && !c._tlsPending) {
    try { c.tlsInit(hs.tls); } catch (e) {
      failHandshake(c, st, `cannot start TLS: ${(e as Error).message}`);
      return;
    }
  }
  c.send(hs.request);
}

/** @internal MG_EV_READ during the handshake: wait for the whole response head, then check it. */
export function clientOnRead(c: Connection, st: WsConnState): void {
  const hs = st.handshake!;
  const buf = c.recvData();
  const o = c._opts;
  const h = parseHead(buf, true, o.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE, o.maxHeaders ?? DEFAULT_MAX_HEADERS);
  if (h === 0) return;
  if (h instanceof HttpParseError) { failHandshake(c, st, `bad handshake response: ${h.reason}`); return; }
  const msg = new HttpMessage(h.method, h.uri, h.query, h.proto, buf.subarray(h.skip, h.headLen), EMPTY, h.head, h.hdr, true);
  const err = checkUpgradeResponse(msg, hs.key, hs.protocols);
  if (err !== undefined) { failHandshake(c, st, err); return; }
  const agreed = clientAccept(msg.headerAll("Sec-WebSocket-Extensions"), hs.deflate);
  if (typeof agreed === "string") { failHandshake(c, st, agreed); return; }
  c.recvConsume(h.headLen);
  if (agreed !== undefined) enableDeflate(c, st, agreed, hs.deflate!);
  else sizeRecvBuffer(c, st);
  st.handshake = undefined;
  c.isWebsocket = true;
  c.call(MG_EV_WS_OPEN, msg);
}

/** @internal MG_EV_POLL during the handshake: give up after the deadline. */
export function clientOnPoll(c: Connection, st: WsConnState, now: number): void {
  if (!st.failed && now > st.handshake!.deadline) failHandshake(c, st, "no handshake response in time (handshakeTimeoutMs)");
}

/** @internal The connection closed during the handshake. */
export function clientOnClose(c: Connection, st: WsConnState): void {
  st.handshake = undefined;
  if (!st.failed) c.call(MG_EV_ERROR, "WebSocket: connection closed before the handshake completed");
}

function failHandshake(c: Connection, st: WsConnState, reason: string): void {
  st.failed = true;
  if (c.recvLen > 0) c.recvConsume();
  c.call(MG_EV_ERROR, `WebSocket: ${reason}`);
  c.close();
}
