// Mongoose's glob patterns (mg_match): `?` matches any one character, `*` any run of
// characters except "/", `#` any run of characters including "/". Everything else matches
// itself, case-sensitively, and the pattern must consume the whole string.
//
// Matching is a dynamic programme over (pattern position, string position), so it is
// linear in |pattern| x |string| for any pattern: no exponential backtracking on
// hostile input such as "*a*a*a*a*b".

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

function hasWildcard(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === Q || c === STAR || c === HASH) return true;
  }
  return false;
}

/**
 * Matches `str` against a Mongoose glob `pattern`. Returns whether the whole string
 * matches and, when it does, one capture per wildcard in pattern order: `match("/api/v1/x",
 * "/api/*\/#")` is `[true, ["v1", "x"]]`. Each `*` and `#` captures as little as it can (the
 * leftmost-shortest match, as Mongoose does); `?` captures the one character it matched.
 * On no match the captures are `[]`.
 */
export function match(str: string, pattern: string): [boolean, string[]] {
  if (!hasWildcard(pattern)) return str === pattern ? [true, []] : [false, []];
  const P = pattern.length, S = str.length, W = S + 1;
  // ok[pi * W + si] = 1 when pattern[pi..] matches str[si..].
  const ok = new Uint8Array((P + 1) * W);
  ok[P * W + S] = 1;
  for (let pi = P - 1; pi >= 0; pi--) {
    const pc = pattern.charCodeAt(pi), row = pi * W, next = row + W;
    if (pc === STAR || pc === HASH) {
      // Walk from the end so ok[row + si + w] is known when computing ok[row + si].
      ok[row + S] = ok[next + S]!;
      for (let si = S - 1; si >= 0; si--) {
        if (ok[next + si]) { ok[row + si] = 1; continue; }
        if (pc === STAR && str.charCodeAt(si) === SLASH) continue;
        // The wildcard takes one more character (both halves of a surrogate pair).
        if (ok[row + si + charWidth(str, si)]) ok[row + si] = 1;
      }
    } else if (pc === Q) {
      for (let si = 0; si < S; si++) {
        const w = charWidth(str, si);
        if (ok[next + si + w]) ok[row + si] = 1;
      }
    } else {
      for (let si = 0; si < S; si++) {
        if (str.charCodeAt(si) === pc && ok[next + si + 1]) ok[row + si] = 1;
      }
    }
  }
  if (!ok[0]) return [false, []];
  // Walk forward along a successful path, taking the shortest run for each wildcard.
  const caps: string[] = [];
  let si = 0;
  for (let pi = 0; pi < P; pi++) {
    const pc = pattern.charCodeAt(pi), next = (pi + 1) * W;
    if (pc === STAR || pc === HASH) {
      let end = si;
      while (!ok[next + end]) end += charWidth(str, end);
      caps.push(str.slice(si, end));
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
