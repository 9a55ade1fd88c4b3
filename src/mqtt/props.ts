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

/**
 * Reads a property block at the reader's position: checks every property (known id,
 * complete value, valid UTF-8) and returns a view of the properties (without the length).
 */
export function readPropsBlock(r: Reader): Buffer {
  const len = r.varint("property length");
  if (len > r.left) throw new MqttParseError("property length past the end of the packet");
  const view = r.buf.subarray(r.pos, r.pos + len);
  const pr = new Reader(r.buf, r.pos, r.pos + len);
  while (pr.left > 0) readProp(pr);
  r.pos += len;
  return view;
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
