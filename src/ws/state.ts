// Per-connection WebSocket state and the limits taken from the connection's options.
import type { CoreConnection as Connection } from "../core/connection.js";
import type { ReadPlace } from "../core/accept.js";
import { PerMessageDeflate, type DeflateParams, type WsDeflateOptions } from "./deflate.js";
import { DEFAULT_MAX_FRAGMENTS, WsDecoder } from "./codec.js";
import { optPositiveInt, optOneOf } from "../util/check.js";
import type { HttpMessage } from "../http/message.js";

/** The client's opening handshake in progress (implemented by client.ts). */
export interface WsHandshake {
  onConnect(c: Connection, st: WsConnState): void;
  /** Returns true once the handshake is over (done or failed). */
  onRead(c: Connection, st: WsConnState): void;
  onPoll(c: Connection, st: WsConnState, now: number): void;
  onClose(c: Connection, st: WsConnState): void;
}

/** The WebSocket options of listen() / wsConnect(). */
export interface WsOptions {
  /** Largest WebSocket message accepted, in bytes. Default 16 MiB; over it: close 1009. */
  wsMaxMessageSize?: number;
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
  /** Most frames one message may arrive in (RFC 6455 fragments). Default 16384; past it: close 1008. */
  wsMaxFragments?: number;
  /**
   * Server: the subprotocols wsUpgrade() accepts (Sec-WebSocket-Protocol, RFC 6455
   * section 4.2.2). A list picks the first protocol the client offers that is in it
   * (the client's order of preference); a function gets the offered list and the
   * request and returns one of them, or undefined for none. No match: the 101 goes
   * out without Sec-WebSocket-Protocol. Ignored by clients (they use `protocols`).
   */
  wsProtocols?: readonly string[] | WsProtocolSelector;
  /**
   * Receive-side backpressure: while more than this many bytes wait to be sent
   * (`sendLen`), received frames are not decoded (so reading from the socket pauses
   * once the receive buffer is full); decoding resumes below half of it. Default 1 MiB.
   */
  wsBackpressureHighWater?: number;
}

/** Chooses a subprotocol from those a client offers (in its order of preference); undefined: none. */
export type WsProtocolSelector = (offered: string[], msg: HttpMessage) => string | undefined;

export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
export const DEFAULT_MAX_SEND_QUEUE = 16 * 1024 * 1024;
export const DEFAULT_CLOSE_TIMEOUT_MS = 5000;
export const DEFAULT_BACKPRESSURE_HIGH_WATER = 1024 * 1024;
// Largest frame header: 2 + 8 (length) + 4 (mask).
const MAX_HEADER = 14;

/** What wsSend does when the send queue is over `wsMaxSendQueue`. */
export type WsSendQueuePolicy = "close" | "drop";

/** Per-connection WebSocket state. */
export interface WsConnState {
  isServer: boolean;
  /** Largest message (after decompression). */
  maxMessage: number;
  /** Largest payload of a compressed data message on the wire. */
  maxWire: number;
  /** The agreed permessage-deflate, if any. */
  deflate: PerMessageDeflate | undefined;
  /** Most frames in one received message. */
  maxFragments: number;
  /** The receive codec: frames, fragmented messages, UTF-8, decompression. */
  decoder: WsDecoder;
  /** A protocol error closed the connection: input is discarded. */
  failed: boolean;
  closeSent: boolean;
  closeReceived: boolean;
  /** When our close frame was sent (millis), for the close timeout. */
  closeSentAt: number;
  closeTimeoutMs: number;
  maxSendQueue: number;
  sendQueuePolicy: WsSendQueuePolicy;
  /** Data messages dropped by the "drop" policy. */
  dropped: number;
  /** Client: the opening handshake in progress. */
  handshake: WsHandshake | undefined;
  /** The agreed subprotocol ("" when none). */
  protocol: string;
  /** Decoding stops while sendLen is above this ... */
  pauseAbove: number;
  /** ... and resumes once it is at or below this. */
  resumeBelow: number;
  /** Decoding is paused for backpressure. */
  paused: boolean;
  /** The small frames queued last, as one view of a sender slab (sender.ts); undefined when something else was queued after them. */
  pending: Buffer | undefined;
  /** The slab `pending` is in, and where it starts and ends there. */
  pendSlab: Buffer | undefined;
  pendStart: number;
  pendEnd: number;
  /** While a large frame streams: the socket reads straight into its buffer (receiver.ts). */
  place: ReadPlace | undefined;
  /** The sender slabs this connection's queue has views of since it was last written (sender.ts). */
  slabsOut: SlabUse[];
  /** The producer hook that wakes decoding up when the socket drains (made on the first pause). */
  wake: (() => void) | undefined;
}

/** A sender slab and who may still read it: connections whose queue holds views of it (`out`), or a socket that did not take them at once (`kept`). See sender.ts. */
export interface SlabUse { buf: Buffer; out: number; kept: boolean }

/** Creates the WebSocket state from the options (throws an MgError naming a bad option). */
export function createWsState(o: WsOptions, isServer: boolean): WsConnState {
  const maxMessage = optPositiveInt(o, "wsMaxMessageSize", DEFAULT_MAX_MESSAGE_SIZE);
  const maxFragments = optPositiveInt(o, "wsMaxFragments", DEFAULT_MAX_FRAGMENTS);
  const policy = optOneOf<WsSendQueuePolicy>(o, "wsSendQueuePolicy", "close", ["close", "drop"]);
  const highWater = optPositiveInt(o, "wsBackpressureHighWater", DEFAULT_BACKPRESSURE_HIGH_WATER);
  return {
    isServer, maxMessage, maxWire: maxMessage, deflate: undefined,
    maxFragments, decoder: new WsDecoder({ isServer, maxMessage, maxFragments }),
    failed: false, closeSent: false, closeReceived: false, closeSentAt: 0,
    closeTimeoutMs: optPositiveInt(o, "wsCloseTimeoutMs", DEFAULT_CLOSE_TIMEOUT_MS),
    maxSendQueue: optPositiveInt(o, "wsMaxSendQueue", DEFAULT_MAX_SEND_QUEUE),
    sendQueuePolicy: policy, dropped: 0,
    handshake: undefined, protocol: "",
    pauseAbove: highWater, resumeBelow: highWater >>> 1, paused: false, wake: undefined,
    pending: undefined, pendSlab: undefined, pendStart: 0, pendEnd: 0, slabsOut: [], place: undefined,
  };
}

/** Sizes the receive buffer of `c` for whole frames: they are parsed only once complete. */
export function sizeRecvBuffer(c: Connection, st: WsConnState): void {
  c.needRecvSize(Math.max(64 * 1024, st.maxWire + MAX_HEADER));
}

/** Turns on the agreed permessage-deflate. */
export function enableDeflate(c: Connection, st: WsConnState, params: DeflateParams, opts: WsDeflateOptions): void {
  st.deflate = new PerMessageDeflate(params, opts, st.maxMessage);
  // Agreed in the handshake, before any frame: a fresh decoder that knows the extension.
  st.decoder = new WsDecoder({ isServer: st.isServer, maxMessage: st.maxMessage, maxFragments: st.maxFragments, deflate: st.deflate });
  st.maxWire = st.decoder.maxWire;
  sizeRecvBuffer(c, st);
}
