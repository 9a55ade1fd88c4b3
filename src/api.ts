// The public Connection and Manager: the core's classes with every protocol's methods
// (each one line, calling the protocol), the URL schemes mapped to layers, and the
// handler type that narrows `data` by `ev`. They live in one file because each refers
// to the other.
import { CoreConnection, type CoreHandler } from "./core/connection.js";
import { CoreManager, checkUrl, type CloseOptions, type ManagerOptions, type OpenSpec, type RunOptions } from "./core/manager.js";
import { checkCoreOptions, type CoreOptions } from "./core/options.js";
import type {
  MG_EV_ERROR, MG_EV_OPEN, MG_EV_POLL, MG_EV_RESOLVE, MG_EV_CONNECT, MG_EV_ACCEPT, MG_EV_TLS_HS,
  MG_EV_READ, MG_EV_WRITE, MG_EV_CLOSE, MG_EV_WAKEUP,
} from "./core/events.js";
import type { MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG } from "./http/events.js";
import type { MG_EV_WS_OPEN, MG_EV_WS_MSG, MG_EV_WS_CTL } from "./ws/events.js";
import type { MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN } from "./mqtt/events.js";
import type { MG_EV_SNTP_TIME } from "./sntp/events.js";
import type { HttpMessage } from "./http/message.js";
import type { WsMessage } from "./ws/message.js";
import type { MqttMessage, MqttProperty } from "./mqtt/message.js";
import type { HttpLimits } from "./http/options.js";
import { httpSpec } from "./http/open.js";
import { httpReply, httpReplyJson, httpChunk, httpSse, type HeadersInit } from "./http/reply.js";
import { serveDir, serveFile, type ServeOptions } from "./http/static.js";
import { httpUpload, type UploadOptions } from "./http/upload.js";
import { httpRequest, type HttpRequestOptions, type HttpResponse } from "./http/client.js";
import { wsUpgrade, wsSend, wsClose, wsProtocolOf } from "./ws/layer.js";
import { wsConnect, type WsConnectOptions } from "./ws/client.js";
import { checkWsOptions, type WsOptions } from "./ws/options.js";
import { WEBSOCKET_OP_TEXT } from "./ws/constants.js";
import {
  mqttPub, mqttSub, mqttUnsub, mqttPing, mqttPong, mqttDisconnect, mqttSendHeader, mqttSend, mqttConnack, mqttSuback, mqttAck, mqttAuth,
  type MqttPubOptions, type MqttSubOptions, type MqttConnackOptions,
} from "./mqtt/send.js";
import { mqttConnect, type MqttConnectOptions } from "./mqtt/client.js";
import { mqttListen } from "./mqtt/server.js";
import { mqttServerSpec } from "./mqtt/open.js";
import type { MqttOptions } from "./mqtt/state.js";
import { MQTT_WS_CARRIER } from "./mqttws/open.js";
import { mqttWsServerSpec, mqttWsUpgrade } from "./mqttws/server.js";
import type { MqttWsConnectOptions } from "./mqttws/client.js";
import { sntpConnect, sntpRequest, type SntpConnectOptions } from "./sntp/client.js";
import { DnsClient } from "./dns/layer.js";
import { checkDnsOptions } from "./dns/options.js";
import { base64Encode } from "./util/base64.js";
import { urlScheme } from "./util/url.js";
import { MgError } from "./util/errors.js";
import { splitHandlerArgs, optBool } from "./util/check.js";

// ---- options ------------------------------------------------------------------------

/** Options of Manager.listen() and Manager.connect(): the core's and every layer's. */
export interface ConnectionOptions extends CoreOptions, HttpLimits, WsOptions, MqttOptions {
  /** Speak HTTP/1.1 on this connection (inferred from http://, https://, ws://, wss://). */
  http?: boolean;
  /**
   * Speak MQTT on accepted connections (inferred from mqtt:// and mqtts:// for
   * listen()). With ws:// or wss:// (and `http` not set): MQTT over WebSocket, as
   * mqttListen() does for those URLs.
   */
  mqtt?: boolean;
}

