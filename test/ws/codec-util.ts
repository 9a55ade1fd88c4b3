// Helpers for the WebSocket codec tests: a frame builder that can also write what a
// peer must not (non-minimal lengths, any bits), a recording sink, and feeders that
// give the same bytes to a decoder at once or in pieces.
import { WsDecoder, type WsDecodeSink, type WsDecoderOptions } from "../../src/ws/codec.js";

export interface RawFrame {
  op: number;
  payload?: Buffer | string;
  fin?: boolean;
  /** RSV bits as 0x40 / 0x20 / 0x10. */
  rsv?: number;
  /** Mask with this key (4 bytes); default: masked with a fixed key. false: unmasked. */
  mask?: Buffer | false;
  /** Length field size: 1 (7-bit), 2 (16-bit), 8 (64-bit); default the minimal one. */
  lenBytes?: 1 | 2 | 8;
  /** Overrides the length written in the header (the payload stays as given). */
  len?: number;
  /** High 32 bits of a 64-bit length field. */
  len64High?: number;
}

const KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** Builds one frame's bytes. */
export function rawFrame(f: RawFrame): Buffer {
  const payload = typeof f.payload === "string" ? Buffer.from(f.payload) : f.payload ?? Buffer.alloc(0);
  const len = f.len ?? payload.length;
  const lb = f.lenBytes ?? (len < 126 ? 1 : len < 65536 ? 2 : 8);
  const key = f.mask === false ? undefined : f.mask ?? KEY;
  const head = Buffer.alloc(2 + (lb === 1 ? 0 : lb) + (key ? 4 : 0));
  head[0] = ((f.fin ?? true) ? 0x80 : 0) | (f.rsv ?? 0) | f.op;
  const m = key ? 0x80 : 0;
  if (lb === 1) head[1] = m | len;
  else if (lb === 2) { head[1] = m | 126; head.writeUInt16BE(len, 2); }
  else { head[1] = m | 127; head.writeUInt32BE(f.len64High ?? Math.floor(len / 2 ** 32), 2); head.writeUInt32BE(len >>> 0, 6); }
  if (!key) return Buffer.concat([head, payload]);
  key.copy(head, head.length - 4);
  const body = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = payload[i]! ^ key[i & 3]!;
  return Buffer.concat([head, body]);
}

/** What a sink saw, as comparable strings: "msg op flags hex", "ctl op flags hex", "fail code". */
export class Recorder implements WsDecodeSink {
  readonly events: string[] = [];
  readonly data: Buffer[] = [];
  message(op: number, data: Buffer, flags: number): void {
    this.events.push(`msg ${op} ${flags.toString(16)} ${data.toString("hex")}`);
    this.data.push(data);
  }
  control(op: number, payload: Buffer, flags: number): void {
    this.events.push(`ctl ${op} ${flags.toString(16)} ${payload.toString("hex")}`);
  }
  fail(code: number, reason: string): void {
    this.events.push(`fail ${code}`);
    void reason;
  }
}

export interface Outcome { events: string[]; consumed: number }

/** Feeds all of `bytes` (a copy: decoding unmasks in place) in one call. */
export function feedWhole(opts: () => WsDecoderOptions, bytes: Buffer, room = Infinity): Outcome {
  const d = new WsDecoder(opts());
  const r = new Recorder();
  return { events: r.events, consumed: d.decode(Buffer.from(bytes), r, room) };
}

/**
 * Feeds `bytes` as a receive buffer would see them when they arrive in pieces ending
 * at `cuts` (increasing offsets): each call gets everything not consumed so far, up to
 * the next cut. The same memory is passed again, as the contract of decode() requires.
 */
export function feedPieces(opts: () => WsDecoderOptions, bytes: Buffer, cuts: readonly number[], room = Infinity): Outcome {
  const d = new WsDecoder(opts());
  const r = new Recorder();
  const buf = Buffer.from(bytes);
  let consumed = 0;
  for (const end of [...cuts, buf.length]) {
    if (end <= consumed) continue;
    consumed += d.decode(buf.subarray(consumed, end), r, room);
  }
  return { events: r.events, consumed };
}

/** Every way to split `bytes` that the tests try: in two at each boundary, and byte by byte. */
export function splits(n: number): number[][] {
  const out: number[][] = [];
  for (let k = 1; k < n; k++) out.push([k]);
  if (n > 2) out.push(Array.from({ length: n - 1 }, (_, i) => i + 1));
  return out;
}
