// What the Connection's mqtt* methods do: build a packet with the connection's protocol
// version and queue it.
import type { CoreConnection as Connection } from "../core/connection.js";
import {
  MQTT_CMD_AUTH, MQTT_CMD_CONNACK, MQTT_CMD_DISCONNECT, MQTT_CMD_PINGREQ, MQTT_CMD_PUBACK, MQTT_CMD_PUBREC, MQTT_CMD_PINGRESP, MQTT_CMD_PUBLISH, MQTT_CMD_SUBACK,
  MQTT_CMD_SUBSCRIBE, MQTT_CMD_UNSUBACK, MQTT_CMD_UNSUBSCRIBE, MQTT_PROP_AUTHENTICATION_DATA, MQTT_PROP_AUTHENTICATION_METHOD,
  MQTT_PROP_RESPONSE_TOPIC, MQTT_PROP_SUBSCRIPTION_IDENTIFIER,
} from "./constants.js";
import type { MqttMessage, MqttProperty } from "./message.js";
import { buildAck, buildConnack, buildHeader, buildPublish, buildSimple, buildSubAck, buildSubscribe, checkQos } from "./builder.js";
import { MqttLayer, mqttState, sendPublish, sendPubAck } from "./layer.js";
import { nextPacketId, sendChecked, sendPacket, type MqttConnState } from "./state.js";
import { copyPayload } from "./session.js";
import { fitProps } from "./fit.js";
import { checkSendProps } from "./send-props.js";
import { toBuffer } from "../util/bytes.js";
import { MgError } from "../util/errors.js";

/** Options of `conn.mqttPub(topic, payload, options)`. */
export interface MqttPubOptions {
  /** 0 (default), 1 or 2: the layer completes the PUBACK or PUBREC/PUBREL/PUBCOMP flow. */
  qos?: number;
  /** Ask the broker to keep this message for later subscribers (default false). */
  retain?: boolean;
  /** Set the DUP flag (a resend). */
  dup?: boolean;
  /** MQTT 5 properties (message expiry, user properties, ...). */
  props?: MqttProperty[];
}

/** Options of `conn.mqttSub(topic, options)`. */
export interface MqttSubOptions {
  /** Largest QoS wanted (default 0). */
  qos?: number;
  /** MQTT 5 subscription options: bits 2-5 of the options byte (no local, retain as published, retain handling). */
  options?: number;
  /** MQTT 5 properties (subscription identifier, user properties). */
  props?: MqttProperty[];
}

/** Options of `conn.mqttConnack(code, options)` (a server answering CONNECT). */
export interface MqttConnackOptions {
  /** The CONNACK's session present flag (default false). */
  sessionPresent?: boolean;
  /** MQTT 5 CONNACK properties (assigned client identifier, receive maximum, ...). */
  props?: MqttProperty[];
}

/** Publishes; returns the packet identifier (0 for QoS 0). */
export function mqttPub(c: Connection, topic: string, payload: string | Uint8Array, o: MqttPubOptions = {}): number {
  const st = mqttState(c, "mqttPub");
  const qos = o.qos ?? 0;
  checkQos(qos);
  const retain = o.retain === true, dup = o.dup === true;
  if (dup && qos === 0) throw new MgError("ERR_INVALID_ARG", "mqttPub: DUP is never set on QoS 0 [MQTT-3.3.1-2]");
  if (o.props !== undefined && st.version >= 5) checkSendProps(MQTT_CMD_PUBLISH, o.props, "mqttPub");
  if (!st.isServer) clientPubChecks(st, qos, retain, o.props);
  if (st.version < 5 || st.isServer) {
    // MQTT 3.1.1 and server connections: no flow control or aliases of ours, straight out.
    const id = qos > 0 ? nextPacketId(st) : 0;
    sendChecked(c, st, buildPublish(st.version, topic, payload, qos, retain, dup, id, o.props), "mqttPub");
    if (id !== 0) {
      st.inflight.add(id);
      st.session?._record({ id, topic, payload: copyPayload(payload), qos, retain, props: o.props, sent: true, released: false });
    }
    return id;
  }
  return sendPublish(c, st, topic, payload, qos, retain, dup, o.props);
}

/**
 * Acknowledges a received QoS 1/2 PUBLISH with an MQTT 5 reason code (PUBACK, or PUBREC
 * for QoS 2; 0x80 and above refuse it: 0x87 not authorized, 0x97 quota exceeded, ...)
 * and properties (a Reason String, user properties). Inside the MG_EV_MQTT_MSG handler it
 * replaces the layer's own ack; with `mqttManualAcks` it is the only ack, sent when called.
 */