// ---- the handler type -----------------------------------------------------------------

// User events are typed as a union of number literals (MG_EV_USER .. MG_EV_USER+63)
// rather than `number`: a plain `number` member would swallow every narrowing, since
// `ev === 11` could then also mean a user event.
/** The numbers `0` to `N - 1` as a union of literals (a helper of {@link UserEvent}). */
type Range<N extends number, Acc extends unknown[] = [], Out = never> =
  Acc["length"] extends N ? Out : Range<N, [...Acc, unknown], Out | Acc["length"]>;
/** The event numbers available to applications: `MG_EV_USER` to `MG_EV_USER + 63`. */
export type UserEvent = Exclude<Range<84>, Range<20>>;

/** Events whose `data` is `undefined`. */
export type NoDataEvent = typeof MG_EV_OPEN | typeof MG_EV_RESOLVE | typeof MG_EV_CONNECT |
  typeof MG_EV_ACCEPT | typeof MG_EV_TLS_HS | typeof MG_EV_CLOSE;

/** Every `[conn, ev, data]` a handler can receive; checking `ev` narrows `data`. */
export type EventArgs =
  | [conn: Connection, ev: typeof MG_EV_ERROR, data: string]
  // Written out rather than as NoDataEvent so that error messages show event numbers.
  | [conn: Connection, ev: typeof MG_EV_OPEN | typeof MG_EV_RESOLVE | typeof MG_EV_CONNECT | typeof MG_EV_ACCEPT | typeof MG_EV_TLS_HS | typeof MG_EV_CLOSE, data: undefined]
  | [conn: Connection, ev: typeof MG_EV_POLL, data: number]
  | [conn: Connection, ev: typeof MG_EV_READ | typeof MG_EV_WRITE, data: number]
  | [conn: Connection, ev: typeof MG_EV_HTTP_HDRS | typeof MG_EV_HTTP_MSG | typeof MG_EV_WS_OPEN, data: HttpMessage]
  | [conn: Connection, ev: typeof MG_EV_WS_MSG | typeof MG_EV_WS_CTL, data: WsMessage]
  | [conn: Connection, ev: typeof MG_EV_MQTT_CMD | typeof MG_EV_MQTT_MSG, data: MqttMessage]
  | [conn: Connection, ev: typeof MG_EV_MQTT_OPEN, data: number]
  | [conn: Connection, ev: typeof MG_EV_SNTP_TIME, data: number]
  | [conn: Connection, ev: typeof MG_EV_WAKEUP, data: Buffer]
  // Exclude<…> rather than UserEvent, for the same reason.
  | [conn: Connection, ev: Exclude<Range<84>, Range<20>>, data: unknown];

/** A handler over all three arguments: checking `ev` narrows `data`. */
export type FullEventHandler = (...args: EventArgs) => void;

// The shorter forms, `(conn) => …` and `(conn, ev) => …` (also `(conn, ev: number,
// data: unknown)`). TypeScript rejects an arrow with fewer parameters than every tuple
// of a union rest, so EventHandler is a union with this type. How it is built matters:
//  - method signatures (taken from an interface's method) relate parameters
//    bivariantly, so `(conn, ev)` fits the tuple `[conn, ev]` of the union below;
//  - two overloads, one generic, give TypeScript no single contextual signature from
//    this member, so arrows are typed by FullEventHandler alone (that is what narrows
//    `data` in `(c, ev, data) =>`), and a three-parameter arrow with a wrongly typed
//    `data` fits neither member;
//  - EventArgs among the tuples lets calls through an EventHandler (`h(c, ev, data)`,
//    `h(...args)`) resolve to FullEventHandler's signature;
//  - the last form, which every function fits, keeps an EventHandler a CoreHandler
//    (what the core calls) and makes Parameters<EventHandler> plain EventArgs.
/** The argument lists of the short handler forms: `(conn)`, `(conn, ev)`, or any of {@link EventArgs}. */
type ShortEventArgs = EventArgs | [conn: Connection, ev: number] | [conn: Connection] | [];
interface ShortEventHandlerForms {
  handler(...args: ShortEventArgs): void;
  handler<_T>(...args: ShortEventArgs): void;
  handler(...args: never): void;
}
type ShortEventHandlerMethod = ShortEventHandlerForms["handler"];
/** A handler that declares only `(conn)` or `(conn, ev)`. */
export interface ShortEventHandler extends ShortEventHandlerMethod {}

