// What the Connection's mqtt* methods do: build a packet with the connection's protocol
// version and queue it.
import type { CoreConnection as Connection } from "../core/connection.js";
import {
  MQTT_CMD_DISCONNECT, MQTT_CMD_PINGREQ, MQTT_CMD_PINGRESP, MQTT_CMD_SUBACK, MQTT_CMD_SUBSCRIBE,
  MQTT_CMD_UNSUBACK, MQTT_CMD_UNSUBSCRIBE,
} from "./constants.js";
import type { MqttMessage, MqttProperty } from "./message.js";
import { buildConnack, buildHeader, buildPublish, buildSimple, buildSubAck, buildSubscribe, checkQos } from "./builder.js";
import { mqttState } from "./layer.js";
import { nextPacketId, sendPacket } from "./state.js";

export interface MqttPubOptions {
  /** 0 (default), 1 or 2: the layer completes the PUBACK or PUBREC/PUBREL/PUBCOMP flow. */
  qos?: number;
  retain?: boolean;
  /** Set the DUP flag (a resend). */
  dup?: boolean;
  /** MQTT 5 properties (message expiry, user properties, ...). */
  props?: MqttProperty[];
}

export interface MqttSubOptions {
  /** Largest QoS wanted (default 0). */
  qos?: number;
  /** MQTT 5 subscription options: bits 2-5 of the options byte (no local, retain as published, retain handling). */
  options?: number;
  /** MQTT 5 properties (subscription identifier, user properties). */
  props?: MqttProperty[];
}

export interface MqttConnackOptions {
  sessionPresent?: boolean;
  props?: MqttProperty[];
}

/** Publishes; returns the packet identifier (0 for QoS 0). */
export function mqttPub(c: Connection, topic: string, payload: string | Uint8Array, o: MqttPubOptions = {}): number {
  const st = mqttState(c, "mqttPub");
  const qos = o.qos ?? 0;
  checkQos(qos);
  const id = qos > 0 ? nextPacketId(st) : 0;
  sendPacket(c, st, buildPublish(st.version, topic, payload, qos, o.retain === true, o.dup === true, id, o.props));
  if (id !== 0) st.inflight.add(id);
  return id;
}

/** Subscribes to one topic filter; returns the packet identifier (SUBACK carries it). */
export function mqttSub(c: Connection, topic: string, o: MqttSubOptions = {}): number {
  const st = mqttState(c, "mqttSub");
  const qos = o.qos ?? 0;
  checkQos(qos);
  const id = nextPacketId(st);
  sendPacket(c, st, buildSubscribe(MQTT_CMD_SUBSCRIBE, st.version, id, [{ topic, options: qos | ((o.options ?? 0) & 0x3c) }], o.props));
  st.inflight.add(id);
  return id;
}

/** Unsubscribes from one topic filter; returns the packet identifier. */
export function mqttUnsub(c: Connection, topic: string, props?: MqttProperty[]): number {
  const st = mqttState(c, "mqttUnsub");
  const id = nextPacketId(st);
  sendPacket(c, st, buildSubscribe(MQTT_CMD_UNSUBSCRIBE, st.version, id, [{ topic, options: 0 }], props));
  st.inflight.add(id);
  return id;
}

export function mqttPing(c: Connection): void {
  const st = mqttState(c, "mqttPing");
  sendPacket(c, st, buildSimple(MQTT_CMD_PINGREQ, st.version));
}

export function mqttPong(c: Connection): void {
  const st = mqttState(c, "mqttPong");
  sendPacket(c, st, buildSimple(MQTT_CMD_PINGRESP, st.version));
}

/** Sends DISCONNECT (MQTT 5: with `reason` and properties) and closes once it is written. */
export function mqttDisconnect(c: Connection, reason = 0, props?: MqttProperty[]): void {
  const st = mqttState(c, "mqttDisconnect");
  sendPacket(c, st, buildSimple(MQTT_CMD_DISCONNECT, st.version, reason, props));
  st.failed = true; // nothing more is delivered: the will is discarded, the connection ends
  c.drain();
}

/** Mongoose's mg_mqtt_send_header: a fixed header for a body of `len` bytes that the caller then send()s. */
export function mqttSendHeader(c: Connection, cmd: number, flags: number, len: number): void {
  const st = mqttState(c, "mqttSendHeader");
  sendPacket(c, st, buildHeader(cmd, flags, len));
}

/** Server: answers CONNECT. A non-zero `code` refuses the client: the connection closes once CONNACK is written. */
export function mqttConnack(c: Connection, code = 0, o: MqttConnackOptions = {}): void {
  const st = mqttState(c, "mqttConnack");
  sendPacket(c, st, buildConnack(st.version, o.sessionPresent === true, code, o.props));
  if (code !== 0) { st.failed = true; c.drain(); }
}

/** Server: answers SUBSCRIBE (`codes`: the granted QoS, or 0x80 failure, per filter) or UNSUBSCRIBE. */
export function mqttSuback(c: Connection, msg: MqttMessage, codes: readonly number[], props?: MqttProperty[]): void {
  const st = mqttState(c, "mqttSuback");
  const cmd = msg.cmd === MQTT_CMD_UNSUBSCRIBE ? MQTT_CMD_UNSUBACK : MQTT_CMD_SUBACK;
  sendPacket(c, st, buildSubAck(cmd, st.version, msg.id, codes, props));
}

