// Fuzz target for the JSON path getters (src/util/json.ts jsonGet*), property-based with
// fast-check, checked against JSON.parse as the oracle (same grammar, RFC 8259).
// Properties: for a valid document and a path to any value in it, jsonGet returns that
// value's text and the typed getters its value, from a string or from bytes alike, with any
// whitespace between tokens; a path to nothing gives undefined; for mutated documents
// the getters never throw and "is it valid" agrees with JSON.parse; nesting far beyond
// the depth limit gives undefined, not a stack overflow.
import * as fc from "fast-check";
import { jsonGet, jsonGetBool, jsonGetLong, jsonGetNum, jsonGetStr } from "../../src/util/json.js";
import { mutate, Rng } from "./mutate.js";

export interface JsonFuzzStats { runs: number; paths: number; mutatedValid: number; mutatedInvalid: number }

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

// Member names with the characters paths must quote (".", "[", quotes, "]").
const keyText = fc.string({ unit: fc.constantFrom("a", "b", "Z", "0", ".", "[", "]", '"', "'", " ", "é", "😀", "\\", "\n"), maxLength: 6 });
const value: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.string({ unit: "grapheme", maxLength: 8, size: "max" }),
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(keyText, tie("v"), { maxKeys: 4 }),
  ),
})).v;

/** JSON text with random (valid) whitespace between tokens: each structural token may get some. */
function spaced(v: Json, ws: () => string): string {
  if (Array.isArray(v)) return `[${ws()}${v.map((x) => spaced(x, ws) + ws()).join(`,${ws()}`)}]`;
  if (v !== null && typeof v === "object") {
    return `{${ws()}${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}${ws()}:${ws()}${spaced(x, ws)}${ws()}`).join(`,${ws()}`)}}`;
  }
  return JSON.stringify(v);
}

/** A path segment for member `k`, or undefined when the path syntax cannot name it. */
function memberSeg(k: string): string | undefined {
  if (k !== "" && !k.includes(".") && !k.includes("[")) return `.${k}`;
  if (!k.includes('"]')) return `["${k}"]`;
  if (!k.includes("']")) return `['${k}']`;
  return undefined;
}

/** Every (path, value) of `v` that the path syntax can name. */
function paths(v: Json, at: string, out: [string, Json][]): [string, Json][] {
  out.push([at, v]);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, `${at}[${i}]`, out));
  else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      const seg = memberSeg(k);
      if (seg !== undefined) paths(x, at + seg, out);
    }
  }
  return out;
}

function check(doc: string | Uint8Array, path: string, want: Json, label: string): void {
  const raw = jsonGet(doc, path);
  if (raw === undefined) throw new Error(`${label}: jsonGet(${path}) is undefined`);
  if (JSON.stringify(JSON.parse(raw)) !== JSON.stringify(want)) throw new Error(`${label}: jsonGet(${path}) = ${raw}, expected ${JSON.stringify(want)}`);
  const num = jsonGetNum(doc, path), str = jsonGetStr(doc, path), bool = jsonGetBool(doc, path), long = jsonGetLong(doc, path);
  if (typeof want === "number") {
    if (num !== want) throw new Error(`${label}: jsonGetNum(${path}) = ${num}, expected ${want}`);
    const t = Math.trunc(want);
    if (long !== (Number.isSafeInteger(t) ? t + 0 : undefined)) throw new Error(`${label}: jsonGetLong(${path}) = ${long}`);
  } else if (num !== undefined || long !== undefined) throw new Error(`${label}: a number at ${path}`);
  if (str !== (typeof want === "string" ? want : undefined)) throw new Error(`${label}: jsonGetStr(${path}) = ${JSON.stringify(str)}`);
  if (bool !== (typeof want === "boolean" ? want : undefined)) throw new Error(`${label}: jsonGetBool(${path}) = ${bool}`);
}

function validByParse(text: string): boolean {
  try { JSON.parse(text); return true; } catch { return false; }
}

/** `iterations` fast-check runs from `seed`; throws (with the shrunk case) on a broken property. */
export function fuzzJson(iterations: number, seed: number): JsonFuzzStats {
  const stats: JsonFuzzStats = { runs: 0, paths: 0, mutatedValid: 0, mutatedInvalid: 0 };
  const WS = [" ", "\t", "\n", "\r", "  "];
  fc.assert(fc.property(value, fc.integer(), (v, s) => {
    stats.runs++;
    const r = new Rng(s >>> 0);
    const text = spaced(v, () => (r.chance(0.3) ? r.pick(WS) : ""));
    const bytes = Buffer.from(text);
    const label = `document ${text.slice(0, 200)}`;
    // Each getter call validates the whole document first, so a sample of the paths.
    const all = paths(v, "$", []);
    for (const [path, want] of all.length <= 24 ? all : all.filter((_, i) => r.chance(24 / all.length))) {
      check(text, path, want, label);
      check(bytes, path, want, `${label} (bytes)`);
      stats.paths++;
    }
    // Paths to nothing: one index past the end, a member that is not there.
    for (const [path, x] of paths(v, "$", []).slice(0, 8)) {
      const miss = Array.isArray(x) ? `${path}[${x.length}]` : x !== null && typeof x === "object" ? `${path}["\u0001none"]` : `${path}[0]`;
      if (jsonGet(text, miss) !== undefined) throw new Error(`${label}: jsonGet(${miss}) found something`);
    }
    // Mutations: no throw, and validity as JSON.parse sees it (a leading BOM aside, which RFC 8259 lets a parser skip).
    for (let m = 0; m < 3; m++) {
      const mutated = mutate(r, bytes, 3).toString("latin1");
      let got: string | undefined;
      try {
        got = jsonGet(mutated, "$");
        jsonGetNum(mutated, "$[0]"); jsonGetStr(mutated, "$.a"); jsonGetBool(mutated, '$["a"][1]');
      } catch (e) {
        throw new Error(`jsonGet threw on ${JSON.stringify(mutated.slice(0, 200))}`, { cause: e });
      }
      const valid = validByParse(mutated.replace(/^\ufeff/, ""));
      if ((got !== undefined) !== valid) throw new Error(`validity of ${JSON.stringify(mutated.slice(0, 200))}: jsonGet says ${got !== undefined}, JSON.parse ${valid}`);
      if (valid) stats.mutatedValid++; else stats.mutatedInvalid++;
    }
  }), { numRuns: iterations, seed: seed | 0 });

  // Deep nesting: past the 1000-level limit undefined, below it found; never a RangeError.
  fc.assert(fc.property(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom("[", '{"a":'), (n, open) => {
    const close = open === "[" ? "]" : "}";
    const doc = open.repeat(n) + "1" + close.repeat(n);
    const got = jsonGet(doc, "$");
    if ((got !== undefined) !== (n <= 1000)) throw new Error(`nesting ${n} of ${open}: ${got === undefined ? "undefined" : "found"}`);
  }), { numRuns: Math.max(1, Math.ceil(iterations / 20)), seed: seed | 0 });
  return stats;
}
