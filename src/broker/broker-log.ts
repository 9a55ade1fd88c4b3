// The record format of MqttFileStore's append-only log. The file starts with an 8-byte
// magic; then frames: u32 body length, u32 CRC-32 of the body, body. A body is one byte
// of record type, a u32 length and that many bytes of JSON, then the raw payload (if
// the record carries one). A frame that is short, fails its CRC or does not decode ends
// the valid part of the log: a write torn by a crash loses only what it was writing.
import { crc32 } from "../util/hash.js";
import type { MqttProperty } from "../mqtt/props.js";
import type { MqttStoredMessage } from "./broker-store.js";

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
