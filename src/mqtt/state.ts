// Per-connection MQTT state and the limits taken from the connection's options.
import type { CoreConnection as Connection } from "../core/connection.js";
import { millis } from "../util/time.js";
import { optIntIn } from "../util/check.js";
import { MgError } from "../util/errors.js";

/** Options of the MQTT layer (mqttListen, mqttConnect, mqtt:// URLs). */
export interface MqttOptions {
  /** Largest MQTT packet received, in bytes (whole packet). Default 16 MiB; over it: MG_EV_ERROR and close. */
  mqttMaxPacketSize?: number;
}

/** Largest packet received by default (whole packet, header included). */
export const DEFAULT_MAX_PACKET_SIZE = 16 * 1024 * 1024;
/** Client: time allowed from mqttConnect() to the CONNACK, by default. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

export interface MqttConnState {
  isServer: boolean;
  /** Protocol level spoken: 4 (3.1.1) or 5; 3 (3.1) on servers. Servers learn it from CONNECT. */
  version: number;
  maxPacket: number;
  /** A protocol error closed the connection: input is discarded. */
  failed: boolean;
  /** Client: CONNACK received. Server: CONNECT received. */
  connected: boolean;
  nextId: number;
  /** Our packets with identifiers awaiting their acknowledgement. */
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
}

/** Checks the MQTT options (throws an MgError naming a bad one) and creates the state. */
export function createMqttState(o: MqttOptions, isServer: boolean, version = 4): MqttConnState {
  // 268,435,460 bytes: the largest packet the remaining-length encoding allows (section 2.2.3).
  const max = optIntIn(o, "mqttMaxPacketSize", DEFAULT_MAX_PACKET_SIZE, 2, 268_435_460);
  return {
    isServer, version, maxPacket: max, failed: false, connected: false, nextId: 0,
    inflight: new Set(), qos2In: new Set(), keepAliveMs: 0, lastSent: millis(), pingSentAt: 0,
    connectDeadline: Infinity,
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

/** Queues a packet and notes the time, for keep alive. */
/** Packets are parsed once complete in the receive buffer: make room for the largest. */
export function sizeMqttRecv(c: Connection, st: MqttConnState): void {
  c.needRecvSize(Math.max(64 * 1024, st.maxPacket));
}

export function sendPacket(c: Connection, st: MqttConnState, pkt: Buffer): boolean {
  st.lastSent = millis();
  return c.send(pkt);
}
