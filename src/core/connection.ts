// A connection: a socket (TCP, UDP or a listener), its receive buffer, its send queue,
// and the handler that receives its events. Protocol layers (HTTP, WebSocket, ...) sit
// in `_proto`, which sees every event before the user's handler, as Mongoose's `pfn`.
import type * as net from "node:net";
import type * as dgram from "node:dgram";
import type { Manager } from "./manager.js";
import type { EventHandler, EventArgs } from "./events.js";
import { MG_EV_ERROR } from "./events.js";
import { RecvBuffer } from "./recv-buffer.js";
import type { ConnectionOptions } from "./options.js";
import type { HttpMessage } from "../http/message.js";
import type { HttpConnState } from "../http/protocol.js";
import type { ServeOptions } from "../http/static.js";
import type { WsConnState } from "../ws/state.js";
import type { TlsOpts } from "../tls/options.js";
import { httpReply, httpReplyJson, httpChunk, httpSse, type HeadersInit } from "../http/reply.js";
import { serveDir, serveFile } from "../http/static.js";
import { noteClientSend, closingHead } from "../http/protocol.js";
import { toBuffer } from "../util/bytes.js";
import { base64Encode } from "../util/base64.js";
import { wsUpgrade, wsSend, wsClose } from "../ws/layer.js";
import { WEBSOCKET_OP_TEXT } from "../ws/constants.js";
import { tlsInit, tlsFree } from "../tls/tls.js";
import type { MqttConnState } from "../mqtt/state.js";
import type { MqttMessage, MqttProperty } from "../mqtt/message.js";
import {
  mqttPub, mqttSub, mqttUnsub, mqttPing, mqttPong, mqttDisconnect, mqttSendHeader, mqttConnack, mqttSuback,
  type MqttPubOptions, type MqttSubOptions, type MqttConnackOptions,
} from "../mqtt/send.js";
import { sntpRequest } from "../sntp/client.js";

export interface Addr {
  ip: string;
  port: number;
  isIp6: boolean;
}

/**
 * Receives every event of a connection before the user's handler (Mongoose's `pfn`).
 * Declared through a method so both `(c, ev, data)` and `(...args: EventArgs)` forms fit.
 */
export type ProtocolHandler = { fn(c: Connection, ev: number, data: unknown): void }["fn"];

const NO_ADDR: Addr = Object.freeze({ ip: "", port: 0, isIp6: false }) as Addr;
const DEFAULT_MAX_RECV = 1 << 20;

export class Connection {
  /** Unique, increasing id (1, 2, ...). */
  readonly id: number;
  readonly manager: Manager;
  /** What the application wants to keep with this connection. */
  userdata: unknown = undefined;
  isListening = false;
  isClient = false;
  isUdp = false;
  isTls = false;
  isWebsocket = false;
  /** Set by close(): the connection is closed at the end of this poll. */
  isClosing = false;
  /** Set by drain(): the connection closes once everything queued is written. */
  isDraining = false;
  localAddr: Addr = NO_ADDR;
  remoteAddr: Addr = NO_ADDR;

  /** @internal */ _handler: EventHandler | undefined;
  /** @internal */ _proto: ProtocolHandler | undefined;
  /** @internal */ _opts: ConnectionOptions;
  /** @internal */ readonly _recv = new RecvBuffer();
  /** @internal */ _maxRecv: number;
  /** @internal */ _out: Buffer[] = [];
  /** @internal */ _outBytes = 0;
  /** @internal */ _socket: net.Socket | undefined;
  /** @internal */ _server: net.Server | undefined;
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
  /** @internal */ _evErrors: string[] = [];
  /** @internal */ _evEnd = false;
  /** @internal MG_EV_WAKEUP payloads waiting for dispatch. */
  _wakeups: Buffer[] = [];
  /** @internal */ _evClosed = false;
  /** @internal CONNECT (client) or ACCEPT (server) has been dispatched: sends may be flushed. */
  _established = false;
  /** @internal */ _closed = false;
  /** @internal */ _paused = false;
  /** @internal a producer (static file stream, ...) to call when the send queue has room. */
  _onWritable: (() => void) | undefined;
  /** @internal Protocol state. */ _http: HttpConnState | undefined;
  /** @internal */ _ws: WsConnState | undefined;
  /** @internal */ _mqtt: MqttConnState | undefined;
  /** @internal pending DNS lookup; cancelled by resolveCancel() */
  _resolving: { cancelled: boolean } | undefined;
  /** @internal */ _tlsOpts: TlsOpts | undefined;
  /** @internal TLS handshake in progress: plaintext must not be flushed. */
  _tlsPending = false;
  /** @internal The URL's scheme asks for TLS (https, wss, mqtts, tls, ssl): never speak in clear. */
  _tlsScheme = false;
  /** @internal Client: the host of the URL connected to (the default TLS name). */
  _host = "";

