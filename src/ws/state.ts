// Per-connection WebSocket state and the limits taken from the connection's options.
import type { Connection } from "../core/connection.js";
import { PerMessageDeflate, type DeflateParams, type WsDeflateOptions } from "./deflate.js";
import type { ClientHandshake } from "./client.js";
import { DEFAULT_MAX_FRAGMENTS, WsDecoder } from "./codec.js";

export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
export const DEFAULT_MAX_SEND_QUEUE = 16 * 1024 * 1024;
export const DEFAULT_CLOSE_TIMEOUT_MS = 5000;
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
  /**
   * @deprecated Unused: the decoder assembles fragmented messages now. Kept only so
   * that layer.ts, which clears it on close, compiles unchanged; remove with it.
   */
  frags: Buffer[];
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
  handshake: ClientHandshake | undefined;
}

function positive(v: number | undefined, def: number, name: string): number {
  if (v === undefined) return def;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer, got ${v}`);
  return v;
}

/** Creates the WebSocket state of `c` from its options (throws on bad options). */
export function createWsState(c: Connection, isServer: boolean): WsConnState {
  const o = c._opts;
  const maxMessage = positive(o.wsMaxMessageSize, DEFAULT_MAX_MESSAGE_SIZE, "wsMaxMessageSize");
  const maxFragments = positive(o.wsMaxFragments, DEFAULT_MAX_FRAGMENTS, "wsMaxFragments");
  const policy = o.wsSendQueuePolicy ?? "close";
  if (policy !== "close" && policy !== "drop") throw new Error(`wsSendQueuePolicy must be "close" or "drop", got ${String(policy)}`);
  return {
    isServer, maxMessage, maxWire: maxMessage, deflate: undefined,
    maxFragments, decoder: new WsDecoder({ isServer, maxMessage, maxFragments }), frags: [],
    failed: false, closeSent: false, closeReceived: false, closeSentAt: 0,
    closeTimeoutMs: positive(o.wsCloseTimeoutMs, DEFAULT_CLOSE_TIMEOUT_MS, "wsCloseTimeoutMs"),
    maxSendQueue: positive(o.wsMaxSendQueue, DEFAULT_MAX_SEND_QUEUE, "wsMaxSendQueue"),
    sendQueuePolicy: policy, dropped: 0,
    handshake: undefined,
  };
}

/** Sizes the receive buffer of `c` for whole frames: they are parsed only once complete. */
export function sizeRecvBuffer(c: Connection, st: WsConnState): void {
  if (c._opts.maxRecvSize === undefined) c._maxRecv = Math.max(64 * 1024, st.maxWire + MAX_HEADER);
}

/** Turns on the agreed permessage-deflate. */
export function enableDeflate(c: Connection, st: WsConnState, params: DeflateParams, opts: WsDeflateOptions): void {
  st.deflate = new PerMessageDeflate(params, opts, st.maxMessage);
  // Agreed in the handshake, before any frame: a fresh decoder that knows the extension.
  st.decoder = new WsDecoder({ isServer: st.isServer, maxMessage: st.maxMessage, maxFragments: st.maxFragments, deflate: st.deflate });
  st.maxWire = st.decoder.maxWire;
  sizeRecvBuffer(c, st);
}
