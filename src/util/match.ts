// Mongoose's glob patterns (mg_match): `?` matches any one character, `*` any run of
// characters except "/", `#` any run of characters including "/". Everything else matches
// itself, case-sensitively, and the pattern must consume the whole string.
//
// Matching is the two-pointer glob walk: literals and `?` advance both positions; at a
// wildcard the walk first lets it match nothing and, when the rest fails, comes back and
// lets it take one more character. Memory is a few integers per wildcard (no table).
//
// Mongoose backtracks only to the last wildcard, which is exact for `#` but not for `*`:
// a `*` cannot take a "/", so a failure behind it may need an earlier `*` to grow (for
// "*?*b" against "x/b" the `?` must take the "/"). So the walk keeps a stack of the
// wildcards it is inside, and remembers, per wildcard, the last position from which it was
// seen to fail completely. That fact covers every later start the wildcard could reach by
// growing from there: any later start for `#`, the rest of the "/"-free run for `*`.
// Because a later (lower-priority) path can only reach a wildcard at a start position that
// an earlier path already passed through, the starts tried at each wildcard never go
// backwards, so one remembered position per wildcard prunes every repeated failure: each
// wildcard explores from at most one start per "/"-free run (one start in all for `#`).
// Work is then at most |pattern| x |string| steps, and usually near |string|; there is
// no exponential backtracking on hostile input such as "*a*a*a*a*b".

const Q = 0x3f; // ?
const STAR = 0x2a; // *
const HASH = 0x23; // #
const SLASH = 0x2f; // /

/** Width of the character at `i`: 2 for a surrogate pair, so `?` never splits one. */
function charWidth(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/**
 * True when `i` is the second half of a surrogate pair. A wildcard growing by whole
 * characters steps over such a position, so a failure remembered before it says nothing
 * about it (it is only reached when a literal matched a lone surrogate half).
 */
function midPair(s: string, i: number): boolean {
  if (i <= 0 || i >= s.length) return false;
  const c = s.charCodeAt(i), b = s.charCodeAt(i - 1);
  return c >= 0xdc00 && c <= 0xdfff && b >= 0xd800 && b <= 0xdbff;
}

/** Whether s[from..to) holds a surrogate code unit (or, with `orQ`, a `?`). */
function hasSurrogate(s: string, from: number, to: number, orQ = false): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0xd800 && c <= 0xdfff) || (orQ && c === Q)) return true;
  }
  return false;
}

function hasWildcard(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === Q || c === STAR || c === HASH) return true;
  }
  return false;
}

/** @internal Work counter for tests and fuzz targets: walk steps taken by match() calls. */
export const matchSteps = { count: 0 };

// Scratch arrays reused by calls with short patterns (route tables), so a match does not
// allocate; long patterns get their own, freed when the call returns.
const SCRATCH_MAX = 1024;
let scratch = new Int32Array(0);

/**
 * Matches `str` against a Mongoose glob `pattern`. Returns whether the whole string
 * matches and, when it does, one capture per wildcard in pattern order: `match("/api/v1/x",
 * "/api/*\/#")` is `[true, ["v1", "x"]]`. Each `*` and `#` captures as little as it can (the
 * leftmost-shortest match, as Mongoose does); `?` captures the one character it matched.
 * On no match the captures are `[]`.
 */