export function mqttAck(c: Connection, msg: MqttMessage, reason = 0, props?: MqttProperty[]): void {
  const st = mqttState(c, "mqttAck");
  if (msg.cmd !== MQTT_CMD_PUBLISH || msg.qos === 0) throw new MgError("ERR_INVALID_ARG", "mqttAck: only a QoS 1 or 2 PUBLISH is acknowledged");
  if (!Number.isInteger(reason) || reason < 0 || reason > 255) throw new MgError("ERR_INVALID_ARG", `mqttAck: reason code must be 0..255, got ${reason}`);
  // [MQTT-3.4.2-1] [MQTT-3.5.2-1]: one of the PUBACK / PUBREC reason codes (3.1.1 sends none).
  if (st.version >= 5 && !isPubAckReason(reason)) throw new MgError("ERR_INVALID_ARG", `mqttAck: 0x${reason.toString(16)} is not a PUBACK/PUBREC reason code`);
  const cmd = msg.qos === 1 ? MQTT_CMD_PUBACK : MQTT_CMD_PUBREC;
  if (props !== undefined && st.version >= 5) checkSendProps(cmd, props, "mqttAck");
  // [MQTT-3.4.2-2/3] [MQTT-3.5.2-2/3]: within the peer's Maximum Packet Size (checked before the ack is used up).
  const fitted = props === undefined || st.version < 5 ? props : fitProps(st, props, (p) => buildAck(cmd, 5, msg.id, reason, p), "mqttAck");
  if (!st.unacked.delete(msg.id)) throw new MgError("ERR_INVALID_ARG", `mqttAck: PUBLISH ${msg.id} is acknowledged already`);
  sendPubAck(c, st, msg.qos, msg.id, reason, fitted as MqttProperty[] | undefined);
}

/** The reason codes a PUBACK or PUBREC may carry (MQTT 5 sections 3.4.2.1 and 3.5.2.1). */
export function isPubAckReason(code: number): boolean {
  return PUBACK_REASONS.has(code);
}
const PUBACK_REASONS = new Set([0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]);

/** Reason codes of CONNACK (MQTT 5 section 3.2.2.2), SUBACK (3.9.3) and UNSUBACK (3.11.3); SUBACK in 3.1.1 (3.9.3 there). */
const CONNACK_REASONS = new Set([0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f]);
const SUBACK_REASONS = new Set([0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2]);
const SUBACK_311 = new Set([0x00, 0x01, 0x02, 0x80]);
const UNSUBACK_REASONS = new Set([0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91]);

/** True when `code` may be a SUBACK reason code of MQTT 5 (section 3.9.3). */
export function isSubackReason(code: number): boolean {
  return SUBACK_REASONS.has(code);
}

/**
 * Client, MQTT 5: starts a re-authentication (AUTH 0x19, section 4.12.1) with the
 * Authentication Method of the CONNECT, or sends another AUTH `reason` with `data`.
 */
export function mqttAuth(c: Connection, data?: string | Uint8Array, reason = 0x19): void {
  const st = mqttState(c, "mqttAuth");
  if (st.version < 5 || st.authMethod === undefined) throw new MgError("ERR_INVALID_ARG", "mqttAuth: needs MQTT 5 and an authentication method (option authMethod)");
  // [MQTT-3.15.2-1]: 0x00 success, 0x18 continue authentication, 0x19 re-authenticate.
  if (reason !== 0x00 && reason !== 0x18 && reason !== 0x19) throw new MgError("ERR_INVALID_ARG", `mqttAuth: 0x${Number(reason).toString(16)} is not an AUTH reason code`);
  const props: MqttProperty[] = [{ id: MQTT_PROP_AUTHENTICATION_METHOD, val: st.authMethod }];
  if (data !== undefined) props.push({ id: MQTT_PROP_AUTHENTICATION_DATA, bin: toBuffer(data) });
  sendChecked(c, st, buildSimple(MQTT_CMD_AUTH, 5, reason, props), "mqttAuth");
}

/**
 * Client, MQTT 5: what the server's CONNACK forbids, refused before anything is sent:
 * QoS above its Maximum QoS [MQTT-3.2.2-11], RETAIN when Retain Available is 0
 * [MQTT-3.2.2-14], a Subscription Identifier [MQTT-3.3.4-6], a Response Topic with
 * wildcards [MQTT-3.3.2-14]; and, with enhanced authentication, nothing but AUTH and
 * DISCONNECT before the CONNACK [MQTT-3.1.2-30].
 */
