// The record format of MqttFileStore's append-only log. The file starts with an 8-byte
// magic; then frames: u32 body length, u32 CRC-32 of the body, body. A body is one byte
// of record type, then either (retained messages, sessions, messages) a u32 length and
// that many bytes of JSON followed by the raw payload, or (the frequent per-delivery
// records) fixed binary fields: u16 client id length, client id (UTF-8), f64 delivery
// key, and for DELIVERY f64 message key, u8 QoS, u8 retain, u16 packet id, u8 released,
// u16 count and u32 subscription identifiers; for UPDATE u16 packet id, u8 released.
// A frame that is short, fails its CRC or does not decode ends the valid part of the
// log: a write torn by a crash loses only what it was writing. Integers are big-endian.
import * as zlib from "node:zlib";
import { crc32 as crc32js } from "../util/hash.js";
import type { MqttProperty } from "../mqtt/props.js";
import type { MqttStoredMessage } from "./broker-store.js";

// zlib's native CRC-32 (Node 20.15+), else ours; the same function (ISO-HDLC).
const nativeCrc = (zlib as { crc32?: (b: Uint8Array) => number }).crc32;
const crc32 = nativeCrc ?? ((b: Uint8Array): number => crc32js(b));

export const LOG_MAGIC = Buffer.from("TSMQLOG1", "latin1");

export const REC_RETAIN = 1, REC_UNRETAIN = 2, REC_SESSION = 3, REC_END_SESSION = 4;
export const REC_MESSAGE = 5, REC_DELIVERY = 6, REC_UPDATE = 7, REC_DONE = 8;

/** A decoded record: its type, its JSON header, and its payload bytes (a view). */
export interface LogRecord { type: number; head: Record<string, unknown>; payload: Buffer }

/** Frames one record. */
export function encodeRecord(type: number, head: object, payload?: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(head), "utf8");
  const plen = payload === undefined ? 0 : payload.length;
  const bodyLen = 5 + json.length + plen;
  const out = Buffer.allocUnsafe(8 + bodyLen);
  out.writeUInt32BE(bodyLen, 0);
  out[8] = type;
  out.writeUInt32BE(json.length, 9);
  json.copy(out, 13);
  if (payload !== undefined) out.set(payload, 13 + json.length);
  out.writeUInt32BE(crc32(out.subarray(8)), 4);
  return out;
}

/**
 * Decodes the frames of `buf` from `offset`; stops at the end or at the first frame that
 * is incomplete or corrupt. Returns the records and where the valid part ends.
 */
export function decodeRecords(buf: Buffer, offset: number): { records: LogRecord[]; end: number } {
  const records: LogRecord[] = [];
  let p = offset;
  while (p + 8 <= buf.length) {
    const len = buf.readUInt32BE(p);
    if (len < 5 || p + 8 + len > buf.length) break; // torn: the frame runs past the end
    const body = buf.subarray(p + 8, p + 8 + len);
    if (crc32(body) !== buf.readUInt32BE(p + 4)) break; // torn or overwritten
    const type = body[0]!;
    if (type === REC_DELIVERY || type === REC_UPDATE || type === REC_DONE) {
      const head = decodeBinary(type, body);
      if (head === undefined) break;
      records.push({ type, head, payload: body.subarray(body.length) });
      p += 8 + len;
      continue;
    }
    const jlen = body.readUInt32BE(1);
    if (5 + jlen > len) break;
    let head: unknown;
    try { head = JSON.parse(body.toString("utf8", 5, 5 + jlen)); } catch { break; }
    if (head === null || typeof head !== "object") break;
    records.push({ type: body[0]!, head: head as Record<string, unknown>, payload: body.subarray(5 + jlen) });
    p += 8 + len;
  }
  return { records, end: p };
}

/** JSON of a message without its payload (which travels as the record's raw bytes). */
export function messageHead(m: MqttStoredMessage): object {
  return { t: m.topic, q: m.qos, r: m.retain ? 1 : 0, e: m.expiresAt, p: m.props.map(propJson) };
}

/** The message of a record's header and payload; throws when a field is missing. */
export function messageOf(h: Record<string, unknown>, payload: Buffer): MqttStoredMessage {
  if (typeof h.t !== "string" || typeof h.q !== "number" || !Array.isArray(h.p)) throw new Error("bad message record");
  return {
    topic: h.t, payload: Buffer.from(payload), qos: h.q, retain: h.r === 1, expiresAt: typeof h.e === "number" ? h.e : 0,
    props: (h.p as Record<string, unknown>[]).map(propOf),
  };
}

