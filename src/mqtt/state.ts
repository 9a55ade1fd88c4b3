// Per-connection MQTT state and the limits taken from the connection's options.
import type { CoreConnection as Connection } from "../core/connection.js";
import type { MqttClientSession } from "./session.js";
import type { MqttProperty } from "./props.js";
import { millis } from "../util/time.js";
import { optBool, optIntIn } from "../util/check.js";
import { MgError } from "../util/errors.js";
import { TopicCache } from "./topic-cache.js";
import { IdSet } from "./id-set.js";

/** Options of the MQTT layer (mqttListen, mqttConnect, mqtt:// URLs). */
export interface MqttOptions {
  /** Largest MQTT packet received, in bytes (whole packet). Default 16 MiB; over it: MG_EV_ERROR and close. */
  mqttMaxPacketSize?: number;
  /**
   * While more than this many bytes wait in the connection's send queue, no further
   * packets are parsed (reading pauses once the receive buffer is full); parsing resumes
   * below half of it. Default 1 MiB. Bounds what a peer that does not read its acks costs.
   */
  mqttSendHighWater?: number;
  /**
   * The application acknowledges every received QoS 1/2 PUBLISH itself with
   * `conn.mqttAck(msg, reasonCode?)`, whenever it likes. Default false: the layer sends
   * PUBACK / PUBREC once the MG_EV_MQTT_MSG handler returns, with the reason code the
   * handler gave to mqttAck() or 0 (success).
   */
  mqttManualAcks?: boolean;
}

/** Largest packet received by default (whole packet, header included). */
export const DEFAULT_MAX_PACKET_SIZE = 16 * 1024 * 1024;
/** Client: time allowed from mqttConnect() to the CONNACK, by default. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** Parsing pauses while the send queue holds more than this, by default. */
export const DEFAULT_SEND_HIGH_WATER = 1024 * 1024;

/** A QoS 1/2 PUBLISH waiting for room under the server's Receive Maximum (client side). */
export interface PendingPub {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  dup: boolean;
  id: number;
  props: MqttProperty[] | undefined;
}

/** Client: what the enhanced authentication callback receives (MQTT 5 section 4.12). */
export interface MqttClientAuthRequest {
  /** The Authentication Method of the CONNECT. */
  method: string;
  /** The server's Authentication Data (undefined when it sent none). */
  data: Buffer | undefined;
  /** The AUTH packet's reason code (0x18 continue authentication). */
  reason: number;
  /** True during a re-authentication (after CONNACK). */
  reauth: boolean;
}

/**
 * Client: answers one AUTH step from the server with the Authentication Data of the
 * next AUTH 0x18 (undefined: no data). Throwing ends the connection (DISCONNECT 0x83).
 */
export type MqttClientAuth = (req: MqttClientAuthRequest) => string | Uint8Array | undefined;

/**
 * Where the MQTT layer reads received bytes from when they do not come straight from
 * the socket (MQTT over WebSocket: the payloads of the binary messages). The
 * connection itself is one (its receive buffer), and is used when `input` is unset.
 */
export interface MqttInput {
  readonly recvLen: number;
  /** The most bytes it holds: a packet announced bigger is refused. */
  readonly recvSize: number;
  recvData(n?: number): Buffer;
  recvConsume(n?: number): void;
}

/** How encoded packets are queued when not as raw bytes on the connection (MQTT over WebSocket: binary frames). */
export type MqttOutput = (c: Connection, data: Buffer) => void;