function clientPubChecks(st: MqttConnState, qos: number, retain: boolean, props: readonly MqttProperty[] | undefined): void {
  if (st.version < 5) return;
  noPacketsDuringAuth(st, "mqttPub");
  if (qos > st.peerMaxQos) throw new MgError("ERR_INVALID_ARG", `mqttPub: QoS ${qos} is over the server's Maximum QoS of ${st.peerMaxQos}`);
  if (retain && !st.peerRetain) throw new MgError("ERR_INVALID_ARG", "mqttPub: the server's CONNACK said Retain Available 0");
  if (props === undefined) return;
  for (const p of props) {
    if (p.id === MQTT_PROP_SUBSCRIPTION_IDENTIFIER) throw new MgError("ERR_INVALID_ARG", "mqttPub: a client's PUBLISH carries no Subscription Identifier");
    if (p.id === MQTT_PROP_RESPONSE_TOPIC && typeof p.val === "string" && (p.val.includes("+") || p.val.includes("#"))) {
      throw new MgError("ERR_INVALID_ARG", `mqttPub: the Response Topic ${JSON.stringify(p.val)} contains a wildcard`);
    }
  }
}

function noPacketsDuringAuth(st: MqttConnState, what: string): void {
  if (!st.isServer && !st.connected && st.authMethod !== undefined) {
    throw new MgError("ERR_MQTT_PROTOCOL", `${what}: with an Authentication Method only AUTH and DISCONNECT may go before the CONNACK (wait for MG_EV_MQTT_OPEN)`);
  }
}

/** Subscribes to one topic filter; returns the packet identifier (SUBACK carries it). */
export function mqttSub(c: Connection, topic: string, o: MqttSubOptions = {}): number {
  const st = mqttState(c, "mqttSub");
  noPacketsDuringAuth(st, "mqttSub");
  const qos = o.qos ?? 0;
  checkQos(qos);
  if (o.props !== undefined && st.version >= 5) checkSendProps(MQTT_CMD_SUBSCRIBE, o.props, "mqttSub");
  const id = nextPacketId(st);
  sendChecked(c, st, buildSubscribe(MQTT_CMD_SUBSCRIBE, st.version, id, [{ topic, options: qos | ((o.options ?? 0) & 0x3c) }], o.props), "mqttSub");
  st.inflight.add(id);
  return id;
}

/** Unsubscribes from one topic filter; returns the packet identifier. */
export function mqttUnsub(c: Connection, topic: string, props?: MqttProperty[]): number {
  const st = mqttState(c, "mqttUnsub");
  noPacketsDuringAuth(st, "mqttUnsub");
  if (props !== undefined && st.version >= 5) checkSendProps(MQTT_CMD_UNSUBSCRIBE, props, "mqttUnsub");
  const id = nextPacketId(st);
  sendChecked(c, st, buildSubscribe(MQTT_CMD_UNSUBSCRIBE, st.version, id, [{ topic, options: 0 }], props), "mqttUnsub");
  st.inflight.add(id);
  return id;
}

export function mqttPing(c: Connection): void {
  const st = mqttState(c, "mqttPing");
  noPacketsDuringAuth(st, "mqttPing");
  sendPacket(c, st, buildSimple(MQTT_CMD_PINGREQ, st.version));
}

export function mqttPong(c: Connection): void {
  const st = mqttState(c, "mqttPong");
  sendPacket(c, st, buildSimple(MQTT_CMD_PINGRESP, st.version));
}

/** Sends DISCONNECT (MQTT 5: with `reason` and properties) and closes once it is written. */
export function mqttDisconnect(c: Connection, reason = 0, props?: MqttProperty[]): void {
  const st = mqttState(c, "mqttDisconnect");
  if (props !== undefined && st.version >= 5) checkSendProps(MQTT_CMD_DISCONNECT, props, "mqttDisconnect");
  // [MQTT-3.14.2-3/4]: the Reason String and User Properties go first when too large.
  const fitted = st.version < 5 ? props : fitProps(st, props, (p) => buildSimple(MQTT_CMD_DISCONNECT, 5, reason, p), "mqttDisconnect");
  sendChecked(c, st, buildSimple(MQTT_CMD_DISCONNECT, st.version, reason, fitted), "mqttDisconnect");
  st.failed = true; // nothing more is delivered: the will is discarded, the connection ends
  // An error the peer may still be sending into (0x93 mid-burst): it reads this DISCONNECT, not a reset.
  if (reason >= 0x80) c._linger = true;
  c.drain();
}

