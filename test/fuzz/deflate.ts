// Fuzz target for permessage-deflate (src/ws/deflate.ts, RFC 7692), property-based with
// fast-check. Properties: a sequence of messages compressed by one endpoint decompresses
// to the same bytes at the other, with and without context takeover, at every window
// size, whether a message arrives as one payload or cut into frames anywhere (section
// 7.2.2 inflates the concatenation, so the cut must not matter); random bytes and mutated
// streams never make decompress() throw: it returns bytes no longer than maxMessage or
// an InflateError with code 1007 (bad data) or 1009 (too big), nothing else.
import * as fc from "fast-check";
import { InflateError, PerMessageDeflate } from "../../src/ws/deflate.js";
import { mutate, Rng } from "./mutate.js";

export interface DeflateFuzzStats { runs: number; messages: number; inflated: number; refused: Record<number, number> }

const TEXTS = ["", "a", "hello hello hello ", "é€😀", '{"jsonrpc":"2.0","id":1}', "x".repeat(300)];
/** Messages that compress (repeats, text seen before) and ones that do not (random bytes). */
const message = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 300, size: "max" }), weight: 3 },
  { arbitrary: fc.array(fc.constantFrom(...TEXTS), { maxLength: 8 }).map((a) => new Uint8Array(Buffer.from(a.join("")))), weight: 3 },
  // Long runs: a 20000-byte message is a few dozen bytes on the wire (a "zip bomb" in small).
  { arbitrary: fc.tuple(fc.constantFrom(0, 1, 0x41), fc.integer({ min: 0, max: 20_000 })).map(([b, n]) => new Uint8Array(n).fill(b)), weight: 1 },
);
const cuts = fc.array(fc.nat(), { maxLength: 4 });

function pieces(b: Buffer, at: number[]): Buffer[] {
  const pts = [...new Set(at.map((x) => x % (b.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of pts) { out.push(b.subarray(from, p)); from = p; }
  out.push(b.subarray(from));
  return out;
}

/** decompress() as the rules allow: bytes within the limit, or a 1007/1009 InflateError. */
function inflateChecked(d: PerMessageDeflate, input: Buffer | Buffer[], maxMessage: number, stats: DeflateFuzzStats, label: string): Buffer | InflateError {
  let out: Buffer | InflateError;
  try {
    out = d.decompress(input);
  } catch (e) {
    throw new Error(`${label}: decompress threw`, { cause: e });
  }
  if (out instanceof InflateError) {
    if (out.code !== 1007 && out.code !== 1009) throw new Error(`${label}: InflateError code ${out.code}`);
    if (typeof out.reason !== "string" || out.reason === "") throw new Error(`${label}: InflateError without a reason`);
    stats.refused[out.code] = (stats.refused[out.code] ?? 0) + 1;
    return out;
  }
  if (!Buffer.isBuffer(out)) throw new Error(`${label}: decompress returned ${String(out)}`);
  if (out.length > maxMessage) throw new Error(`${label}: ${out.length} bytes out, maxMessage ${maxMessage}`);
  stats.inflated++;
  return out;
}

/** `iterations` fast-check runs from `seed`; throws (with the shrunk case) on a broken property. */
export function fuzzDeflate(iterations: number, seed: number): DeflateFuzzStats {
  const stats: DeflateFuzzStats = { runs: 0, messages: 0, inflated: 0, refused: {} };
  const settings = fc.record({
    noContext: fc.boolean(),
    windowBits: fc.integer({ min: 8, max: 15 }),
    level: fc.constantFrom(undefined, 0, 1, 9),
  });

  // Round trip, whole and in frames, over a conversation with shared history.
  const roundTrip = fc.property(settings, fc.array(fc.tuple(message, cuts), { minLength: 1, maxLength: 6 }), (s, msgs) => {
    stats.runs++;
    const params = { sendNoContext: s.noContext, sendWindowBits: s.windowBits, recvNoContext: s.noContext };
    const sender = new PerMessageDeflate(params, { level: s.level }, 1 << 20);
    const whole = new PerMessageDeflate(params, {}, 1 << 20);
    const framed = new PerMessageDeflate(params, {}, 1 << 20);
    for (const [k, [m, at]] of msgs.entries()) {
      const label = `window ${s.windowBits}, ${s.noContext ? "no " : ""}context, message ${k} (${m.length} bytes)`;
      const wire = sender.compress(Buffer.from(m));
      const a = inflateChecked(whole, wire, 1 << 20, stats, label);
      const b = inflateChecked(framed, pieces(wire, at), 1 << 20, stats, `${label}, cut at ${at.join(",")}`);
      if (!Buffer.isBuffer(a) || Buffer.compare(a, m) !== 0) throw new Error(`${label}: round trip gave ${a instanceof InflateError ? a.reason : a.length + " other bytes"}`);
      if (!Buffer.isBuffer(b) || Buffer.compare(b, a) !== 0) throw new Error(`${label}: the frame cuts changed the result`);
      stats.messages++;
    }
  });

  // Hostile input: random bytes, or a real stream mutated; a small limit, sometimes a history.
  const hostile = fc.property(fc.boolean(), fc.integer({ min: 1, max: 100_000 }), fc.oneof(fc.uint8Array({ maxLength: 200, size: "max" }), message), fc.integer(), cuts,
    (withHistory, maxMessage, m, mseed, at) => {
      stats.runs++;
      const params = { sendNoContext: !withHistory, sendWindowBits: 15, recvNoContext: !withHistory };
      const sender = new PerMessageDeflate(params, {}, 1 << 20);
      const a = new PerMessageDeflate(params, {}, maxMessage), b = new PerMessageDeflate(params, {}, maxMessage);
      if (withHistory) {
        // A first message both receivers inflate alike, so the next may refer into it.
        const first = sender.compress(Buffer.from(TEXTS[2]!.repeat(3)));
        inflateChecked(a, first, maxMessage, stats, "history");
        inflateChecked(b, first, maxMessage, stats, "history");
      }
      const r = new Rng(mseed >>> 0);
      const stream = r.chance(0.3) ? Buffer.from(m) : mutate(r, sender.compress(Buffer.from(m)), 3);
      const label = `maxMessage ${maxMessage}, input ${stream.subarray(0, 64).toString("hex")}${stream.length > 64 ? "..." : ""} (${stream.length} bytes)`;
      const x = inflateChecked(a, stream, maxMessage, stats, label);
      const y = inflateChecked(b, pieces(stream, at), maxMessage, stats, `${label}, cut`);
      const same = x instanceof InflateError ? y instanceof InflateError && y.code === x.code : Buffer.isBuffer(y) && Buffer.compare(x, y) === 0;
      if (!same) throw new Error(`${label}: the frame cuts changed the verdict`);
    });

  // zlib calls dominate (a fresh context each), so an iteration is half a hostile run and
  // an eighth of a conversation; both scale with `iterations`.
  fc.assert(roundTrip, { numRuns: Math.max(1, Math.ceil(iterations / 8)), seed: seed | 0 });
  fc.assert(hostile, { numRuns: Math.max(1, Math.ceil(iterations / 2)), seed: seed | 0 });
  return stats;
}
