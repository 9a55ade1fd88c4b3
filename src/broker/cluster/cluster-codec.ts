// How the nodes of a broker cluster write messages into Redis: one binary frame per
// message (on the pub/sub channel, as a retained value, as a queued delivery), made of a
// small JSON header (topic, QoS, flags, properties, expiry, routing) and the payload bytes
// after it, unchanged. Expiry is wall-clock time (Date.now()), the one clock all nodes share.
import type { MqttProperty } from "../../mqtt/props.js";

/** A message between nodes: what MqttStoredMessage holds, plus routing. */
export interface WireMessage {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  props: MqttProperty[];
  /** Date.now() milliseconds, 0 for never. */
  expiresAt: number;
}

/** The header of a frame as JSON: short keys, since it travels with every message. */
interface Header {
  t: string;
  q: number;
  r?: 1;
  e?: number;
  p?: WireProp[];
  [extra: string]: unknown;
}

/** An MQTT property in JSON (binary values in base64). */
interface WireProp { i: number; n?: number; k?: string; v?: string; b?: string }

const FRAME_VERSION = 1;

function propsOut(props: MqttProperty[]): WireProp[] {
  return props.map((p) => {
    const w: WireProp = { i: p.id };
    if (p.iv !== undefined) w.n = p.iv;
    if (p.key !== undefined) w.k = p.key;
    if (p.val !== undefined) w.v = p.val;
    if (p.bin !== undefined) w.b = Buffer.from(p.bin.buffer, p.bin.byteOffset, p.bin.byteLength).toString("base64");
    return w;
  });
}

function propsIn(w: unknown): MqttProperty[] {
  if (!Array.isArray(w)) return [];
  return w.map((x: WireProp) => {
    const p: MqttProperty = { id: x.i };
    if (x.n !== undefined) p.iv = x.n;
    if (x.k !== undefined) p.key = x.k;
    if (x.v !== undefined) p.val = x.v;
    if (x.b !== undefined) p.bin = Buffer.from(x.b, "base64");
    return p;
  });
}

/** One frame: version byte, header length (u32), header JSON, payload. `extra` rides in the header. */
export function encodeFrame(m: WireMessage, extra?: Record<string, unknown>): Buffer {
  const h: Header = { ...extra, t: m.topic, q: m.qos };
  if (m.retain) h.r = 1;
  if (m.expiresAt !== 0) h.e = m.expiresAt;
  if (m.props.length > 0) h.p = propsOut(m.props);
  const json = Buffer.from(JSON.stringify(h), "utf8");
  const out = Buffer.allocUnsafe(5 + json.length + m.payload.length);
  out[0] = FRAME_VERSION;
  out.writeUInt32BE(json.length, 1);
  json.copy(out, 5);
  m.payload.copy(out, 5 + json.length);
  return out;
}

/** A frame back into its message and header; undefined when it is not one of ours. */
export function decodeFrame(b: Buffer): { msg: WireMessage; header: Record<string, unknown> } | undefined {
  if (b.length < 5 || b[0] !== FRAME_VERSION) return undefined;
  const n = b.readUInt32BE(1);
  if (5 + n > b.length) return undefined;
  let h: Header;
  try { h = JSON.parse(b.toString("utf8", 5, 5 + n)) as Header; } catch { return undefined; }
  if (typeof h.t !== "string" || typeof h.q !== "number") return undefined;
  // The payload is copied out of the frame: it may be queued for a session long after.
  const payload = Buffer.from(b.subarray(5 + n));
  return { msg: { topic: h.t, payload, qos: h.q, retain: h.r === 1, props: propsIn(h.p), expiresAt: typeof h.e === "number" ? h.e : 0 }, header: h };
}

// Several frames in one Redis message (a node publishes what its clients sent in one
// event-loop turn as one PUBLISH): version byte, count (u32), then each frame's length
// (u32) and bytes.
const BATCH_VERSION = 2;

/** Frames (from encodeFrame) as one batch. */
export function encodeBatch(frames: readonly Buffer[]): Buffer {
  let size = 5;
  for (const f of frames) size += 4 + f.length;
  const out = Buffer.allocUnsafe(size);
  out[0] = BATCH_VERSION;
  out.writeUInt32BE(frames.length, 1);
  let at = 5;
  for (const f of frames) { out.writeUInt32BE(f.length, at); f.copy(out, at + 4); at += 4 + f.length; }
  return out;
}

/** The frames of a batch, or of a single frame ([b]); undefined when it is malformed. */
export function splitBatch(b: Buffer): Buffer[] | undefined {
  if (b.length === 0 || b[0] !== BATCH_VERSION) return [b];
  if (b.length < 5) return undefined;
  const n = b.readUInt32BE(1);
  const out: Buffer[] = [];
  let at = 5;
  for (let i = 0; i < n; i++) {
    if (at + 4 > b.length) return undefined;
    const len = b.readUInt32BE(at);
    if (at + 4 + len > b.length) return undefined;
    out.push(b.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return at === b.length ? out : undefined;
}

/** A message inside a JSON record (a session's delayed will). */
export function messageToJson(m: WireMessage): Record<string, unknown> {
  return { t: m.topic, q: m.qos, r: m.retain ? 1 : 0, e: m.expiresAt, p: propsOut(m.props), d: m.payload.toString("base64") };
}

export function messageFromJson(o: Record<string, unknown>): WireMessage {
  return {
    topic: String(o.t), qos: Number(o.q), retain: o.r === 1, expiresAt: Number(o.e ?? 0), props: propsIn(o.p),
    payload: Buffer.from(String(o.d ?? ""), "base64"),
  };
}