/**
 * One handler receives every event of a connection. It may declare one, two or three
 * parameters; with three, checking `ev` narrows `data`.
 */
export type EventHandler = FullEventHandler | ShortEventHandler;

/** The event number type (built-in or user). */
export type EventNumber = EventArgs[1];

// ---- Connection -------------------------------------------------------------------------

/** A connection: the core's socket, buffers and lifecycle, plus every protocol's methods. */
export class Connection extends CoreConnection {
  /** The manager that owns this connection. */
  declare readonly manager: Manager;

  /** The handler that receives this connection's events (the manager's when unset). */
  override get handler(): EventHandler | undefined { return super.handler as EventHandler | undefined; }
  override set handler(h: EventHandler | undefined) { super.handler = h as CoreHandler | undefined; }
  /** Sets (or, with `undefined`, clears) this connection's own handler; same as assigning `handler`. */
  override setHandler(h: EventHandler | undefined): void { super.setHandler(h as CoreHandler | undefined); }

  // ---- HTTP ---------------------------------------------------------------------

  /**
   * Sends an HTTP response. Adds Content-Length, and Content-Type: text/plain unless
   * given. Headers that say `Transfer-Encoding: chunked` or `Content-Type:
   * text/event-stream` start a stream instead: continue with httpChunk()/httpSse().
   * Throws (ERR_HTTP_STATE) for a second response to one request.
   */
  reply(status: number, body: string | Uint8Array = "", headers?: HeadersInit): void { httpReply(this, status, body, headers); }
  /** Sends `value` as JSON with Content-Type: application/json. */
  replyJson(value: unknown, status = 200, headers?: HeadersInit): void { httpReplyJson(this, value, status, headers); }
  /** Sends one chunk of a chunked response; empty data ends the stream. */
  httpChunk(data: string | Uint8Array): void { httpChunk(this, data); }
  /** Sends one Server-Sent Event; multi-line data becomes several `data:` lines. */
  httpSse(eventType: string, data: string | Uint8Array): void { httpSse(this, eventType, data); }
  /** Serves a file from `rootDir` (or "/prefix=dir,..." mappings) for the request. */
  serveDir(msg: HttpMessage, rootDir: string, opts?: ServeOptions): void { serveDir(this, msg, rootDir, opts); }
  /** Serves one file for the request (Range, ETag, Last-Modified, HEAD). */
  serveFile(msg: HttpMessage, path: string, opts?: ServeOptions): void { serveFile(this, msg, path, opts); }
  /**
   * Streams the body of the request (call on MG_EV_HTTP_HDRS) into `dir`/name as it
   * arrives, as Mongoose's mg_http_upload: name and offset from `?file=...&offset=...`
   * unless given (multipart/form-data: each file part to dir/filename); then replies 200
   * (or calls `onDone`). See docs/upload.md.
   */
  httpUpload(msg: HttpMessage, dir: string, opts?: UploadOptions): void { httpUpload(this, msg, dir, opts); }
  /** Client side: sends an `Authorization: Basic` header line (call between request line and end of headers). */
  httpBasicAuth(user: string, pass: string): void { this.send(`Authorization: Basic ${base64Encode(`${user}:${pass}`)}\r\n`); }

  // ---- WebSocket ----------------------------------------------------------------

