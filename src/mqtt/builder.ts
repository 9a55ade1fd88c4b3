// Packet building (MQTT 3.1.1 chapter 3, MQTT 5.0 chapter 3): each packet is measured,
// then written into one buffer.
import { Buffer } from "node:buffer"; // the module's binding: the global Buffer is a getter, called at each use
import type { MqttProperty } from "./message.js";
import {
  MQTT_CMD_CONNACK, MQTT_CMD_CONNECT, MQTT_CMD_PUBLISH, MQTT_CMD_PUBREL, MQTT_CMD_SUBACK, MQTT_CMD_SUBSCRIBE,
  MQTT_CMD_UNSUBACK, MQTT_CMD_UNSUBSCRIBE,
} from "./constants.js";
import { encodeProps, propsBlockSize, NO_PROPS, type EncodedProps } from "./props.js";
import { packetSize, utf8Field, varintSize, Writer } from "./wire.js";
import { toBuffer } from "../util/bytes.js";
import { MgError } from "../util/errors.js";

/** A fixed header alone (Mongoose's mg_mqtt_send_header): the body follows with send(). */
export function buildHeader(cmd: number, flags: number, remaining: number): Buffer {
  if (!Number.isInteger(cmd) || cmd < 1 || cmd > 15) throw new MgError("ERR_INVALID_ARG", `MQTT packet type must be 1..15, got ${cmd}`);
  if (!Number.isInteger(flags) || flags < 0 || flags > 15) throw new MgError("ERR_INVALID_ARG", `MQTT flags must be 0..15, got ${flags}`);
  const w = new Writer(packetSize(remaining) - remaining);
  w.header(cmd, flags, remaining);
  return w.buf;
}

function props5(version: number, props: readonly MqttProperty[] | undefined): EncodedProps | undefined {
  if (version < 5) {
    if (props !== undefined && props.length > 0) throw new MgError("ERR_INVALID_ARG", "MQTT properties need protocol version 5");
    return undefined;
  }
  return encodeProps(props);
}

function writeProps(w: Writer, p: EncodedProps | undefined): void {
  if (p === undefined) return;
  w.varint(p.size);
  p.write(w);
}

const psize = (p: EncodedProps | undefined): number => (p === undefined ? 0 : propsBlockSize(p));

export interface ConnectFields {
  version: number;
  clientId: string;
  user?: string;
  pass?: string | Uint8Array;
  keepAlive: number;
  clean: boolean;
  will?: { topic: string; message: string | Uint8Array; qos: number; retain: boolean; props?: MqttProperty[] };
  props?: MqttProperty[];
}

export function buildConnect(f: ConnectFields): Buffer {
  const v = f.version;
  const name = Buffer.from(v === 3 ? "MQIsdp" : "MQTT");
  const props = props5(v, f.props);
  const id = utf8Field(f.clientId, "client id");
  let flags = f.clean ? 2 : 0;
  let len = 2 + name.length + 1 + 1 + 2 + psize(props) + 2 + id.length;
  let willTopic: Buffer | undefined, willMsg: Buffer | undefined, willProps: EncodedProps | undefined;
  if (f.will !== undefined) {
    checkQos(f.will.qos);
    willTopic = utf8Field(f.will.topic, "will topic");
    willMsg = toBuffer(f.will.message);
    if (willMsg.length > 65535) throw new MgError("ERR_INVALID_ARG", "MQTT will message is over 65535 bytes");
    willProps = props5(v, f.will.props);
    flags |= 4 | (f.will.qos << 3) | (f.will.retain ? 0x20 : 0);
    len += psize(willProps) + 2 + willTopic.length + 2 + willMsg.length;
  }
  let user: Buffer | undefined, pass: Buffer | undefined;
  if (f.user !== undefined) { user = utf8Field(f.user, "user name"); flags |= 0x80; len += 2 + user.length; }
  if (f.pass !== undefined) { pass = toBuffer(f.pass); flags |= 0x40; len += 2 + pass.length; }
  if (!Number.isInteger(f.keepAlive) || f.keepAlive < 0 || f.keepAlive > 65535) throw new MgError("ERR_INVALID_ARG", `MQTT keepAlive must be 0..65535 seconds, got ${f.keepAlive}`);
  const w = new Writer(packetSize(len));
  w.header(MQTT_CMD_CONNECT, 0, len).bin(name).u8(v).u8(flags).u16(f.keepAlive);
  writeProps(w, props);
  w.bin(id);
  if (willTopic !== undefined) { writeProps(w, willProps); w.bin(willTopic).bin(willMsg!); }
  if (user !== undefined) w.bin(user);
  if (pass !== undefined) w.bin(pass);
  return w.buf;
}

export function checkQos(qos: number): void {
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new MgError("ERR_INVALID_ARG", `MQTT QoS must be 0, 1 or 2, got ${qos}`);
}

/** A PUBLISH packet. `id` is used when qos > 0. */
export function buildPublish(version: number, topic: string, payload: string | Uint8Array, qos: number, retain: boolean, dup: boolean, id: number, props?: readonly MqttProperty[]): Buffer {
  checkQos(qos);
  const t = utf8Field(topic, "topic");
  if (t.includes(0x2b) || t.includes(0x23)) throw new MgError("ERR_INVALID_ARG", `MQTT topic names carry no wildcards: ${JSON.stringify(topic)}`);
  return buildPublishRaw(version, t, payload, qos, retain, dup, id, props);
}