export function match(str: string, pattern: string): [boolean, string[]] {
  if (!hasWildcard(pattern)) return str === pattern ? [true, []] : [false, []];
  const P = pattern.length, S = str.length;
  // Per pattern position: failFrom/failTo, the last start at which the wildcard there
  // failed and where it had to stop growing (-1: none yet). Per stack slot: the wildcard's
  // pattern position, its start and its current end.
  let mem: Int32Array;
  if (P <= SCRATCH_MAX) {
    if (scratch.length < 5 * P) scratch = new Int32Array(5 * SCRATCH_MAX);
    mem = scratch;
  } else {
    mem = new Int32Array(5 * P);
  }
  const failFrom = 0, failTo = P, stPi = 2 * P, stFrom = 3 * P, stEnd = 4 * P;
  mem.fill(-1, failFrom, failTo + P);
  let depth = 0, pi = 0, si = 0, plain = -1, slashFrom = -1, slashAt = -1, steps = 0;

  for (;;) {
    // Forward: literals and `?` until a wildcard, the end of the pattern or a mismatch.
    let failed = false;
    steps++;
    while (pi < P) {
      steps++;
      const pc = pattern.charCodeAt(pi);
      if (pc === STAR || pc === HASH) break;
      if (si >= S) { failed = true; break; }
      if (pc === Q) si += charWidth(str, si);
      else if (str.charCodeAt(si) === pc) si++;
      else { failed = true; break; }
      pi++;
    }
    if (!failed) {
      if (pi === P) {
        if (si === S) break;
        failed = true;
      } else {
        // A wildcard, reached at si. Skip it when it already failed from a start that covers si.
        const f = mem[failFrom + pi]!;
        const to = mem[failTo + pi]!;
        if (f >= 0 && si >= f && si <= to && (si === f || !midPair(str, si))) {
          failed = true;
          // Growing the wildcard before this one moves the arrival here one unit per
          // character, so every arrival up to `to` is known to fail too: skip them (for a
          // `#` here, or a `*` with no "/" left, that is all of them). Only when units are
          // characters: no surrogate in the string, or none and no `?` in the segment between.
          if (depth > 0) {
            const top = depth - 1, wp = mem[stPi + top]!;
            if (plain < 0) plain = hasSurrogate(str, 0, S) ? 0 : 1;
            if (plain === 1 || !hasSurrogate(pattern, wp + 1, pi, true)) {
              const end = mem[stEnd + top]!, skip = Math.min(to - si, S - end);
              let e = end;
              if (pattern.charCodeAt(wp) === HASH) e += skip;
              else {
                // The next "/" at or after `end`, remembered for the whole "/"-free run.
                // Walking back within one run, a scan stops where the last one started.
                if (!(end >= slashFrom && end <= slashAt)) {
                  let i = end;
                  while (i < S && str.charCodeAt(i) !== SLASH && i !== slashFrom) i++;
                  if (i !== slashFrom) slashAt = i;
                  slashFrom = end;
                }
                e = Math.min(end + skip, slashAt);
              }
              mem[stEnd + top] = e;
            }
          }
        } else {
          // Try it empty first: the rest of the pattern from the same position.
          mem[stPi + depth] = pi; mem[stFrom + depth] = si; mem[stEnd + depth] = si;
          depth++;
          pi++;
          continue;
        }
      }
    }
    // Backward: the innermost wildcard takes one more character, or, when it cannot,
    // is remembered as failing from its start and the one before it is retried.
    for (;;) {
      if (depth === 0) { matchSteps.count += steps; return [false, []]; }
      const top = depth - 1, wp = mem[stPi + top]!, end = mem[stEnd + top]!;
      if (end < S && (pattern.charCodeAt(wp) === HASH || str.charCodeAt(end) !== SLASH)) {
        const next = end + charWidth(str, end);
        mem[stEnd + top] = next;
        pi = wp + 1; si = next;
        break;
      }
      mem[failFrom + wp] = mem[stFrom + top]!;
      mem[failTo + wp] = end;
      depth--;
    }
  }

  matchSteps.count += steps;
  // Matched: the stack holds every wildcard of the pattern, in order, with its run.
  const caps: string[] = [];
  let k = 0;
  si = 0;
  for (let p = 0; p < P; p++) {
    const pc = pattern.charCodeAt(p);
    if (pc === STAR || pc === HASH) {
      const from = mem[stFrom + k]!, end = mem[stEnd + k]!;
      k++;
      caps.push(str.slice(from, end));
      si = end;
    } else if (pc === Q) {
      const w = charWidth(str, si);
      caps.push(str.slice(si, si + w));
      si += w;
    } else {
      si++;
    }
  }
  return [true, caps];
}
