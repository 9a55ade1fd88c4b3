// A fixed-seed fuzzer for the WebSocket receive codec: random sequences of valid frames
// (messages, fragments, control frames, compressed messages), randomly mutated, fed to
// WsDecoder whole and in random pieces. It must never throw, and the outcome (events and
// bytes consumed) must not depend on how the bytes were cut. Run by
// test/ws/codec-fuzz.test.ts; exported for a longer `npm run fuzz`.
import { PerMessageDeflate } from "../../src/ws/deflate.js";
import type { WsDecoderOptions } from "../../src/ws/codec.js";
import { rawFrame, feedWhole, feedPieces, type Outcome } from "../ws/codec-util.js";

export interface FuzzStats { iterations: number; messages: number; controls: number; failures: Record<string, number>; incomplete: number }

/** A small deterministic PRNG (xorshift32). */
function rng(seed: number): () => number {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 0x100000000; };
}

const TEXTS = ["", "a", "hello", "é€😀", "ascii and more ascii ".repeat(8), "\u{10ffff}x"];

export function fuzzWs(iterations: number, seed: number): FuzzStats {
  const r = rng(seed);
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
  const bytes = (n: number): Buffer => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = int(256); return b; };
  const deflater = new PerMessageDeflate({ sendNoContext: true, sendWindowBits: 15, recvNoContext: true }, { threshold: 0 }, 1 << 20);
  const stats: FuzzStats = { iterations, messages: 0, controls: 0, failures: {}, incomplete: 0 };

  for (let it = 0; it < iterations; it++) {
    const isServer = r() < 0.7;
    const deflate = r() < 0.3;
    const maxMessage = pick([40, 1000, 70_000]);
    const maxFragments = pick([2, 4, 16384]);
    const opts = (): WsDecoderOptions => ({
      isServer, maxMessage, maxFragments,
      deflate: deflate ? new PerMessageDeflate({ sendNoContext: true, sendWindowBits: 15, recvNoContext: true }, {}, maxMessage) : undefined,
    });
    const mask = isServer ? undefined : (false as const);
    const frames: Buffer[] = [];
    for (let m = 1 + int(4); m > 0; m--) {
      const kind = r();
      if (kind < 0.2) {
        const op = pick([8, 9, 10]);
        const payload = op === 8 ? (r() < 0.5 ? Buffer.from([0x03, 0xe8, 0x6f, 0x6b]) : Buffer.alloc(0)) : bytes(int(20));
        frames.push(rawFrame({ op, payload, mask }));
        continue;
      }
      const op = r() < 0.5 ? 1 : 2;
      let payload = op === 1 ? Buffer.from(pick(TEXTS)) : bytes(pick([0, 1, 5, 126, 300, 66_000]));
      const compress = deflate && r() < 0.6;
      if (compress) payload = deflater.compress(payload);
      const parts = 1 + int(4);
      const step = Math.ceil(payload.length / parts) || 1;
      for (let p = 0, i = 0; i === 0 || p < payload.length; p += step, i++) {
        const last = p + step >= payload.length;
        frames.push(rawFrame({ op: i === 0 ? op : 0, rsv: i === 0 && compress ? 0x40 : 0, payload: payload.subarray(p, p + step), fin: last, mask }));
        if (!last && r() < 0.2) frames.push(rawFrame({ op: 9, payload: "i", mask }));
        if (last) break;
      }
    }
    let input: Buffer = Buffer.concat(frames);
    for (let k = int(4); k > 0; k--) input = mutate(input, r, int, bytes);

    const whole = feedWhole(opts, input);
    const cuts = Array.from({ length: 1 + int(6) }, () => int(input.length + 1)).sort((a, b) => a - b);
    compare(whole, feedPieces(opts, input, cuts), seed, it, input, `cuts ${cuts.join(",")}`);
    if (input.length < 400 && it % 5 === 0) {
      compare(whole, feedPieces(opts, input, Array.from({ length: input.length }, (_, i) => i + 1)), seed, it, input, "byte by byte");
    }
    for (const e of whole.events) {
      if (e.startsWith("msg")) stats.messages++;
      else if (e.startsWith("ctl")) stats.controls++;
      else stats.failures[e] = (stats.failures[e] ?? 0) + 1;
    }
    if (whole.consumed < input.length) stats.incomplete++;
  }
  return stats;
}

function mutate(b: Buffer, r: () => number, int: (n: number) => number, bytes: (n: number) => Buffer): Buffer {
  if (b.length === 0) return bytes(1 + int(8));
  const at = int(b.length);
  const c = Buffer.from(b);
  switch (int(6)) {
    case 0: c[at] = c[at]! ^ (1 << int(8)); return c; // flip a bit
    case 1: c[at] = int(256); return c; // replace a byte
    case 2: return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(8)))]); // delete
    case 3: return Buffer.concat([b.subarray(0, at), bytes(1 + int(8)), b.subarray(at)]); // insert
    case 4: return b.subarray(0, at); // truncate
    default: { c[at] = r() < 0.5 ? 0xff : 0x80; return c; } // UTF-8 troublemakers / header bits
  }
}

function compare(a: Outcome, b: Outcome, seed: number, it: number, input: Buffer, how: string): void {
  const same = a.consumed === b.consumed && a.events.length === b.events.length && a.events.every((e, i) => e === b.events[i]);
  if (!same) {
    throw new Error(`fuzzWs(seed ${seed}) iteration ${it}: whole and ${how} differ\n` +
      `input ${input.toString("hex").slice(0, 400)}\nwhole  ${a.consumed} ${JSON.stringify(a.events).slice(0, 400)}\npieces ${b.consumed} ${JSON.stringify(b.events).slice(0, 400)}`);
  }
}
