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
// (A literal lone high surrogate can leave the walk inside a pair; a wildcard reached
// there, inside a run where it already failed, only tries the empty run: its growth is
// covered by the remembered start.) Work is then at most |pattern| x |string| steps, and
// usually near |string|; there is no exponential backtracking on hostile input such as
// "*a*a*a*a*b".
//
// On strings of SEEK_MIN units or more, a wildcard followed by a literal run without `?`
// does not try its ends one by one: it jumps to the next occurrence of the run (indexOf,
// a linear-time search; a run that ends the pattern must end the string), and the last
// wildcard of a pattern takes the rest at once. So literal runs cost one search per
// wildcard start instead of a walk per string position: "*aaaa…ab" against "aaaa…a" is
// one failed search, not |string| x |run| steps. The bound that holds for every input
// stays |pattern| x |string| walk steps (a search replaces steps, never adds a start);
// the hostile shapes of test/util/match.test.ts (runs of one letter against alternations
// of wildcards and long literal runs) stay linear.
//
// Segments with `?` (from a wildcard to the next) are searched the same way when every
// character is one unit: indexOf of the segment's first literal piece, then a startsWith
// per further piece, and the walk jumps over the segment; a run of `?` costs nothing, so
// "*" + "?".repeat(10000) + "b" against 20k units is one search instead of 10^8 steps. A
// string with surrogates is first made one unit per character (a U+FFFF stand-in per
// pair or lone half, captures cut from the original) when the pattern has no surrogate
// of its own; short strings and patterns with surrogate literals keep the walk. On long
// strings the segment after the last wildcard, which must end the string, is checked
// before anything else.
//
// Bounds. Memory: 6 integers per pattern position (a reused scratch array for patterns of
// up to 1024), the pieces of the segments searched (at most |pattern| units in all), and
// on long strings with surrogates a copy and a position map of the string: O(|pattern| +
// |string|), never a table. Time: one search per wildcard start and per candidate end,
// each O(|string|) in the worst case of indexOf and usually much less; the proven bound
// stays |pattern| x |string| steps. What still comes near it: many `*` against many
// short "/"-free runs ("*?".repeat(5000) + "*" against "a/".repeat(10000) explores each
// `*` from each run it can reach: 3.7e7 steps) and segments whose literal pieces occur
// at most positions ("#a?a?…b#" with 50 pieces against 20k "a": every candidate is
// checked piece by piece, 1e6 steps). Both are the limit of backtracking with one
// remembered start per wildcard; going below needs a set-of-states simulation. With a
// fixed pattern (routes, Rpc methods) the work is linear in the string.

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

// Strings at least this long search the literal run after a wildcard with indexOf (a
// linear-time string search) instead of trying every start: "*aaaa…ab" against "aaaa…a"
// costs one search, not |string| x |run| steps. Shorter strings (route tables) skip it
// and allocate nothing.
const SEEK_MIN = 64;
/** @internal For tests and fuzz targets: the string length from which seek() is used (0: always). */
export const matchTuning = { seekMin: SEEK_MIN };
const NO_SEG = "";

// Scratch arrays reused by calls with short patterns (route tables), so a match does not
// allocate; long patterns get their own, freed when the call returns.
const SCRATCH_MAX = 1024;

/** A segment with `?` between a wildcard and the next (see seekQ). */
interface QSeg { len: number; tail: boolean; offs: number[]; texts: string[] }
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
  // A long string with surrogates, against a pattern without any: every character
  // (pair or lone half) becomes one unit (U+FFFF, which no literal of the pattern
  // matches and which is not "/"), so the walk and its searches see one unit per
  // character; the captures are cut from the original at the mapped positions.
  if (str.length >= matchTuning.seekMin && hasSurrogate(str, 0, str.length) && !hasSurrogate(pattern, 0, pattern.length) && pattern.indexOf(ONE_CHAR) < 0) {
    const pos = new Int32Array(str.length + 1);
    const units: string[] = [];
    let n = 0, from = 0;
    for (let i = 0; i < str.length; n++) {
      pos[n] = i;
      const w = charWidth(str, i), c = str.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdfff) { if (i > from) units.push(str.slice(from, i)); units.push(ONE_CHAR); from = i + w; }
      i += w;
    }
    pos[n] = str.length;
    if (from < str.length) units.push(str.slice(from));
    return matchUnits(units.join(""), pattern, str, pos);
  }
  return matchUnits(str, pattern, str, undefined);
}

/** The stand-in for a character made of surrogate code units (see match()). */
const ONE_CHAR = "\uffff";

/**
 * match() on `str`; the captures are cut from `orig` (the same string, or the one `str`
 * was made from, with pos[i] the offset in `orig` of unit i of `str`).
 */