/**
 * A PUBLISH from a topic already encoded and checked (a broker forwarding what it parsed:
 * the per-delivery UTF-8 encoding and validation of the topic is skipped).
 */
export function buildPublishRaw(version: number, t: Uint8Array, payload: string | Uint8Array, qos: number, retain: boolean, dup: boolean, id: number, props?: readonly MqttProperty[]): Buffer {
  const p = props5(version, props as MqttProperty[] | undefined);
  const plen = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
  const len = 2 + t.length + (qos > 0 ? 2 : 0) + psize(p) + plen;
  const w = new Writer(packetSize(len));
  w.header(MQTT_CMD_PUBLISH, (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0), len).bin(t);
  if (qos > 0) w.u16(id);
  writeProps(w, p);
  if (typeof payload === "string") w.buf.write(payload, w.pos, "utf8");
  else w.buf.set(payload, w.pos);
  return w.buf;
}

/** SUBSCRIBE (with options bytes) or UNSUBSCRIBE (options ignored). */
export function buildSubscribe(cmd: typeof MQTT_CMD_SUBSCRIBE | typeof MQTT_CMD_UNSUBSCRIBE, version: number, id: number, filters: readonly { topic: string; options: number }[], props?: readonly MqttProperty[]): Buffer {
  const p = props5(version, props as MqttProperty[] | undefined);
  const topics = filters.map((f) => {
    const b = utf8Field(f.topic, "topic filter");
    if (b.length === 0) throw new MgError("ERR_INVALID_ARG", "MQTT topic filter is empty");
    return b;
  });
  let len = 2 + psize(p);
  for (const t of topics) len += 2 + t.length + (cmd === MQTT_CMD_SUBSCRIBE ? 1 : 0);
  const w = new Writer(packetSize(len));
  w.header(cmd, 2, len).u16(id);
  writeProps(w, p);
  topics.forEach((t, i) => { w.bin(t); if (cmd === MQTT_CMD_SUBSCRIBE) w.u8(filters[i]!.options); });
  return w.buf;
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP. MQTT 5 leaves out a success reason code without properties. */
export function buildAck(cmd: number, version: number, id: number, reason = 0, props?: readonly MqttProperty[]): Buffer {
  if ((version < 5 || reason === 0) && (props === undefined || props.length === 0)) {
    // The common ack, 4 bytes (one per QoS 1/2 message each way): written directly, no Writer.
    const b = Buffer.allocUnsafe(4);
    b[0] = (cmd << 4) | (cmd === MQTT_CMD_PUBREL ? 2 : 0);
    b[1] = 2;
    b[2] = id >> 8;
    b[3] = id & 0xff;
    return b;
  }
  const p = version >= 5 && props !== undefined && props.length > 0 ? encodeProps(props) : undefined;
  const withReason = version >= 5 && (reason !== 0 || p !== undefined);
  const len = 2 + (withReason ? 1 : 0) + psize(p);
  const w = new Writer(packetSize(len));
  w.header(cmd, cmd === MQTT_CMD_PUBREL ? 2 : 0, len).u16(id);
  if (withReason) w.u8(reason);
  writeProps(w, p);
  return w.buf;
}

export function buildConnack(version: number, sessionPresent: boolean, code: number, props?: readonly MqttProperty[]): Buffer {
  const p = version >= 5 ? encodeProps(props) : undefined;
  const len = 2 + psize(p);
  const w = new Writer(packetSize(len));
  w.header(MQTT_CMD_CONNACK, 0, len).u8(sessionPresent ? 1 : 0).u8(code);
  writeProps(w, p);
  return w.buf;
}

/** SUBACK or UNSUBACK with one return/reason code per filter (3.1.1 UNSUBACK has none). */
export function buildSubAck(cmd: typeof MQTT_CMD_SUBACK | typeof MQTT_CMD_UNSUBACK, version: number, id: number, codes: readonly number[], props?: readonly MqttProperty[]): Buffer {
  const p = version >= 5 ? encodeProps(props) : undefined;
  const n = cmd === MQTT_CMD_UNSUBACK && version < 5 ? 0 : codes.length;
  const len = 2 + psize(p) + n;
  const w = new Writer(packetSize(len));
  w.header(cmd, 0, len).u16(id);
  writeProps(w, p);
  for (let i = 0; i < n; i++) w.u8(codes[i]!);
  return w.buf;
}

/** PINGREQ, PINGRESP, DISCONNECT, AUTH: MQTT 5 adds a reason code and properties when given. */
export function buildSimple(cmd: number, version: number, reason = 0, props?: readonly MqttProperty[]): Buffer {
  const p = version >= 5 && props !== undefined && props.length > 0 ? encodeProps(props) : undefined;
  const withReason = version >= 5 && (reason !== 0 || p !== undefined);
  const len = (withReason ? 1 : 0) + psize(p);
  const w = new Writer(packetSize(len));
  w.header(cmd, 0, len);
  if (withReason) w.u8(reason);
  writeProps(w, p);
  return w.buf;
}