  /** @internal */
  constructor(manager: Manager, id: number, handler: EventHandler | undefined, opts: ConnectionOptions) {
    this.manager = manager;
    this.id = id;
    this._handler = handler;
    this._opts = opts;
    this._maxRecv = opts.maxRecvSize ?? DEFAULT_MAX_RECV;
  }

  // ---- handler ------------------------------------------------------------------

  /** The handler that receives this connection's events (the manager's when unset). */
  get handler(): EventHandler | undefined { return this._handler ?? this.manager.handler; }
  set handler(h: EventHandler | undefined) { this._handler = h; }
  setHandler(h: EventHandler | undefined): void { this._handler = h; }

  /**
   * Sends an event to this connection: first to the protocol layer, then to the
   * handler (Mongoose's mg_call). Use MG_EV_USER + n for events of your own. A throwing
   * handler is reported to the manager's errorHandler and never stops the loop.
   */
  call(ev: number, data?: unknown): void {
    const proto = this._proto;
    if (proto !== undefined) {
      try { proto(this, ev, data); }
      catch (e) { this.manager._reportError(e); }
    }
    const h = this._handler ?? this.manager.handler;
    if (h !== undefined) {
      try { (h as (c: Connection, e: number, d: unknown) => void)(this, ev, data); }
      catch (e) { this.manager._reportError(e); }
    }
  }

