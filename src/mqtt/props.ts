// MQTT 5.0 properties (section 2.2.2): a variable byte integer length, then
// identifier/value pairs whose encoding the identifier decides.
import {
  mqttPropType, MQTT_PROP_TYPE_BINARY_DATA, MQTT_PROP_TYPE_BYTE, MQTT_PROP_TYPE_INT, MQTT_PROP_TYPE_SHORT,
  MQTT_PROP_TYPE_STRING, MQTT_PROP_TYPE_STRING_PAIR, MQTT_PROP_TYPE_VARIABLE_INT,
} from "./constants.js";
import { MqttParseError, Reader, Writer, utf8Field, varintSize } from "./wire.js";
import { MgError } from "../util/errors.js";

/**
 * One MQTT 5 property: `iv` for integer types, `val` for strings (and binary data as
 * UTF-8), `key` + `val` for user properties (MQTT_PROP_USER_PROPERTY). `bin` carries
 * binary data (MQTT_PROP_CORRELATION_DATA, ...) exactly, on input and output.
 */
export interface MqttProperty {
  /** The property identifier: one of the `MQTT_PROP_*` constants. */
  id: number;
  /** The value of an integer property (byte, two/four-byte or variable byte integer). */
  iv?: number;
  /** The name of a user property (MQTT_PROP_USER_PROPERTY). */
  key?: string;
  /** The value of a string property, of a user property, or binary data read as UTF-8. */
  val?: string;
  /** The exact bytes of a binary data property (MQTT_PROP_CORRELATION_DATA, MQTT_PROP_AUTHENTICATION_DATA). */
  bin?: Uint8Array;
}

/** Properties ready to write: their encoded size (without the length prefix) and a writer. */
export interface EncodedProps { size: number; write(w: Writer): void }

export const NO_PROPS: EncodedProps = { size: 0, write() {} };

/** Checks and measures `props` for sending (throws on unknown ids or bad values). */
export function encodeProps(props: readonly MqttProperty[] | undefined): EncodedProps {
  if (props === undefined || props.length === 0) return NO_PROPS;
  let size = 0;
  const parts: (number | Buffer)[][] = [];
  for (const p of props) {
    const type = mqttPropType(p.id);
    const out: (number | Buffer)[] = [];
    switch (type) {
      case MQTT_PROP_TYPE_BYTE: size += 2; out.push(intArg(p, 0xff)); break;
      case MQTT_PROP_TYPE_SHORT: size += 3; out.push(intArg(p, 0xffff)); break;
      case MQTT_PROP_TYPE_INT: size += 5; out.push(intArg(p, 0xffffffff)); break;
      case MQTT_PROP_TYPE_VARIABLE_INT: { const v = intArg(p, 268_435_455); size += 1 + varintSize(v); out.push(v); break; }
      case MQTT_PROP_TYPE_STRING: { const b = utf8Field(strArg(p.val, p.id), `property 0x${p.id.toString(16)}`); size += 3 + b.length; out.push(b); break; }
      case MQTT_PROP_TYPE_BINARY_DATA: {
        const b = p.bin !== undefined ? Buffer.from(p.bin) : Buffer.from(strArg(p.val, p.id), "utf8");
        if (b.length > 65535) throw new MgError("ERR_INVALID_ARG", `MQTT property 0x${p.id.toString(16)} is over 65535 bytes`);
        size += 3 + b.length; out.push(b); break;
      }
      case MQTT_PROP_TYPE_STRING_PAIR: {
        const k = utf8Field(strArg(p.key, p.id), "user property name"), v = utf8Field(strArg(p.val, p.id), "user property value");
        size += 5 + k.length + v.length; out.push(k, v); break;
      }
      default: throw new MgError("ERR_INVALID_ARG", `unknown MQTT property id ${p.id}`);
    }
    parts.push(out);
  }
  return {
    size,
    write(w) {
      for (let i = 0; i < props.length; i++) {
        const id = props[i]!.id, type = mqttPropType(id), vals = parts[i]!;
        w.u8(id);
        const v = vals[0]!;
        switch (type) {
          case MQTT_PROP_TYPE_BYTE: w.u8(v as number); break;
          case MQTT_PROP_TYPE_SHORT: w.u16(v as number); break;
          case MQTT_PROP_TYPE_INT: w.u32(v as number); break;
          case MQTT_PROP_TYPE_VARIABLE_INT: w.varint(v as number); break;
          case MQTT_PROP_TYPE_STRING_PAIR: w.bin(v as Buffer).bin(vals[1] as Buffer); break;
          default: w.bin(v as Buffer);
        }
      }
    },
  };
}