  /**
   * Upgrades an HTTP request to WebSocket: 101 response, then MG_EV_WS_OPEN. A request
   * that is not a valid upgrade gets 400 or 426 and the connection closes: returns false.
   */
  wsUpgrade(msg: HttpMessage, extraHeaders?: HeadersInit): boolean { return wsUpgrade(this, msg, extraHeaders); }
  /**
   * Sends a WebSocket message (text by default). Returns the bytes queued; 0 when the
   * closing handshake has started or the "drop" policy dropped it. Throws on a closed
   * or closing connection. A binary payload over 2 KiB is queued as it is, not copied:
   * change it only after MG_EV_WRITE (or send a copy).
   */
  wsSend(data: string | Uint8Array, op: number = WEBSOCKET_OP_TEXT): number { return wsSend(this, data, op); }
  /** Starts the WebSocket closing handshake: close frame with `code` and `reason`, then MG_EV_CLOSE when the peer answers. */
  wsClose(code = 1000, reason = ""): void { wsClose(this, code, reason); }
  /** The WebSocket subprotocol agreed in the handshake (Sec-WebSocket-Protocol); "" when none. */
  get wsProtocol(): string { return wsProtocolOf(this); }

  // ---- MQTT ---------------------------------------------------------------------

  /** Publishes `payload` on `topic`; returns the packet id (0 for QoS 0). QoS 1/2 acks are handled by the layer. */
  mqttPub(topic: string, payload: string | Uint8Array, opts?: MqttPubOptions): number { return mqttPub(this, topic, payload, opts); }
  /** Subscribes to a topic filter (`+`, `#` wildcards); returns the packet id that SUBACK carries. */
  mqttSub(topic: string, opts?: MqttSubOptions): number { return mqttSub(this, topic, opts); }
  /** Unsubscribes from a topic filter; returns the packet id that UNSUBACK carries. */
  mqttUnsub(topic: string, props?: MqttProperty[]): number { return mqttUnsub(this, topic, props); }
  /** Acknowledges a received QoS 1/2 PUBLISH with an MQTT 5 reason code (inside MG_EV_MQTT_MSG, or later with mqttManualAcks). */
  mqttAck(msg: MqttMessage, reason?: number, props?: MqttProperty[]): void { mqttAck(this, msg, reason, props); }
  /** Client, MQTT 5: re-authenticates (AUTH 0x19) with the CONNECT's Authentication Method, or sends AUTH `reason`. */
  mqttAuth(data?: string | Uint8Array, reason?: number): void { mqttAuth(this, data, reason); }
  /** Sends PINGREQ. */
  mqttPing(): void { mqttPing(this); }
  /** Sends PINGRESP (servers answer PINGREQ with it). */
  mqttPong(): void { mqttPong(this); }
  /** Sends DISCONNECT (MQTT 5: with a reason code) and closes once it is written. */
  mqttDisconnect(reason?: number, props?: MqttProperty[]): void { mqttDisconnect(this, reason, props); }
  /** Sends a fixed header (Mongoose's mg_mqtt_send_header) for a body of `len` bytes; mqttSend() the body next. */
  mqttSendHeader(cmd: number, flags: number, len: number): void { mqttSendHeader(this, cmd, flags, len); }
  /** Sends encoded MQTT packet bytes as the connection carries MQTT: as they are (like send()) on mqtt://, in a binary WebSocket frame on ws://. */
  mqttSend(data: Uint8Array): boolean { return mqttSend(this, data); }
  /**
   * Server: upgrades an HTTP request to MQTT over WebSocket (101 with subprotocol
   * `mqtt`), then MQTT events; for an HTTP server that also serves MQTT on a path. A
   * request that is not a valid upgrade or does not offer `mqtt` gets 400 and the
   * connection closes: returns false. MQTT options are the listener's.
   */
  mqttWsUpgrade(msg: HttpMessage, extraHeaders?: HeadersInit): boolean { return mqttWsUpgrade(this, msg, extraHeaders); }
  /**
   * Server: answers CONNECT with CONNACK; a non-zero code refuses and closes. Throws
   * ERR_INVALID_ARG for a code that is not a CONNACK reason code of the connection's
   * MQTT version, or properties CONNACK may not carry.
   */
  mqttConnack(code?: number, opts?: MqttConnackOptions): void { mqttConnack(this, code, opts); }
  /**
   * Server: answers SUBSCRIBE (granted QoS or 0x80 per filter) or UNSUBSCRIBE with
   * SUBACK / UNSUBACK. Throws ERR_INVALID_ARG for a code that is not a SUBACK / UNSUBACK
   * reason code.
   */
  mqttSuback(msg: MqttMessage, codes: readonly number[], props?: MqttProperty[]): void { mqttSuback(this, msg, codes, props); }