  // ---- state --------------------------------------------------------------------

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
  set recvSize(n: number) {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`recvSize must be a positive integer, got ${n}`);
    this._maxRecv = n;
    this.manager._resumeIfRoom(this);
  }
  /** Bytes queued for sending and not yet written to the network. */
  get sendLen(): number { return this._outBytes + (this._socket?.writableLength ?? 0); }
  /** Capacity of the send side: bytes that may be queued before `isWritable` goes false. */
  get sendSize(): number { return this._socket?.writableHighWaterMark ?? 16384; }

  // ---- raw I/O ------------------------------------------------------------------

  /**
   * Queues bytes for sending (strings are UTF-8). Returns false, and sends nothing,
   * when the connection is closing or is a listener. Queued bytes are written at the end
   * of the current event, batched into as few writes as possible.
   */
  send(data: string | Uint8Array): boolean {
    if (this._closed || (this.isClosing && !this.isDraining) || (this.isListening && !this.isUdp)) return false;
    const buf = toBuffer(data);
    if (buf.length === 0) return true;
    if (this._udp) return this.manager._sendDatagram(this, buf);
    if (this.isClient && this._proto !== undefined) noteClientSend(this, buf);
    this._out.push(buf);
    this._outBytes += buf.length;
    this.manager._needsFlush(this);
    return true;
  }

  /** A view of the first `n` received bytes (all when omitted); nothing is consumed. */
  recvData(n?: number): Buffer { return this._recv.view(n); }

  /** Drops `n` bytes (all when omitted) from the front of the receive buffer. */
  recvConsume(n?: number): void {
    this._recv.consume(n);
    if (this._paused) this.manager._resumeIfRoom(this);
  }

  /** A copy of the first `n` bytes (all when omitted) queued but not yet handed to the socket. */
  sendData(n?: number): Buffer {
    const all = this._out.length === 1 ? this._out[0]! : Buffer.concat(this._out, this._outBytes);
    return n === undefined || n >= all.length ? all : all.subarray(0, Math.max(0, n));
  }

  /** Closes the connection at the end of this event: what is queued is written once, then the socket closes. */
  close(): void {
    if (this._closed) return;
    this.isClosing = true;
    this.manager._needsFlush(this);
  }

  /** Closes the connection once everything queued has been written. */
  drain(): void {
    if (this._closed || this.isDraining) return;
    this.isDraining = true;
    if (this._http !== undefined) closingHead(this);
    this.manager._needsFlush(this);
  }

  /** Reports an error: MG_EV_ERROR with `msg`, then the connection closes. */
  error(msg: string): void {
    this.call(MG_EV_ERROR, msg);
    this.isClosing = true;
    this.manager._needsFlush(this);
  }

  // ---- HTTP ---------------------------------------------------------------------

  /**
   * Sends an HTTP response. Adds Content-Length, and Content-Type: text/plain unless
   * given. Headers that say `Transfer-Encoding: chunked` or `Content-Type:
   * text/event-stream` start a stream instead: continue with httpChunk()/httpSse().
   */
  reply(status: number, body: string | Uint8Array = "", headers?: HeadersInit): void {
    httpReply(this, status, body, headers);
  }
  /** Sends `value` as JSON with Content-Type: application/json. */
  replyJson(value: unknown, status = 200, headers?: HeadersInit): void {
    httpReplyJson(this, value, status, headers);
  }
  /** Sends one chunk of a chunked response; empty data ends the stream. */
  httpChunk(data: string | Uint8Array): void { httpChunk(this, data); }
  /** Sends one Server-Sent Event; multi-line data becomes several `data:` lines. */
  httpSse(eventType: string, data: string | Uint8Array): void { httpSse(this, eventType, data); }
  /** Serves a file from `rootDir` (or "/prefix=dir,..." mappings) for the request. */
  serveDir(msg: HttpMessage, rootDir: string, opts?: ServeOptions): void { serveDir(this, msg, rootDir, opts); }
  /** Serves one file for the request (Range, ETag, Last-Modified, HEAD). */
  serveFile(msg: HttpMessage, path: string, opts?: ServeOptions): void { serveFile(this, msg, path, opts); }
  /** Client side: sends an `Authorization: Basic` header line (call between request line and end of headers). */
  httpBasicAuth(user: string, pass: string): void {
    this.send(`Authorization: Basic ${base64Encode(`${user}:${pass}`)}\r\n`);
  }

  // ---- WebSocket ----------------------------------------------------------------

  /**
   * Upgrades an HTTP request to WebSocket: 101 response, then MG_EV_WS_OPEN. A request
   * that is not a valid upgrade gets 400 or 426 and the connection closes: returns false.
   */
  wsUpgrade(msg: HttpMessage, extraHeaders?: HeadersInit): boolean { return wsUpgrade(this, msg, extraHeaders); }
  /** Sends a WebSocket message (text by default). Returns the bytes queued (0: nothing sent). */
  wsSend(data: string | Uint8Array, op: number = WEBSOCKET_OP_TEXT): number { return wsSend(this, data, op); }
  /** Starts the WebSocket closing handshake: close frame with `code` and `reason`, then MG_EV_CLOSE when the peer answers. */
  wsClose(code = 1000, reason = ""): void { wsClose(this, code, reason); }

  // ---- MQTT ---------------------------------------------------------------------

  /** Publishes `payload` on `topic`; returns the packet id (0 for QoS 0). QoS 1/2 acks are handled by the layer. */
  mqttPub(topic: string, payload: string | Uint8Array, opts?: MqttPubOptions): number { return mqttPub(this, topic, payload, opts); }
  /** Subscribes to a topic filter (`+`, `#` wildcards); returns the packet id that SUBACK carries. */
  mqttSub(topic: string, opts?: MqttSubOptions): number { return mqttSub(this, topic, opts); }
  /** Unsubscribes from a topic filter; returns the packet id that UNSUBACK carries. */
  mqttUnsub(topic: string, props?: MqttProperty[]): number { return mqttUnsub(this, topic, props); }
  /** Sends PINGREQ. */
  mqttPing(): void { mqttPing(this); }
  /** Sends PINGRESP (servers answer PINGREQ with it). */
  mqttPong(): void { mqttPong(this); }
  /** Sends DISCONNECT (MQTT 5: with a reason code) and closes once it is written. */
  mqttDisconnect(reason?: number, props?: MqttProperty[]): void { mqttDisconnect(this, reason, props); }
  /** Sends a fixed header (Mongoose's mg_mqtt_send_header) for a body of `len` bytes; send() the body next. */
  mqttSendHeader(cmd: number, flags: number, len: number): void { mqttSendHeader(this, cmd, flags, len); }
  /** Server: answers CONNECT with CONNACK; a non-zero code refuses and closes. */
  mqttConnack(code?: number, opts?: MqttConnackOptions): void { mqttConnack(this, code, opts); }
  /** Server: answers SUBSCRIBE (granted QoS or 0x80 per filter) or UNSUBSCRIBE with SUBACK / UNSUBACK. */
  mqttSuback(msg: MqttMessage, codes: readonly number[], props?: MqttProperty[]): void { mqttSuback(this, msg, codes, props); }

  // ---- TLS ----------------------------------------------------------------------

  /** Starts TLS on this connection: call on MG_EV_ACCEPT (server) or MG_EV_CONNECT (client). */
  tlsInit(opts: TlsOpts): void { tlsInit(this, opts); }
  /** Forgets the TLS settings of a connection that has not started TLS yet. */
  tlsFree(): void { tlsFree(this); }

  // ---- DNS ----------------------------------------------------------------------

  /** Resolves the host of `url` and connects this connection to it (MG_EV_RESOLVE, MG_EV_CONNECT). */
  resolve(url: string): void { this.manager._resolveAndConnect(this, url); }
  /** Cancels a pending resolve(). */
  resolveCancel(): void { if (this._resolving) this._resolving.cancelled = true; this._resolving = undefined; }

  // ---- SNTP ---------------------------------------------------------------------

  /** Sends another time request on a connection from manager.sntpConnect() (throws on any other). */
  sntpRequest(): void { sntpRequest(this); }
}