function intArg(p: MqttProperty, max: number): number {
  const v = p.iv;
  if (v === undefined || !Number.isInteger(v) || v < 0 || v > max) throw new MgError("ERR_INVALID_ARG", `MQTT property 0x${p.id.toString(16)} needs an integer iv in 0..${max}, got ${v}`);
  return v;
}

function strArg(v: string | undefined, id: number): string {
  if (typeof v !== "string") throw new MgError("ERR_INVALID_ARG", `MQTT property 0x${id.toString(16)} needs a string`);
  return v;
}

/** The size of a property block on the wire: length prefix plus properties. */
export function propsBlockSize(p: EncodedProps): number { return varintSize(p.size) + p.size; }

/** The property context of a will (CONNECT payload, section 3.1.3.2): after the 15 packet types. */
export const PROPS_WILL = 16;

// Where each property may appear (MQTT 5.0 section 2.2.2.2, the table of identifiers),
// as a bit mask over contexts: bit n for packet type n, bit 16 for will properties.
const P = (...ctx: number[]): number => ctx.reduce((m, c) => m | (1 << c), 0);
const CONNECT = 1, CONNACK = 2, PUBLISH = 3, PUBACK = 4, PUBREC = 5, PUBREL = 6, PUBCOMP = 7, SUBSCRIBE = 8;
const SUBACK = 9, UNSUBSCRIBE = 10, UNSUBACK = 11, DISCONNECT = 14, AUTH = 15, WILL = PROPS_WILL;
const WHERE = new Uint32Array(64);
WHERE[0x01] = WHERE[0x02] = WHERE[0x03] = WHERE[0x08] = WHERE[0x09] = P(PUBLISH, WILL);
WHERE[0x0b] = P(PUBLISH, SUBSCRIBE);
WHERE[0x11] = P(CONNECT, CONNACK, DISCONNECT);
WHERE[0x12] = WHERE[0x13] = WHERE[0x1a] = WHERE[0x24] = WHERE[0x25] = WHERE[0x28] = WHERE[0x29] = WHERE[0x2a] = P(CONNACK);
WHERE[0x15] = WHERE[0x16] = P(CONNECT, CONNACK, AUTH);
WHERE[0x17] = WHERE[0x19] = P(CONNECT);
WHERE[0x18] = P(WILL);
WHERE[0x1c] = P(CONNACK, DISCONNECT);
WHERE[0x1f] = P(CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH);
WHERE[0x21] = WHERE[0x22] = WHERE[0x27] = P(CONNECT, CONNACK);
WHERE[0x23] = P(PUBLISH);
WHERE[0x26] = P(CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, DISCONNECT, AUTH, WILL);

/** True when property `id` may appear in packet type `ctx` (or PROPS_WILL), section 2.2.2.2. */
export function mqttPropAllowed(ctx: number, id: number): boolean {
  return id >= 0 && id < 64 && (WHERE[id]! & (1 << ctx)) !== 0;
}

/**
 * True when property `id` may appear more than once in context `ctx`: User Property
 * anywhere, Subscription Identifier in PUBLISH (one per matching subscription, section
 * 3.3.2.3.8; a client's PUBLISH carries none at all [MQTT-3.3.4-6], which the server
 * side checks, not knowing the direction here).
 */
export function mqttPropRepeats(ctx: number, id: number): boolean {
  return id === 0x26 || (id === 0x0b && ctx === PUBLISH);
}

/**
 * Property values the spec calls a Protocol Error (section 3.1.2.11 and 3.2.2.3): a byte
 * that must be 0 or 1, a Receive Maximum or Maximum Packet Size of 0, a Subscription
 * Identifier of 0 (section 3.8.2.1.2). Returns what is wrong, or undefined.
 */
function badValue(id: number, v: number): string | undefined {
  switch (id) {
    case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2a:
      return v > 1 ? `property 0x${id.toString(16)} has value ${v}, not 0 or 1` : undefined;
    case 0x21: case 0x27: case 0x0b:
      return v === 0 ? `property 0x${id.toString(16)} has value 0` : undefined;
  }
  return undefined;
}

/**
 * Reads a property block of packet type `ctx` (or PROPS_WILL) at the reader's position
 * and checks every property: a known identifier allowed in `ctx` and a complete value of
 * its type, valid UTF-8 (else a Malformed Packet, section 2.2.2.2); no property twice but
 * those that may repeat, values in range (else a Protocol Error). Returns a view of the
 * properties (without the length). Allocates nothing per property: the ones seen so far
 * are two 32-bit masks.
 */