function propJson(p: MqttProperty): object {
  const o: Record<string, unknown> = { id: p.id };
  if (p.iv !== undefined) o.iv = p.iv;
  if (p.key !== undefined) o.key = p.key;
  if (p.val !== undefined) o.val = p.val;
  if (p.bin !== undefined) o.bin = Buffer.from(p.bin).toString("base64");
  return o;
}

function propOf(o: Record<string, unknown>): MqttProperty {
  const p: MqttProperty = { id: Number(o.id) };
  if (typeof o.iv === "number") p.iv = o.iv;
  if (typeof o.key === "string") p.key = o.key;
  if (typeof o.val === "string") p.val = o.val;
  if (typeof o.bin === "string") p.bin = Buffer.from(o.bin, "base64");
  return p;
}

/** A frame around a binary body of `n` bytes after the type byte; `fill` writes them from offset 9. */
function binaryFrame(type: number, n: number, fill: (b: Buffer) => void): Buffer {
  const out = Buffer.allocUnsafe(9 + n);
  out.writeUInt32BE(1 + n, 0);
  out[8] = type;
  fill(out);
  out.writeUInt32BE(crc32(out.subarray(8)), 4);
  return out;
}

/** Writes the client id (u16 length + UTF-8) and the delivery key at 9; returns the offset after them. */
function putId(b: Buffer, clientId: string, clen: number, key: number): number {
  b.writeUInt16BE(clen, 9);
  b.write(clientId, 11, clen, "utf8");
  b.writeDoubleBE(key, 11 + clen);
  return 19 + clen;
}

export function encodeDelivery(clientId: string, key: number, msgKey: number, qos: number, retain: boolean, subIds: readonly number[], packetId: number, released: boolean): Buffer {
  const clen = Buffer.byteLength(clientId, "utf8");
  return binaryFrame(REC_DELIVERY, 10 + clen + 15 + 4 * subIds.length, (b) => {
    let o = putId(b, clientId, clen, key);
    b.writeDoubleBE(msgKey, o); o += 8;
    b[o++] = qos;
    b[o++] = retain ? 1 : 0;
    b.writeUInt16BE(packetId, o); o += 2;
    b[o++] = released ? 1 : 0;
    b.writeUInt16BE(subIds.length, o); o += 2;
    for (const id of subIds) { b.writeUInt32BE(id, o); o += 4; }
  });
}

export function encodeUpdate(clientId: string, key: number, packetId: number, released: boolean): Buffer {
  const clen = Buffer.byteLength(clientId, "utf8");
  return binaryFrame(REC_UPDATE, 10 + clen + 3, (b) => {
    const o = putId(b, clientId, clen, key);
    b.writeUInt16BE(packetId, o);
    b[o + 2] = released ? 1 : 0;
  });
}

export function encodeDone(clientId: string, key: number): Buffer {
  const clen = Buffer.byteLength(clientId, "utf8");
  return binaryFrame(REC_DONE, 10 + clen, (b) => { putId(b, clientId, clen, key); });
}

/** The fields of a binary record, under the same names as the JSON ones; undefined when they do not fit its length. */
function decodeBinary(type: number, body: Buffer): Record<string, unknown> | undefined {
  if (body.length < 3) return undefined;
  const clen = body.readUInt16BE(1);
  let o = 3 + clen;
  if (body.length < o + 8) return undefined;
  const head: Record<string, unknown> = { c: body.toString("utf8", 3, o), k: body.readDoubleBE(o) };
  o += 8;
  if (type === REC_DONE) return o === body.length ? head : undefined;
  if (type === REC_UPDATE) {
    if (body.length !== o + 3) return undefined;
    head.i = body.readUInt16BE(o);
    head.x = body[o + 2];
    return head;
  }
  if (body.length < o + 15) return undefined;
  head.m = body.readDoubleBE(o);
  head.q = body[o + 8];
  head.r = body[o + 9];
  head.i = body.readUInt16BE(o + 10);
  head.x = body[o + 12];
  const n = body.readUInt16BE(o + 13);
  o += 15;
  if (body.length !== o + 4 * n) return undefined;
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push(body.readUInt32BE(o + 4 * i));
  head.s = ids;
  return head;
}
