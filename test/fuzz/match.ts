// Fuzz target for match() (src/util/match.ts), property-based with fast-check. Strings
// and patterns come from small alphabets that make wildcards collide ("a", "/", "?", "*",
// "#", surrogate pairs and their lone halves). Properties: the result equals the table
// reference (the previous implementation, exact by construction); a match's captures put
// back into the pattern give the string, `*` captures hold no "/", `?` captures are one
// character; the walk's steps stay within |pattern| x |string|; nothing throws.
import * as fc from "fast-check";
import { match, matchSteps, matchTuning } from "../../src/util/match.js";
import { tableReference } from "../util/match-table.js";

export interface MatchFuzzStats { runs: number; matched: number; maxStepsPerCell: number }

const STR_UNITS = ["a", "a", "b", "/", "/", "x", "😀", "\ud83d", "\ude00"];
const PAT_UNITS = ["a", "b", "/", "?", "*", "*", "#", "#", "x", "😀", "\ud83d", "\ude00"];

// fast-check keeps generated lengths near 10 ("small") unless told size "max".
function text(units: readonly string[], maxLength: number): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...units), { maxLength, size: "max" }).map((a) => a.join(""));
}

/** Pattern and string, sometimes the string built from the pattern so that it matches. */
const pair: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(text(STR_UNITS, 40), text(PAT_UNITS, 14)),
  // A matching string: every wildcard replaced by a random run (which may still let an
  // earlier wildcard take a different share).
  fc.tuple(text(PAT_UNITS, 14), fc.array(text(STR_UNITS, 6), { minLength: 14, maxLength: 14, size: "max" })).map(([p, fills]): [string, string] => {
    let s = "", k = 0;
    for (const ch of p) {
      if (ch === "*") s += fills[k++]!.replaceAll("/", "");
      else if (ch === "#") s += fills[k++]!;
      else if (ch === "?") s += fills[k++]![0] ?? "a";
      else s += ch;
    }
    return [s, p];
  }),
  // Hostile shapes: runs of one letter against alternations of wildcards and that letter.
  fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 30 }), fc.constantFrom("*a", "#a", "*?", "?*", "#/", "*/"),
    fc.constantFrom("a", "a/", "aa/"), fc.constantFrom("", "b", "*", "#"))
    .map(([n, k, unit, fill, tail]): [string, string] => [fill.repeat(n), unit.repeat(k) + tail]),
);

function checkOne(str: string, pattern: string, stats: MatchFuzzStats): void {
  const before = matchSteps.count;
  const got = match(str, pattern);
  const steps = matchSteps.count - before;
  const want = tableReference(str, pattern);
  const label = `match(${JSON.stringify(str)}, ${JSON.stringify(pattern)})`;
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${label} = ${JSON.stringify(got)}, the table says ${JSON.stringify(want)}`);
  const cells = (pattern.length + 1) * (str.length + 1);
  stats.maxStepsPerCell = Math.max(stats.maxStepsPerCell, steps / cells);
  // Each wildcard grows from at most one start per "/"-free run, a walk step per unit.
  if (steps > 2 * cells + 2) throw new Error(`${label} took ${steps} steps for ${cells} cells`);
  const [ok, caps] = got;
  if (!ok) { if (caps.length !== 0) throw new Error(`${label}: captures without a match`); return; }
  stats.matched++;
  let rebuilt = "", k = 0;
  for (const ch of pattern) {
    if (ch === "*" || ch === "#" || ch === "?") {
      const c = caps[k++];
      if (c === undefined) throw new Error(`${label}: too few captures`);
      if (ch === "*" && c.includes("/")) throw new Error(`${label}: * captured ${JSON.stringify(c)}`);
      if (ch === "?" && [...c].length !== 1) throw new Error(`${label}: ? captured ${JSON.stringify(c)}`);
      rebuilt += c;
    } else {
      rebuilt += ch;
    }
  }
  if (k !== caps.length || rebuilt !== str) throw new Error(`${label}: captures ${JSON.stringify(caps)} do not rebuild the string`);
}

/** Each case twice: as match() runs it, and with the searches of long strings (seek) forced on. */
function checkBoth(str: string, pattern: string, stats: MatchFuzzStats): void {
  checkOne(str, pattern, stats);
  const saved = matchTuning.seekMin;
  matchTuning.seekMin = 0;
  try { checkOne(str, pattern, stats); } finally { matchTuning.seekMin = saved; }
}

/** `iterations` fast-check runs from `seed`; throws (with the shrunk case) on a broken property. */
export function fuzzMatch(iterations: number, seed: number): MatchFuzzStats {
  const stats: MatchFuzzStats = { runs: 0, matched: 0, maxStepsPerCell: 0 };
  fc.assert(fc.property(pair, ([str, pattern]) => { stats.runs++; checkBoth(str, pattern, stats); }), { numRuns: iterations, seed: seed | 0 });
  return stats;
}
