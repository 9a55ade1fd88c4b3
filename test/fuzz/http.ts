// Fuzz entry for the HTTP/1.1 codec: random mutations of the codec table's accepted
// messages. Every input must give one of the documented verdicts (a head, "need more",
// or an HttpParseError with a status the parser documents), never a throw, and the same
// verdict whole, cut in two at every byte, and byte by byte. `fuzzHttp(n, seed)` is
// deterministic for a seed, so a failure is reproduced by its seed and iteration.
import { REQUESTS, RESPONSES } from "../http/codec-table.js";
import { decodeEveryWay, verdictKey } from "../http/codec-harness.js";

const STATUSES = new Set([400, 413, 414, 431, 501, 505]);
// Bytes that sit on the grammar's edges.
const SPECIAL = [13, 10, 32, 9, 0, 0x3a, 0x2c, 0x3b, 0x3d, 0x22, 0x5c, 0x7f, 0xff, 0x80, 0x2f, 0x3f, 0x2a, 0x30, 0x61, 0x46, 0x40, 0x5b, 0x5d];

/** mulberry32: a small seeded PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(src: Buffer, rand: () => number): Buffer {
  const b = Array.from(src);
  const pick = (k: number): number => Math.floor(rand() * k);
  const byte = (): number => (rand() < 0.7 ? SPECIAL[pick(SPECIAL.length)]! : pick(256));
  const edits = 1 + pick(3);
  for (let e = 0; e < edits && b.length > 0; e++) {
    const at = pick(b.length);
    switch (pick(5)) {
      case 0: b[at] = byte(); break;
      case 1: b.splice(at, 0, byte()); break;
      case 2: b.splice(at, 1 + pick(3)); break;
      case 3: { const len = 1 + pick(8); b.splice(at, 0, ...b.slice(at, at + len)); break; }
      default: b[at] = b[at]! ^ (1 << pick(8)); break;
    }
  }
  return Buffer.from(b);
}

export interface FuzzReport { iterations: number; accepted: number; refused: Record<number, number>; incomplete: number }

/** Runs `iterations` mutated messages from `seed`; throws with the input on the first broken rule. */
export function fuzzHttp(iterations: number, seed: number): FuzzReport {
  const rand = rng(seed);
  const seeds = [...REQUESTS.map((r) => ({ r, isResponse: false })), ...RESPONSES.map((r) => ({ r, isResponse: true }))].filter((s) => s.r.expect === "ok");
  const report: FuzzReport = { iterations, accepted: 0, refused: {}, incomplete: 0 };
  for (let it = 0; it < iterations; it++) {
    const s = seeds[Math.floor(rand() * seeds.length)]!;
    const input = mutate(Buffer.from(s.r.raw, "latin1"), rand);
    let key = "";
    try {
      const v = decodeEveryWay(input, s.isResponse, s.isResponse);
      key = verdictKey(v);
      if (v.kind === "ok") report.accepted++;
      else if (v.kind === "incomplete") report.incomplete++;
      else {
        if (!STATUSES.has(v.status) || v.reason.length === 0) throw new Error(`undocumented refusal ${key}`);
        report.refused[v.status] = (report.refused[v.status] ?? 0) + 1;
      }
    } catch (e) {
      throw new Error(`fuzzHttp seed ${seed} iteration ${it} (${s.isResponse ? "response" : "request"} from "${s.r.name}") ${JSON.stringify(input.toString("latin1"))}: ${(e as Error).message} ${key}`);
    }
  }
  return report;
}