  // ---- SNTP ---------------------------------------------------------------------

  /** Sends another time request on a connection from manager.sntpConnect() (throws on any other). */
  sntpRequest(): void { sntpRequest(this); }
}

// ---- Manager ----------------------------------------------------------------------------

/** The Manager: owns every connection; `listen`/`connect` for every scheme, and each protocol's client. */
export class Manager extends CoreManager {
  declare handler: EventHandler | undefined;

  constructor(handler?: EventHandler, opts: ManagerOptions = {}) {
    super(handler as CoreHandler | undefined, opts);
    // dnsServer: the library's own DNS client replaces the system resolver (docs/dns.md).
    const dns = checkDnsOptions(opts);
    if (dns !== undefined) this._resolver = new DnsClient(this, dns).resolver;
  }

  /** Every open connection, listeners included. */
  override get connections(): readonly Connection[] { return super.connections as readonly Connection[]; }

  protected override createConnection(id: number, handler: CoreHandler | undefined, opts: CoreOptions): Connection {
    return new Connection(this, id, handler, opts);
  }

  /**
   * Listens on `url` (tcp://, udp://, tls://, http://, https://, ws://, wss://,
   * mqtt://, mqtts://). The listener's handler (or the manager's) handles accepted
   * connections. Throws when the address cannot be bound or an option is wrong;
   * `localAddr.port` is the real port.
   */
  override listen(url: string, handlerOrOpts?: EventHandler | ConnectionOptions, opts?: ConnectionOptions): Connection {
    const [handler, o] = splitHandlerArgs<EventHandler, ConnectionOptions>(handlerOrOpts, opts, "listen");
    return this._listen(url, handler as CoreHandler | undefined, o, specFor(url, o, "listen")) as Connection;
  }

  /** Connects to `url`: MG_EV_RESOLVE, then MG_EV_CONNECT, or MG_EV_ERROR and MG_EV_CLOSE. */
  override connect(url: string, handlerOrOpts?: EventHandler | ConnectionOptions, opts?: ConnectionOptions): Connection {
    const [handler, o] = splitHandlerArgs<EventHandler, ConnectionOptions>(handlerOrOpts, opts, "connect");
    return this._connect(url, handler as CoreHandler | undefined, o, specFor(url, o, "connect")) as Connection;
  }

  /** Closes every connection gracefully (see CoreManager.close). */
  override close(opts?: CloseOptions): Promise<void> { return super.close(opts); }

