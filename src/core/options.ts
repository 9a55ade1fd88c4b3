// Options accepted by Manager.listen() and Manager.connect().
import type { TlsOpts } from "../tls/options.js";
import type { WsDeflateOptions } from "../ws/deflate.js";
import type { WsSendQueuePolicy } from "../ws/state.js";

export interface HttpLimits {
  /** Largest request/response head (request line + headers) in bytes. Default 16 KiB; over it: 431. */
  maxHeaderSize?: number;
  /** Largest body in bytes that is buffered for MG_EV_HTTP_MSG. Default 16 MiB; over it: 413. */
  maxBodySize?: number;
  /** Most headers in one message. Default 100; over it: 431. */
  maxHeaders?: number;
  /** Server: time allowed from a request's first byte to the end of its head. Default 30 s; then 408. 0: none. */
  headersTimeoutMs?: number;
  /** Server: time allowed from a request's first byte to the end of its body. Default 300 s; then 408. 0: none. */
  requestTimeoutMs?: number;
  /** Server: an idle keep-alive connection is closed after this long. Default 60 s. 0: never. */
  idleTimeoutMs?: number;
}

export interface ConnectionOptions extends HttpLimits {
  /** Speak HTTP/1.1 on this connection (inferred from http://, https://, ws://, wss://). */
  http?: boolean;
  /** TLS settings: set up TLS without handler code (server: every accepted connection). */
  tls?: TlsOpts;
  /**
   * Most bytes held in the receive buffer before reading from the socket pauses
   * (`isFull`). Default 1 MiB for raw connections; HTTP connections raise it to fit
   * the head and body limits.
   */
  maxRecvSize?: number;
  /** Largest WebSocket message accepted, in bytes. Default 16 MiB; over it: close 1009. */
  wsMaxMessageSize?: number;
  /** Most frames (fragments) in one received WebSocket message. Default 16384; over it: close 1008. */
  wsMaxFragments?: number;
  /**
   * WebSocket permessage-deflate (RFC 7692): true (default) accepts it when the client
   * offers it (server) or offers it (client); false turns it off; an object tunes it.
   */
  wsDeflate?: boolean | WsDeflateOptions;
  /**
   * Most bytes a WebSocket connection may have waiting to be sent (`sendLen`) before
   * wsSend() applies `wsSendQueuePolicy`. Default 16 MiB.
   */
  wsMaxSendQueue?: number;
  /** Over `wsMaxSendQueue`: "close" (default) closes with 1008 and MG_EV_ERROR; "drop" drops the message (wsSend returns 0). */
  wsSendQueuePolicy?: WsSendQueuePolicy;
  /** How long a WebSocket waits for the peer's answer to a close frame before cutting the connection. Default 5000 ms. */
  wsCloseTimeoutMs?: number;
  /** Speak MQTT on accepted connections (set by mqttListen). */
  mqtt?: boolean;
  /** Largest MQTT packet received, in bytes (whole packet). Default 16 MiB; over it: MG_EV_ERROR and close. */
  mqttMaxPacketSize?: number;
}