export interface MqttConnState {
  isServer: boolean;
  /** The received bytes when they are not the connection's receive buffer (see MqttInput). */
  input: MqttInput | undefined;
  /** Queues packets when they are not written as they are (see MqttOutput). */
  output: MqttOutput | undefined;
  /** Protocol level spoken: 4 (3.1.1) or 5; 3 (3.1) on servers. Servers learn it from CONNECT. */
  version: number;
  maxPacket: number;
  /** A protocol error closed the connection: input is discarded. */
  failed: boolean;
  /** Client: CONNACK received. Server: CONNECT received. */
  connected: boolean;
  nextId: number;
  /** Our packets with identifiers awaiting their acknowledgement (and queued publishes' ids). */
  inflight: Set<number>;
  /** Received QoS 2 PUBLISH ids awaiting PUBREL: a resent PUBLISH is acknowledged, not delivered twice. */
  qos2In: Set<number>;
  /** Client: keep alive in ms (0: off). */
  keepAliveMs: number;
  lastSent: number;
  /** When our unanswered PINGREQ went out (0: none). */
  pingSentAt: number;
  /** Client: when waiting for CONNACK gives up (millis). */
  connectDeadline: number;
  /** Backpressure: parsing stops above this many bytes in the send queue. */
  sendHighWater: number;
  /** Parsing is paused until the send queue is below half of sendHighWater. */
  paused: boolean;
  manualAcks: boolean;
  /** Received QoS 1/2 PUBLISH ids the application has not acknowledged yet (mostly none or one: id-set.ts). */
  unacked: IdSet;
  /** The last PUBLISH topic received, reused while the next ones repeat it (topic-cache.ts). */
  topics: TopicCache;
  // ---- MQTT 5 client --------------------------------------------------------------
  /** Topic Alias Maximum we announced in CONNECT: aliases the server may use towards us. */
  aliasInMax: number;
  /** Topics of the server's aliases (index: alias). */
  aliasIn: (string | undefined)[];
  /** Use aliases towards the server (up to its CONNACK Topic Alias Maximum). */
  useAliases: boolean;
  aliasOutMax: number;
  aliasOut: Map<string, number>;
  /** The server's Receive Maximum (CONNACK; 65535 when absent). */
  peerReceiveMax: number;
  /** The peer's Maximum Packet Size: the server's (CONNACK) on a client, the client's (CONNECT) on a server; unlimited when absent. */
  peerMaxPacket: number;
  /** Our unacknowledged QoS 1/2 PUBLISH ids (counted against peerReceiveMax). */
  pubInflight: Set<number>;
  /** QoS 1/2 publishes waiting for room (before CONNACK, or over the Receive Maximum). */
  pubQueue: PendingPub[];
  maxQueuedPubs: number;
  /** Enhanced authentication: the method of our CONNECT and the callback for AUTH steps. */
  authMethod: string | undefined;
  auth: MqttClientAuth | undefined;
  // ---- client session (session.ts) ------------------------------------------------
  /** Client: where unacknowledged QoS 1/2 publishes outlive the connection (option `session`). */
  session: MqttClientSession | undefined;
  /** Client: the session's publishes from earlier connections, resent or dropped at CONNACK. */
  resumeIds: number[];
  // ---- conformance details (docs/mqtt-conformance.md) -----------------------------
  /** Server: a CONNACK 0x00 went out (a DISCONNECT may only follow one [MQTT-3.14.0-1]). */
  connacked: boolean;
  /** Client: the CONNECT had Clean Start 1 (a CONNACK with Session Present 1 is then a protocol error [MQTT-3.2.2-4]). */
  cleanStart: boolean;
  /** Client, MQTT 5: the server's Maximum QoS and Retain Available (CONNACK; 2 and true when absent). */
  peerMaxQos: number;
  peerRetain: boolean;
}

/** Checks the MQTT options (throws an MgError naming a bad one) and creates the state. */
export function createMqttState(o: MqttOptions, isServer: boolean, version = 4): MqttConnState {
  // 268,435,460 bytes: the largest packet the remaining-length encoding allows (section 2.2.3).
  const max = optIntIn(o, "mqttMaxPacketSize", DEFAULT_MAX_PACKET_SIZE, 2, 268_435_460);
  const hw = optIntIn(o, "mqttSendHighWater", DEFAULT_SEND_HIGH_WATER, 1, Number.MAX_SAFE_INTEGER);
  const manual = optBool(o, "mqttManualAcks", false);
  return {
    isServer, input: undefined, output: undefined, version, maxPacket: max, failed: false, connected: false, nextId: 0,
    inflight: new Set(), qos2In: new Set(), keepAliveMs: 0, lastSent: millis(), pingSentAt: 0,
    connectDeadline: Infinity, sendHighWater: hw, paused: false, manualAcks: manual, unacked: new IdSet(), topics: new TopicCache(),
    aliasInMax: 0, aliasIn: [], useAliases: false, aliasOutMax: 0, aliasOut: new Map(),
    peerReceiveMax: 65535, peerMaxPacket: Infinity, pubInflight: new Set(), pubQueue: [], maxQueuedPubs: 1000,
    authMethod: undefined, auth: undefined, session: undefined, resumeIds: [],
    connacked: false, cleanStart: true, peerMaxQos: 2, peerRetain: true,
  };
}

/** The next free packet identifier (1..65535, section 2.3.1). */
export function nextPacketId(st: MqttConnState): number {
  for (let i = 0; i < 65535; i++) {
    st.nextId = st.nextId >= 65535 ? 1 : st.nextId + 1;
    if (!st.inflight.has(st.nextId)) return st.nextId;
  }
  throw new MgError("ERR_MQTT_PROTOCOL", "MQTT: all 65535 packet identifiers are in flight");
}

/** Packets are parsed once complete in the receive buffer: make room for the largest. */
export function sizeMqttRecv(c: Connection, st: MqttConnState): void {
  c.needRecvSize(Math.max(64 * 1024, st.maxPacket));
}

/** Queues a packet; a client notes the time, for keep alive (a server never reads lastSent: no clock read per packet). */
export function sendPacket(c: Connection, st: MqttConnState, pkt: Buffer): boolean {
  if (!st.isServer) st.lastSent = millis();
  const out = st.output;
  if (out === undefined) return c.send(pkt);
  if (!c.canSend) throw c.closedError("send");
  out(c, pkt);
  return c.sendLen <= SEND_QUEUE_OK;
}

// What send() calls its high-water mark (core/connection.ts): sendPacket answers the same over any transport.
const SEND_QUEUE_OK = 256 * 1024;

/**
 * Queues a packet the application asked for, within the peer's Maximum Packet Size
 * (MQTT 5 [MQTT-3.1.2-24]: the client never sends more; throws instead).
 */
export function sendChecked(c: Connection, st: MqttConnState, pkt: Buffer, what: string): boolean {
  if (pkt.length > st.peerMaxPacket) {
    throw new MgError("ERR_INVALID_ARG", `${what}: packet of ${pkt.length} bytes is over the ${st.isServer ? "client's" : "server's"} Maximum Packet Size of ${st.peerMaxPacket}`);
  }
  return sendPacket(c, st, pkt);
}
