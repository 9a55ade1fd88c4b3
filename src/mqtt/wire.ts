// MQTT data representations (3.1.1 section 1.5, 5.0 section 1.5): two- and four-byte
// integers, variable byte integers, length-prefixed UTF-8 strings and binary data.
// Reading is bounds-checked: running past the end throws MqttParseError, which the
// packet parser turns into a malformed-packet error.
import { Buffer, isUtf8 } from "node:buffer"; // the module's Buffer: the global one is a getter, called at each use
import { MgError } from "../util/errors.js";

/**
 * Input the parser refuses. `protocol` marks a Protocol Error (MQTT 5 reason code 0x82,
 * e.g. a property given twice, section 2.2.2.2) rather than a Malformed Packet (0x81);
 * its message then starts with PROTOCOL_ERROR_PREFIX, which is how parsePacket()'s
 * string verdict carries the difference.
 */
export class MqttParseError extends Error {
  constructor(message: string, readonly protocol = false) { super(protocol ? PROTOCOL_ERROR_PREFIX + message : message); }
}

/** How a parse verdict that is a Protocol Error (0x82), not a Malformed Packet (0x81), begins. */
export const PROTOCOL_ERROR_PREFIX = "protocol error: ";

/** The largest remaining length four varint bytes can hold (3.1.1 section 2.2.3). */
export const MAX_VARINT = 268_435_455;

/**
 * Decodes a variable byte integer at `at`: [value, bytes used], 0 when more bytes are
 * needed, -1 when a fifth byte would be needed, or -2 when it is not in its minimal
 * encoding (a last byte of 0 after others, e.g. 0x80 0x00 for 0: [MQTT-1.5.5-1], a
 * Malformed Packet). Both refusals happen at the byte that decides them.
 */
export function readVarint(buf: Uint8Array, at: number, end = buf.length): [number, number] | 0 | -1 | -2 {
  let value = 0, mult = 1;
  for (let i = 0; i < 4; i++) {
    if (at + i >= end) return 0;
    const b = buf[at + i]!;
    value += (b & 0x7f) * mult;
    if ((b & 0x80) === 0) return i > 0 && b === 0 ? -2 : [value, i + 1];
    mult *= 128;
  }
  return -1;
}

export function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
}

/** Writes `n` as a variable byte integer at `at`; returns the next offset. */
export function writeVarint(buf: Buffer, at: number, n: number): number {
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    buf[at++] = b;
  } while (n > 0);
  return at;
}

/**
 * A UTF-8 string MQTT accepts: well-formed (no surrogates, which isUtf8 rejects) and
 * without U+0000 (3.1.1 section 1.5.3, MQTT-1.5.3-1/2).
 */
export function isMqttUtf8(b: Uint8Array): boolean {
  return isUtf8(b) && b.indexOf(0) < 0;
}

/** A cursor over one packet's bytes. */
export class Reader {
  pos: number;
  constructor(readonly buf: Buffer, start = 0, readonly end = buf.length) { this.pos = start; }
  get left(): number { return this.end - this.pos; }
  private need(n: number, what: string): void {
    if (this.pos + n > this.end) throw new MqttParseError(`truncated ${what}`);
  }
  u8(what = "byte"): number { this.need(1, what); return this.buf[this.pos++]!; }
  u16(what = "two-byte integer"): number { this.need(2, what); const b = this.buf, p = this.pos; this.pos = p + 2; return (b[p]! << 8) | b[p + 1]!; }
  u32(what = "four-byte integer"): number { this.need(4, what); const v = this.buf.readUInt32BE(this.pos); this.pos += 4; return v; }
  varint(what = "variable byte integer"): number {
    const r = readVarint(this.buf, this.pos, this.end);
    if (r === 0) throw new MqttParseError(`truncated ${what}`);
    if (r === -1) throw new MqttParseError(`${what} longer than 4 bytes`);
    if (r === -2) throw new MqttParseError(`${what} not in its minimal encoding [MQTT-1.5.5-1]`);
    this.pos += r[1];
    return r[0];
  }
  /** Length-prefixed binary data, as a view. */
  bin(what = "binary data"): Buffer {
    const n = this.u16(what);
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** Length-prefixed UTF-8 string, validated. */
  str(what = "string"): string {
    const v = this.bin(what);
    if (!isMqttUtf8(v)) throw new MqttParseError(`${what} is not valid UTF-8`);
    return v.toString("utf8");
  }
  /**
   * Skips a length-prefixed UTF-8 string after checking it, making no string and, for
   * ASCII (the common case: property names and values), no view either.
   */
  utf8(what = "string"): void {
    const n = this.u16(what);
    this.need(n, what);
    const b = this.buf, start = this.pos, end = start + n;
    let i = start;
    while (i < end) { const c = b[i]!; if (c === 0 || c >= 0x80) break; i++; }
    if (i < end && !isMqttUtf8(b.subarray(start, end))) throw new MqttParseError(`${what} is not valid UTF-8`);
    this.pos = end;
  }
  /** The rest of the packet, as a view. */
  rest(): Buffer { const v = this.buf.subarray(this.pos, this.end); this.pos = this.end; return v; }
}

/** Writes into a buffer sized in advance. */
export class Writer {
  pos = 0;
  readonly buf: Buffer;
  constructor(size: number) { this.buf = Buffer.allocUnsafe(size); }
  u8(v: number): this { this.buf[this.pos++] = v; return this; }
  u16(v: number): this { this.buf.writeUInt16BE(v, this.pos); this.pos += 2; return this; }
  u32(v: number): this { this.buf.writeUInt32BE(v >>> 0, this.pos); this.pos += 4; return this; }
  varint(v: number): this { this.pos = writeVarint(this.buf, this.pos, v); return this; }
  bytes(b: Uint8Array): this { this.buf.set(b, this.pos); this.pos += b.length; return this; }
  /** Length-prefixed string or binary data. */
  bin(b: Uint8Array): this { return this.u16(b.length).bytes(b); }
  /** The fixed header: packet type and flags, then the remaining length. */
  header(cmd: number, flags: number, remaining: number): this { return this.u8((cmd << 4) | flags).varint(remaining); }
}

/** The size of a whole packet whose remaining length is `remaining`. */
export function packetSize(remaining: number): number {
  if (remaining > MAX_VARINT) throw new MgError("ERR_INVALID_ARG", `MQTT packet of ${remaining} bytes is over the protocol's limit of ${MAX_VARINT}`);
  return 1 + varintSize(remaining) + remaining;
}

/** UTF-8 bytes of a string MQTT sends, checked (no U+0000, no lone surrogates, at most 65535 bytes). */
export function utf8Field(s: string, what: string): Buffer {
  if (s.indexOf("\0") >= 0) throw new MgError("ERR_INVALID_ARG", `MQTT ${what} contains U+0000`);
  if (!wellFormed(s)) throw new MgError("ERR_INVALID_ARG", `MQTT ${what} is not valid Unicode (lone surrogate)`);
  const b = Buffer.from(s, "utf8");
  if (b.length > 65535) throw new MgError("ERR_INVALID_ARG", `MQTT ${what} is over 65535 bytes`);
  return b;
}

function wellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff) return false;
    const d = s.charCodeAt(i + 1);
    if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
    i++;
  }
  return true;
}