export function readPropsBlock(r: Reader, ctx: number): Buffer {
  const len = r.varint("property length");
  if (len > r.left) throw new MqttParseError("property length past the end of the packet");
  const view = r.buf.subarray(r.pos, r.pos + len);
  const pr = new Reader(r.buf, r.pos, r.pos + len);
  const bit = 1 << ctx;
  let seenLo = 0, seenHi = 0;
  while (pr.left > 0) {
    const id = pr.varint("property identifier");
    if (id >= 64 || (WHERE[id]! & bit) === 0) {
      throw new MqttParseError(mqttPropType(id) < 0 ? `unknown property identifier ${id}` : `property 0x${id.toString(16)} is not allowed in ${ctxName(ctx)}`);
    }
    const m = 1 << (id & 31);
    const seen = id < 32 ? seenLo : seenHi;
    if ((seen & m) !== 0 && !mqttPropRepeats(ctx, id)) throw new MqttParseError(`property 0x${id.toString(16)} more than once in ${ctxName(ctx)}`, true);
    if (id < 32) seenLo |= m; else seenHi |= m;
    const v = checkValue(pr, id);
    if (v >= 0) { const bad = badValue(id, v); if (bad !== undefined) throw new MqttParseError(bad, true); }
  }
  r.pos += len;
  return view;
}

/** Reads and checks the value of property `id`: the integer for integer types, else -1. */
function checkValue(r: Reader, id: number): number {
  switch (mqttPropType(id)) {
    case MQTT_PROP_TYPE_BYTE: return r.u8("property value");
    case MQTT_PROP_TYPE_SHORT: return r.u16("property value");
    case MQTT_PROP_TYPE_INT: return r.u32("property value");
    case MQTT_PROP_TYPE_VARIABLE_INT: return r.varint("property value");
    case MQTT_PROP_TYPE_STRING: r.utf8("property value"); return -1;
    case MQTT_PROP_TYPE_BINARY_DATA: r.bin("property value"); return -1;
    default: r.utf8("user property name"); r.utf8("user property value"); return -1; // string pair
  }
}

/**
 * The value of integer property `id` in a property view readPropsBlock() checked, or -1
 * when absent: found without decoding the others (a CONNECT may carry thousands of User
 * Properties).
 */
export function findIntProp(view: Buffer, id: number): number {
  const r = new Reader(view);
  while (r.left > 0) {
    const pid = r.varint();
    const type = mqttPropType(pid);
    let v = -1;
    if (type === MQTT_PROP_TYPE_BYTE) v = r.u8();
    else if (type === MQTT_PROP_TYPE_SHORT) v = r.u16();
    else if (type === MQTT_PROP_TYPE_INT) v = r.u32();
    else if (type === MQTT_PROP_TYPE_VARIABLE_INT) v = r.varint();
    else { r.bin(); if (type === MQTT_PROP_TYPE_STRING_PAIR) r.bin(); } // already checked: skipped
    if (pid === id) return v;
  }
  return -1;
}

function ctxName(ctx: number): string {
  return ctx === PROPS_WILL ? "will properties" : `packet type ${ctx}`;
}

function readProp(r: Reader): MqttProperty {
  const id = r.varint("property identifier");
  switch (mqttPropType(id)) {
    case MQTT_PROP_TYPE_BYTE: return { id, iv: r.u8("property value") };
    case MQTT_PROP_TYPE_SHORT: return { id, iv: r.u16("property value") };
    case MQTT_PROP_TYPE_INT: return { id, iv: r.u32("property value") };
    case MQTT_PROP_TYPE_VARIABLE_INT: return { id, iv: r.varint("property value") };
    case MQTT_PROP_TYPE_STRING: return { id, val: r.str("property value") };
    case MQTT_PROP_TYPE_BINARY_DATA: { const bin = r.bin("property value"); return { id, val: bin.toString("utf8"), bin }; }
    case MQTT_PROP_TYPE_STRING_PAIR: { const key = r.str("user property name"); return { id, key, val: r.str("user property value") }; }
    default: throw new MqttParseError(`unknown property identifier ${id}`);
  }
}

/** Decodes a property view that readPropsBlock() already checked. */
export function decodeProps(view: Buffer): MqttProperty[] {
  const out: MqttProperty[] = [];
  const r = new Reader(view);
  while (r.left > 0) out.push(readProp(r));
  return out;
}
