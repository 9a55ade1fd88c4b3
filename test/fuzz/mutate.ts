// Seeded randomness and byte mutations for the fuzz targets (scripts/fuzz.mjs runs them).
// Everything comes from one seed, so a run is replayed exactly with the same seed and
// iteration count. No export of this module starts with "fuzz", so the runner takes none of it for a target.

/** A small fast PRNG (sfc32, seeded through splitmix32): same seed, same sequence. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next(); this.b = next(); this.c = next(); this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** 32 random bits. */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** An integer in [0, n). */
  int(n: number): number { return n <= 0x1_0000_0000 ? Math.floor((this.u32() / 0x1_0000_0000) * n) : Math.floor(this.float() * n); }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  /** A float in [0, 1) with 53 random bits. */
  float(): number { return (this.u32() * 0x20_0000 + (this.u32() >>> 11)) / 2 ** 53; }
  /** True with probability p. */
  chance(p: number): boolean { return this.float() < p; }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]!; }
  bytes(n: number): Buffer { const b = Buffer.allocUnsafe(n); for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff; return b; }
  /** A length that is usually small and sometimes crosses a size boundary (127/128, 16383/16384). */
  length(max: number): number {
    const r = this.int(10);
    const n = r < 6 ? this.int(16) : r < 9 ? this.int(300) : this.pick([127, 128, 255, 256, 16383, 16384, this.int(max + 1)]);
    return Math.min(n, max);
  }
}

/** Byte values that tend to sit on parsers' edges. */
const EDGE_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x0d, 0x20, 0x2b, 0x23, 0xc0, 0xed, 0xf4];

/** One random edit of `buf` (a new buffer; `buf` is not changed). */
export function mutateOnce(r: Rng, buf: Buffer): Buffer {
  const n = buf.length;
  const at = n === 0 ? 0 : r.int(n);
  switch (r.int(9)) {
    case 0: { if (n === 0) break; const b = Buffer.from(buf); b[at] = b[at]! ^ (1 << r.int(8)); return b; }
    case 1: { if (n === 0) break; const b = Buffer.from(buf); b[at] = r.u32() & 0xff; return b; }
    case 2: { if (n === 0) break; const b = Buffer.from(buf); b[at] = r.pick(EDGE_BYTES); return b; }
    case 3: return Buffer.concat([buf.subarray(0, at), r.bytes(r.range(1, 4)), buf.subarray(at)]);
    case 4: return Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(n, at + r.range(1, 4)))]);
    case 5: return Buffer.from(buf.subarray(0, r.int(n + 1)));
    case 6: return Buffer.concat([buf, r.bytes(r.range(1, 8))]);
    case 7: {
      // A copy of one slice somewhere else: repeated fields, lengths pointing at data.
      if (n === 0) break;
      const from = r.int(n), len = r.range(1, Math.min(8, n - from));
      return Buffer.concat([buf.subarray(0, at), buf.subarray(from, from + len), buf.subarray(at)]);
    }
    default: {
      // A 16-bit big-endian field (the length prefix of most formats) nudged or maxed.
      if (n < 2) break;
      const b = Buffer.from(buf);
      const p = r.int(n - 1);
      const v = b.readUInt16BE(p);
      b.writeUInt16BE(r.pick([0, 0xffff, (v + 1) & 0xffff, (v - 1) & 0xffff, v ^ 0x8000]), p);
      return b;
    }
  }
  return Buffer.concat([buf, r.bytes(1)]);
}

/** One to `max` random edits. */
export function mutate(r: Rng, buf: Buffer, max = 4): Buffer {
  let b = buf;
  for (let i = r.range(1, max); i > 0; i--) b = mutateOnce(r, b);
  return b;
}

/** Random split points of a length-n input: sorted, distinct, inside (0, n). */
export function splitPoints(r: Rng, n: number, max = 3): number[] {
  if (n < 2) return [];
  const pts = new Set<number>();
  for (let i = r.range(1, max); i > 0; i--) pts.add(r.range(1, n - 1));
  return [...pts].sort((a, b) => a - b);
}

/** Hex of at most 256 bytes, for failure messages that can become regression rows. */
export function hex(b: Uint8Array): string {
  const s = Buffer.from(b.subarray(0, 256)).toString("hex");
  return b.length > 256 ? `${s}... (${b.length} bytes)` : s;
}

/** An Error naming the target, iteration and input, so the case can be reproduced by hand. */
export function failure(target: string, iteration: number, what: string, input: Uint8Array, cause?: unknown): Error {
  const msg = `${target}: iteration ${iteration}: ${what}\n  input: ${hex(input)}`;
  return cause === undefined ? new Error(msg) : new Error(msg, { cause });
}
