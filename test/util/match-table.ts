// For test/util/match.test.ts and the match fuzz target (test/fuzz/match.ts).
// The previous implementation, a table over (pattern position, string position), kept as
// a second reference with the exact same semantics (surrogate pairs included).
export function tableReference(str: string, pattern: string): [boolean, string[]] {
  const width = (s: string, i: number): number => {
    const c = s.charCodeAt(i), d = s.charCodeAt(i + 1);
    return c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
  };
  const P = pattern.length, S = str.length, W = S + 1;
  const ok = new Uint8Array((P + 1) * W);
  ok[P * W + S] = 1;
  for (let pi = P - 1; pi >= 0; pi--) {
    const pc = pattern[pi], row = pi * W, next = row + W;
    if (pc === "*" || pc === "#") {
      ok[row + S] = ok[next + S]!;
      for (let si = S - 1; si >= 0; si--) {
        if (ok[next + si]) ok[row + si] = 1;
        else if ((pc === "#" || str[si] !== "/") && ok[row + si + width(str, si)]) ok[row + si] = 1;
      }
    } else {
      for (let si = 0; si < S; si++) {
        if (pc === "?" ? ok[next + si + width(str, si)] : str[si] === pc && ok[next + si + 1]) ok[row + si] = 1;
      }
    }
  }
  if (!ok[0]) return [false, []];
  const caps: string[] = [];
  let si = 0;
  for (let pi = 0; pi < P; pi++) {
    const pc = pattern[pi], next = (pi + 1) * W;
    if (pc === "*" || pc === "#") {
      let end = si;
      while (!ok[next + end]) end += width(str, end);
      caps.push(str.slice(si, end));
      si = end;
    } else if (pc === "?") {
      caps.push(str.slice(si, si + width(str, si)));
      si += width(str, si);
    } else {
      si++;
    }
  }
  return [true, caps];
}