  /**
   * Sends one HTTP request on a new connection and resolves with the response
   * ({ status, headers, body }). Keep polling the manager while awaiting it.
   */
  httpRequest(url: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> { return httpRequest(this, url, opts); }

  /**
   * Connects to a WebSocket server (ws:// or wss://): sends the upgrade request, checks
   * the 101 response, then MG_EV_WS_OPEN. Options: `headers`, `protocols`, `tls`, and
   * the ws* connection options.
   */
  wsConnect(url: string, handlerOrOpts?: EventHandler | WsConnectOptions, opts?: WsConnectOptions): Connection {
    return wsConnect(this, url, handlerOrOpts as CoreHandler | WsConnectOptions | undefined, opts) as Connection;
  }

  /**
   * Connects to an MQTT server (mqtt:// or mqtts://; ws:// or wss:// for MQTT over
   * WebSocket, offering subprotocol `mqtt`, e.g. "ws://host:8080/mqtt") and sends
   * CONNECT; MG_EV_MQTT_OPEN gives the CONNACK's return code. Options: `clientId`,
   * `user`, `pass`, `keepAlive`, `clean`, `will`, `version` (4 or 5), `props`, `tls`,
   * `mqttMaxPacketSize`; over WebSocket also `headers`, `handshakeTimeoutMs`.
   */
  mqttConnect(url: string, handlerOrOpts?: EventHandler | MqttConnectOptions | MqttWsConnectOptions, opts?: MqttConnectOptions | MqttWsConnectOptions): Connection {
    return mqttConnect(this, url, handlerOrOpts as CoreHandler | MqttConnectOptions | undefined, opts, MQTT_WS_CARRIER) as Connection;
  }

  /**
   * Listens for MQTT clients: accepted connections deliver MG_EV_MQTT_CMD / MG_EV_MQTT_MSG.
   * mqtt:// and mqtts://, or ws:// and wss:// for MQTT over WebSocket (any path, or only
   * the listen URL's path when it has one; the client must offer subprotocol `mqtt`).
   */
  mqttListen(url: string, handlerOrOpts?: EventHandler | ConnectionOptions, opts?: ConnectionOptions): Connection {
    return mqttListen(this, url, handlerOrOpts as CoreHandler | ConnectionOptions | undefined, opts, MQTT_WS_CARRIER) as Connection;
  }

  /**
   * Opens an SNTP client connection (udp://host:port or sntp://host, default port 123):
   * a request goes out on MG_EV_CONNECT and on each conn.sntpRequest(); a valid reply
   * delivers MG_EV_SNTP_TIME with the server's time in epoch milliseconds. Option
   * `timeoutMs` (default 5000): MG_EV_ERROR when a request gets no valid reply in time.
   * As in Mongoose the connection then closes (after the reply or the timeout), unless
   * option `keepOpen` is true.
   */
  sntpConnect(url: string, handlerOrOpts?: EventHandler | SntpConnectOptions, opts?: SntpConnectOptions): Connection {
    return sntpConnect(this, url, handlerOrOpts as CoreHandler | SntpConnectOptions | undefined, opts) as Connection;
  }
}

export type { ManagerOptions, RunOptions, CloseOptions };


/** Maps a URL's scheme and the options to the transport and the layer; checks the options. */
function specFor(url: string, o: ConnectionOptions, what: "listen" | "connect"): OpenSpec {
  const scheme = checkUrl(url, what);
  checkCoreOptions(o);
  let tls: boolean;
  let http: boolean;
  let mqtt: boolean;
  switch (scheme) {
    case "tcp": case "udp": tls = false; http = false; mqtt = false; break;
    case "tls": case "ssl": tls = true; http = false; mqtt = false; break;
    case "http": case "ws": tls = false; http = true; mqtt = false; break;
    case "https": case "wss": tls = true; http = true; mqtt = false; break;
    case "mqtt": tls = false; http = false; mqtt = what === "listen"; break;
    case "mqtts": tls = true; http = false; mqtt = what === "listen"; break;
    default: throw new MgError("ERR_INVALID_URL", `${what}: unsupported scheme "${urlScheme(url)}://" in ${url}`);
  }
  // ws:// or wss:// with { mqtt: true }: MQTT over WebSocket (the HTTP layer only upgrades).
  if ((scheme === "ws" || scheme === "wss") && what === "listen" && o.mqtt === true && o.http === undefined) return mqttWsServerSpec(url, o);
  http = optBool(o, "http", http);
  mqtt = optBool(o, "mqtt", mqtt && !http);
  if (http && mqtt) throw new MgError("ERR_INVALID_OPTION", "options http and mqtt cannot both be true");
  const udp = scheme === "udp";
  if (udp && (http || mqtt)) throw new MgError("ERR_INVALID_OPTION", `${what}: HTTP and MQTT need TCP, not udp://`);
  if (http) {
    checkWsOptions(o); // a WebSocket upgrade reads them later: check them now
    return httpSpec(tls, o);
  }
  if (mqtt) return mqttServerSpec(tls, o);
  return { udp, tls: tls && !udp };
}