function matchUnits(str: string, pattern: string, orig: string, pos: Int32Array | undefined): [boolean, string[]] {
  const P = pattern.length, S = str.length;
  // Per pattern position: failFrom/failTo, the last start at which the wildcard there
  // failed and where it had to stop growing (-1: none yet). Per stack slot: the wildcard's
  // pattern position, its start and its current end.
  let mem: Int32Array;
  if (P <= SCRATCH_MAX) {
    if (scratch.length < 6 * P) scratch = new Int32Array(6 * SCRATCH_MAX);
    mem = scratch;
  } else {
    mem = new Int32Array(6 * P);
  }
  const failFrom = 0, failTo = P, stPi = 2 * P, stFrom = 3 * P, stEnd = 4 * P, stFixed = 5 * P;
  mem.fill(-1, failFrom, failTo + P);
  let depth = 0, pi = 0, si = 0, plain = -1, slashFrom = -1, slashAt = -1, steps = 0;
  // Per wildcard (by pattern position): the literal run that follows it (up to the next
  // wildcard or the end) when it has no `?` and does not start inside a surrogate pair,
  // else NO_SEG; made on first use. segTail: the run ends the pattern (it must end the string).
  const segs: string[] | undefined = S >= matchTuning.seekMin ? [] : undefined;
  let segTail = false;
  let jump = 0; // set by seek(): units (= pattern positions) of a segment seekQ checked
  let nsFrom = -1, nsAt = -1; // the next "/" at or after nsFrom is at nsAt (S: none)
  const nextSlash = (from: number): number => {
    if (from >= nsFrom && from <= nsAt) return nsAt;
    const k = str.indexOf("/", from);
    nsFrom = from; nsAt = k < 0 ? S : k;
    return nsAt;
  };
  const segAfter = (wp: number): string => {
    let seg = segs![wp];
    if (seg === undefined) {
      let e = wp + 1;
      while (e < P) { const pc = pattern.charCodeAt(e); if (pc === STAR || pc === HASH || pc === Q) break; e++; }
      const pc = e < P ? pattern.charCodeAt(e) : -1;
      const first = pattern.charCodeAt(wp + 1);
      seg = e > wp + 1 && pc !== Q && !(first >= 0xdc00 && first <= 0xdfff) ? pattern.slice(wp + 1, e) : NO_SEG;
      segs![wp] = seg;
    }
    segTail = wp + 1 + seg.length === P;
    return seg;
  };
  // Segments with `?` (strings without surrogates only, where a `?` is one unit): per
  // wildcard, the segment up to the next wildcard cut into its literal pieces
  // (unit offset, text) and its length; made on first use.
  const qsegs: (QSeg | null)[] | undefined = segs === undefined ? undefined : [];
  const qsegAfter = (wp: number): QSeg | null => {
    let q = qsegs![wp];
    if (q === undefined) {
      q = null;
      let e = wp + 1, hasQ = false;
      while (e < P) { const pc = pattern.charCodeAt(e); if (pc === STAR || pc === HASH) break; if (pc === Q) hasQ = true; e++; }
      if (hasQ) {
        if (plain < 0) plain = hasSurrogate(str, 0, S) ? 0 : 1;
        if (plain === 1) {
          const offs: number[] = [], texts: string[] = [];
          let k = wp + 1;
          while (k < e) {
            if (pattern.charCodeAt(k) === Q) { k++; continue; }
            const b = k;
            while (k < e && pattern.charCodeAt(k) !== Q) k++;
            offs.push(b - wp - 1); texts.push(pattern.slice(b, k));
          }
          q = { len: e - wp - 1, tail: e === P, offs, texts };
        }
      }
      qsegs![wp] = q;
    }
    return q;
  };
  // The first end >= from at which the wildcard at wp can stop (its segment occurs
  // there), or -1 when there is none within its reach. Ends skipped cannot match.
  const seek = (wp: number, from: number): number => {
    jump = 0;
    // The last wildcard takes the rest of the string (a `*` only when no "/" is left).
    if (wp === P - 1) return pattern.charCodeAt(wp) === HASH || nextSlash(from) === S ? S : -1;
    const q = qsegAfter(wp);
    if (q !== null) return seekQ(wp, from, q);
    const seg = segAfter(wp);
    if (seg === NO_SEG) return from;
    steps++;
    let j: number;
    if (segTail) { j = S - seg.length; if (j < from || !str.endsWith(seg)) return -1; }
    else { j = str.indexOf(seg, from); if (j < 0) return -1; }
    if (pattern.charCodeAt(wp) === STAR && nextSlash(from) < j) return -1;
    return j;
  };
  // seek() for a segment with `?` in a string of one unit per character: the segment
  // is a fixed-length run with don't-cares. Candidates come from indexOf of its first
  // literal piece; each is checked piece by piece (startsWith), never unit by unit, so
  // a run of `?` costs nothing and "*" + "?".repeat(n) + "b" is one search.
  const seekQ = (wp: number, from: number, q: QSeg): number => {
    const limit = pattern.charCodeAt(wp) === HASH ? S : nextSlash(from);
    const n = q.texts.length;
    steps++;
    if (q.tail) {
      // The segment ends the pattern: it must end the string.
      const j = S - q.len;
      if (j < from || j > limit) return -1;
      for (let k = 0; k < n; k++) { steps++; if (!str.startsWith(q.texts[k]!, j + q.offs[k]!)) return -1; }
      jump = q.len;
      return j;
    }
    if (n === 0) { if (from + q.len > S) return -1; jump = q.len; return from; }
    const o0 = q.offs[0]!, t0 = q.texts[0]!;
    let j = from;
    for (;;) {
      const t = str.indexOf(t0, j + o0);
      steps++;
      if (t < 0) return -1;
      j = t - o0;
      if (j > limit || j + q.len > S) return -1;
      let k = 1;
      while (k < n && str.startsWith(q.texts[k]!, j + q.offs[k]!)) { k++; steps++; }
      if (k === n) { jump = q.len; return j; }
      j++;
    }
  };
  // The wildcard at stack slot `top` stops where it can no longer grow.
  const giveUp = (top: number): void => {
    const wp = mem[stPi + top]!, from = mem[stEnd + top]!;
    mem[stEnd + top] = pattern.charCodeAt(wp) === HASH ? S : nextSlash(from);
  };

  // On long strings, the segment after the last wildcard must end the string: checked
  // first, so a pattern whose end cannot match fails at once, whatever is before it.
  if (segs !== undefined) {
    let lw = P - 1;
    while (lw >= 0 && pattern.charCodeAt(lw) !== STAR && pattern.charCodeAt(lw) !== HASH) lw--;
    if (lw >= 0 && lw < P - 1) {
      const q = qsegAfter(lw);
      let ok = true;
      if (q !== null) {
        const j = S - q.len;
        for (let k = 0; ok && k < q.texts.length; k++) ok = j >= 0 && str.startsWith(q.texts[k]!, j + q.offs[k]!);
        if (j < 0) ok = false;
      } else {
        const seg = segAfter(lw);
        if (seg !== NO_SEG && segTail) ok = str.endsWith(seg);
      }
      if (!ok) { matchSteps.count += steps + 1; return [false, []]; }
    }
  }

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
          // Arriving inside a surrogate pair (after a literal lone high half) where the
          // wildcard already failed from an earlier start of this run: growing from here
          // reaches only character boundaries that start covered, so only the empty run
          // is new. Try just that (fixed), or every mid-pair arrival would explore anew.
          const fixed = f >= 0 && si > f && si <= to ? 1 : 0;
          // Try it empty first: the rest of the pattern from the same position (or from
          // where its literal run first occurs).
          mem[stPi + depth] = pi; mem[stFrom + depth] = si; mem[stEnd + depth] = si; mem[stFixed + depth] = fixed;
          depth++;
          jump = 0;
          const j = segs === undefined || fixed === 1 ? si : seek(pi, si);
          if (j >= 0) {
            mem[stEnd + depth - 1] = j;
            // A segment with `?` that seekQ checked is not walked again.
            pi += 1 + jump; si = j + jump;
            continue;
          }
          giveUp(depth - 1);
          failed = true;
        }
      }
    }
    // Backward: the innermost wildcard takes one more character, or, when it cannot,
    // is remembered as failing from its start and the one before it is retried.
    for (;;) {
      if (depth === 0) { matchSteps.count += steps; return [false, []]; }
      const top = depth - 1, wp = mem[stPi + top]!, end = mem[stEnd + top]!;
      const fixed = mem[stFixed + top] === 1;
      if (!fixed && end < S && (pattern.charCodeAt(wp) === HASH || str.charCodeAt(end) !== SLASH)) {
        const next = end + charWidth(str, end);
        jump = 0;
        const j = segs === undefined ? next : seek(wp, next);
        if (j >= 0) {
          mem[stEnd + top] = j;
          pi = wp + 1 + jump; si = j + jump;
          break;
        }
        mem[stEnd + top] = next;
        giveUp(top);
        continue;
      }
      // (A fixed try leaves the remembered start as it was: that one covers more.)
      if (!fixed) { mem[failFrom + wp] = mem[stFrom + top]!; mem[failTo + wp] = end; }
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
      caps.push(pos === undefined ? str.slice(from, end) : orig.slice(pos[from], pos[end]));
      si = end;
    } else if (pc === Q) {
      const w = charWidth(str, si);
      caps.push(pos === undefined ? str.slice(si, si + w) : orig.slice(pos[si], pos[si + w]));
      si += w;
    } else {
      si++;
    }
  }
  return [true, caps];
}