/**
 * Mongoose's mg_mqtt_send_header: a fixed header for a body of `len` bytes that the
 * caller then sends with mqttSend() (or send() on mqtt://, where the two are the same).
 */
export function mqttSendHeader(c: Connection, cmd: number, flags: number, len: number): void {
  const st = mqttState(c, "mqttSendHeader");
  sendPacket(c, st, buildHeader(cmd, flags, len));
}

/**
 * Queues bytes of encoded MQTT packets the way the connection carries MQTT: as they are
 * on mqtt:// and mqtts:// (the same as send()), in a binary WebSocket frame on ws:// and
 * wss:// (MQTT 5 section 6: packets need not be aligned with frames). Returns send()'s
 * high-water answer.
 */
export function mqttSend(c: Connection, data: Uint8Array): boolean {
  const l = c.layer;
  if (!(l instanceof MqttLayer)) throw new MgError("ERR_WRONG_CONN", `mqttSend: connection ${c.id} is not an MQTT connection`);
  const b = toBuffer(data);
  // (Raw bytes, as with send(): the keep-alive clock is not touched, so a broker's fan-out pays nothing more.)
  if (l.st.output === undefined) return c.send(b);
  return b.length === 0 ? true : sendPacket(c, l.st, b);
}

/** Server: answers CONNECT. A non-zero `code` refuses the client: the connection closes once CONNACK is written. */
export function mqttConnack(c: Connection, code = 0, o: MqttConnackOptions = {}): void {
  const st = mqttState(c, "mqttConnack");
  // [MQTT-3.2.2-8]: a Connect Reason Code (MQTT 5 section 3.2.2.2); 3.1.1 return codes 0..5 (section 3.2.2.3).
  if (!(st.version >= 5 ? CONNACK_REASONS.has(code) : Number.isInteger(code) && code >= 0 && code <= 5)) {
    throw new MgError("ERR_INVALID_ARG", `mqttConnack: ${code} is not a CONNACK ${st.version >= 5 ? "reason" : "return"} code`);
  }
  const sp = o.sessionPresent === true;
  if (o.props !== undefined && st.version >= 5) checkSendProps(MQTT_CMD_CONNACK, o.props, "mqttConnack");
  // [MQTT-3.2.2-19/20]: within the client's Maximum Packet Size, the Reason String and User Properties go first
  // (what is left, the server's limits, goes even to a client whose limit is smaller: see fit.ts).
  const props = st.version < 5 ? o.props : fitProps(st, o.props, (p) => buildConnack(5, sp, code, p), "mqttConnack", true);
  sendPacket(c, st, buildConnack(st.version, sp, code, props));
  if (code !== 0) { st.failed = true; c._linger = true; c.drain(); }
  else st.connacked = true;
}

/** Server: answers SUBSCRIBE (`codes`: the granted QoS, or 0x80 failure, per filter) or UNSUBSCRIBE. */
export function mqttSuback(c: Connection, msg: MqttMessage, codes: readonly number[], props?: MqttProperty[]): void {
  const st = mqttState(c, "mqttSuback");
  const cmd = msg.cmd === MQTT_CMD_UNSUBSCRIBE ? MQTT_CMD_UNSUBACK : MQTT_CMD_SUBACK;
  // [MQTT-3.9.3-2] [MQTT-3.11.3-2]: Subscribe / Unsubscribe Reason Codes only (3.1.1: granted QoS or 0x80).
  const allowed = cmd === MQTT_CMD_UNSUBACK ? UNSUBACK_REASONS : st.version >= 5 ? SUBACK_REASONS : SUBACK_311;
  for (const code of codes) {
    if (!allowed.has(code) && !(cmd === MQTT_CMD_UNSUBACK && st.version < 5)) throw new MgError("ERR_INVALID_ARG", `mqttSuback: 0x${Number(code).toString(16)} is not a ${cmd === MQTT_CMD_SUBACK ? "SUBACK" : "UNSUBACK"} reason code`);
  }
  if (props !== undefined && st.version >= 5) checkSendProps(cmd, props, "mqttSuback");
  // [MQTT-3.9.2-1/2] [MQTT-3.11.2-1/2]: within the client's Maximum Packet Size (a SUBACK too large
  // even without Reason String and User Properties throws: MqttBroker checks that before subscribing).
  const fitted = st.version < 5 ? props : fitProps(st, props, (p) => buildSubAck(cmd, 5, msg.id, codes, p), "mqttSuback");
  sendPacket(c, st, buildSubAck(cmd, st.version, msg.id, codes, fitted));
}

