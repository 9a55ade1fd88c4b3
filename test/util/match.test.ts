import { test } from "node:test";
import assert from "node:assert/strict";
import { match } from "../../src/index.js";
import { leakCheckAfterAll } from "../helpers.js";
import { tableReference } from "./match-table.js";
import { matchSteps } from "../../src/util/match.js";

test("literal patterns match only the same string", () => {
  assert.deepEqual(match("/api/users", "/api/users"), [true, []]);
  assert.deepEqual(match("/api/users", "/api/user"), [false, []]);
  assert.deepEqual(match("/api/user", "/api/users"), [false, []]);
  assert.deepEqual(match("", ""), [true, []]);
  assert.deepEqual(match("a", ""), [false, []]);
  assert.deepEqual(match("/API", "/api"), [false, []], "case-sensitive");
});

test("? matches exactly one character, including /", () => {
  assert.deepEqual(match("abc", "a?c"), [true, ["b"]]);
  assert.deepEqual(match("a/c", "a?c"), [true, ["/"]]);
  assert.deepEqual(match("ac", "a?c"), [false, []]);
  assert.deepEqual(match("abbc", "a?c"), [false, []]);
  assert.deepEqual(match("", "?"), [false, []]);
  assert.deepEqual(match("xy", "??"), [true, ["x", "y"]]);
});

test("? never splits a surrogate pair", () => {
  assert.deepEqual(match("x😀y", "x?y"), [true, ["😀"]]);
  assert.deepEqual(match("😀", "?"), [true, ["😀"]]);
  assert.deepEqual(match("😀", "??"), [false, []]);
});

test("* matches any run without /", () => {
  assert.deepEqual(match("/foo/bar", "/foo/*"), [true, ["bar"]]);
  assert.deepEqual(match("/foo/", "/foo/*"), [true, [""]]);
  assert.deepEqual(match("/foo", "/foo/*"), [false, []]);
  assert.deepEqual(match("/foo/bar/baz", "/foo/*"), [false, []]);
  assert.deepEqual(match("/a/b", "/*"), [false, []]);
  assert.deepEqual(match("", "*"), [true, [""]]);
  assert.deepEqual(match("/users/42/posts", "/users/*/posts"), [true, ["42"]]);
});

test("# matches any run including /", () => {
  assert.deepEqual(match("/api/v1/users/42", "/api/#"), [true, ["v1/users/42"]]);
  assert.deepEqual(match("/api/", "/api/#"), [true, [""]]);
  assert.deepEqual(match("/a/b", "#"), [true, ["/a/b"]]);
  assert.deepEqual(match("", "#"), [true, [""]]);
  assert.deepEqual(match("/static/css/site.css", "/static/#.css"), [true, ["css/site"]]);
  assert.deepEqual(match("/static/css/site.js", "/static/#.css"), [false, []]);
});

test("one capture per wildcard, in pattern order, each as short as possible", () => {
  assert.deepEqual(match("/api/v1/x/y", "/api/*/#"), [true, ["v1", "x/y"]]);
  assert.deepEqual(match("aXbXc", "*X*"), [true, ["a", "bXc"]]);
  assert.deepEqual(match("a/b/c", "#/#"), [true, ["a", "b/c"]]);
  assert.deepEqual(match("k=v", "*=?"), [true, ["k", "v"]]);
  assert.deepEqual(match("abc", "***"), [true, ["", "", "abc"]]);
  assert.deepEqual(match("hello.tar.gz", "*.*"), [true, ["hello", "tar.gz"]]);
});

test("a wildcard may need to give back characters (backtracking)", () => {
  assert.deepEqual(match("aaab", "*ab"), [true, ["aa"]]);
  assert.deepEqual(match("ab/ab/ab", "#ab"), [true, ["ab/ab/"]]);
  assert.deepEqual(match("xayaz", "*a*a*"), [true, ["x", "y", "z"]]);
  assert.deepEqual(match("x/ay/az", "#a*"), [true, ["x/ay/", "z"]]);
  assert.deepEqual(match("x/ay/az", "*a#"), [false, []], "* cannot cross the first /");
});

test("hostile patterns finish (no exponential backtracking)", () => {
  const s = "a".repeat(3000);
  assert.deepEqual(match(s, "*a".repeat(40) + "b"), [false, []]);
  assert.deepEqual(match(s, "#a".repeat(40) + "#"), [true, [...Array(40).fill(""), "a".repeat(2960)]]);
  assert.equal(match(s + "b", "*a".repeat(40) + "b")[0], true);
});

test("tricky patterns: a * that cannot take a / makes an earlier wildcard grow", () => {
  // [string, pattern, expected]: each row also checked against the table reference below.
  const rows: [string, string, [boolean, string[]]][] = [
    ["x/b", "*?*b", [true, ["x", "/", ""]]], // Mongoose's last-star backtracking says no
    ["a/b", "*?*", [true, ["a", "/", "b"]]],
    ["ab/cd", "*?*d", [true, ["ab", "/", "c"]]],
    ["a/b/c", "*?*?*", [true, ["a", "/", "b", "/", "c"]]],
    ["a/b/c", "*?*", [false, []]],
    ["a/b/c", "#?*", [true, ["a/b", "/", "c"]]],
    ["a/bc/d", "*/*c/#", [true, ["a", "b", "d"]]],
    ["ab/ab/ab", "*b/#b", [true, ["a", "ab/a"]]],
    ["aaa/aab", "#a*b", [true, ["aaa/", "a"]]],
    ["a/a/a/a/b", "#/*b", [true, ["a/a/a/a", ""]]],
    ["a/a/a/a/c", "#/*b", [false, []]],
    ["xx/yy", "*?", [false, []]],
    ["xx/y", "*/?", [true, ["xx", "y"]]],
    ["", "*#?", [false, []]],
    ["/", "*#", [true, ["", "/"]]],
    ["/", "#*", [true, ["/", ""]]],
    ["ab", "##", [true, ["", "ab"]]],
    ["a/", "*?*", [true, ["a", "/", ""]]],
    ["😀/😀", "*?*", [true, ["😀", "/", "😀"]]],
    ["😀😀", "#?", [true, ["😀", "😀"]]],
    ["a😀", "*\ude00", [false, []]], // a wildcard grows by whole characters, never to mid-pair
    ["a😀", "a\ud83d#", [true, ["\ude00"]]], // a literal lone half leaves the walk mid-pair
    ["😀😀", "#\ud83d?", [true, ["😀", "\ude00"]]],
    ["\ud83d\ude00", "\ud83d#", [true, ["\ude00"]]],
    ["\ud83d\ude00", "\ud83d?", [true, ["\ude00"]]],
  ];
  for (const [str, pattern, want] of rows) {
    const label = `match(${JSON.stringify(str)}, ${JSON.stringify(pattern)})`;
    assert.deepEqual(match(str, pattern), want, label);
    assert.deepEqual(tableReference(str, pattern), want, `${label} (reference)`);
  }
});

test("a 20k x 20k call allocates little (no pattern x string table)", () => {
  const a = "a".repeat(20_000);
  const cases: [string, string, boolean][] = [
    [a, "#a".repeat(9_999) + "#b", false],
    [a, "*a".repeat(9_999) + "*b", false],
    [a, "*a".repeat(9_999) + "*", true],
    ["a/".repeat(10_000), "*/".repeat(9_999) + "*b", false],
    ["ab/".repeat(6_666) + "ab", "#?*".repeat(6_666) + "ab", true],
  ];
  // The peak resident size cannot shrink, so this sees any table even after it is freed;
  // the old (pattern+1) x (string+1) table was 400 MB here.
  const before = process.resourceUsage().maxRSS; // KiB
  let heap = 0;
  for (const [str, pattern, want] of cases) {
    const h0 = process.memoryUsage();
    const [ok, caps] = match(str, pattern);
    const h1 = process.memoryUsage();
    heap = Math.max(heap, h1.heapUsed + h1.arrayBuffers - h0.heapUsed - h0.arrayBuffers);
    assert.equal(ok, want, pattern.slice(0, 12));
    if (ok) assert.equal(caps.length, [...pattern].filter((c) => c === "*" || c === "#" || c === "?").length);
  }
  const grew = (process.resourceUsage().maxRSS - before) * 1024;
  assert.ok(grew < 32 * 2 ** 20, `peak RSS grew by ${grew} bytes`);
  // The captures themselves (up to 20k short strings) are most of what is left on the heap.
  assert.ok(heap < 8 * 2 ** 20, `heap and array buffers grew by ${heap} bytes`);
});

test("agrees with the table reference on many random cases, surrogate halves included", () => {
  let seed = 777;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const strChars = ["a", "a", "b", "/", "😀", "\ud83d", "\ude00"];
  const patChars = ["a", "b", "/", "?", "*", "#", "*", "\ud83d", "\ude00"];
  for (let k = 0; k < 20_000; k++) {
    const odd = k % 4 === 0;
    let str = "", pattern = "";
    for (let n = rnd(k % 5 === 0 ? 40 : 12); n > 0; n--) str += strChars[rnd(odd ? 7 : 4)];
    for (let n = rnd(k % 5 === 0 ? 16 : 8); n > 0; n--) pattern += patChars[rnd(odd ? 9 : 7)];
    assert.deepEqual(match(str, pattern), tableReference(str, pattern), `match(${JSON.stringify(str)}, ${JSON.stringify(pattern)})`);
  }
});

// A reference implementation with the same semantics, built on a lazy regular expression,
// to compare against on many small random cases.
function reference(str: string, pattern: string): [boolean, string[]] {
  let re = "^";
  for (const ch of pattern) {
    if (ch === "?") re += "(.)";
    else if (ch === "*") re += "([^/]*?)";
    else if (ch === "#") re += "(.*?)";
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  const m = new RegExp(re + "$", "su").exec(str);
  return m ? [true, m.slice(1)] : [false, []];
}

test("agrees with a regular-expression reference on random cases", () => {
  let seed = 12345;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const pick = (alphabet: string, max: number): string => {
    let s = "";
    for (let n = rnd(max + 1); n > 0; n--) s += alphabet[rnd(alphabet.length)];
    return s;
  };
  for (let k = 0; k < 5000; k++) {
    const str = pick("ab/", 8);
    const pattern = pick("ab/?*#", 6);
    assert.deepEqual(match(str, pattern), reference(str, pattern), `match(${JSON.stringify(str)}, ${JSON.stringify(pattern)})`);
  }
});

test("hostile patterns: results as the reference says, work bounded by the walk's step count", () => {
  const a = (n: number): string => "a".repeat(n);
  // [string, pattern, matches, at most this many walk steps]: the literal run after a
  // wildcard is searched once (indexOf) on long strings, instead of being walked from
  // every start; `?` inside a run keeps the walk (|pattern| x |string| at worst).
  const rows: [string, string, boolean, number][] = [
    [a(5000), "*" + a(2500) + "b", false, 10],
    [a(5000), "#" + a(2500) + "b", false, 10],
    [a(5000), "*" + a(2500) + "b*", false, 10],
    [a(5000) + "b", "#" + a(2500) + "b", true, 2600],
    [a(5000) + "b", "*" + a(2500) + "b#", true, 2600],
    [a(5000), "a*".repeat(1000) + "b", false, 12000],
    [a(5000), "a#".repeat(1000) + "b", false, 12000],
    [a(5000), "*a".repeat(1000) + "*b", false, 12000],
    [a(5000), ("#" + a(40)).repeat(50) + "#c", false, 12000],
    [a(5000), ("*" + a(40)).repeat(50) + "*", true, 12000],
    ["a/".repeat(2500), "*a*a*a*a*b", false, 100],
    ["a/".repeat(2500), "#a/#a/#b", false, 100],
    [a(3000) + "/" + a(3000), "*" + a(100) + "/" + a(100) + "*", true, 500],
    [a(3000) + "/" + a(3000), "*" + a(100) + "/" + a(100) + "x*", false, 100],
    ["ab".repeat(3000), "#" + "ab".repeat(1000) + "c#", false, 10],
    ["😀".repeat(100) + "b", "#" + "😀".repeat(50) + "b", true, 200],
  ];
  for (const [str, pattern, ok, maxSteps] of rows) {
    const label = `match(<${str.length} chars>, <${pattern.slice(0, 24)}… ${pattern.length} chars>)`;
    const before = matchSteps.count;
    const got = match(str, pattern);
    const steps = matchSteps.count - before;
    assert.equal(got[0], ok, label);
    assert.ok(steps <= maxSteps, `${label}: ${steps} steps (at most ${maxSteps} expected)`);
    if (str.length * pattern.length <= 4_000_000) assert.deepEqual(got, tableReference(str, pattern), `${label} (reference)`);
  }
});

test("runs of ? and many wildcards on long strings: results as the reference says, work bounded", () => {
  const a = (n: number): string => "a".repeat(n);
  const q = (n: number): string => "?".repeat(n);
  // [string, pattern, matches, at most this many walk steps]. On a string without
  // surrogates a segment with `?` is searched (indexOf of its first literal piece, then
  // piece by piece), not walked from every start: a run of `?` costs nothing.
  const rows: [string, string, boolean, number][] = [
    [a(20_000), "*" + q(10_000) + "b", false, 10],
    [a(20_000), "#" + q(10_000) + "b", false, 10],
    [a(20_000), "*" + q(10_000) + "b*", false, 10],
    [a(20_000), "#" + q(10_000) + "b#", false, 10],
    [a(20_000), ("#" + q(10)).repeat(100) + "b#", false, 2_000],
    [a(20_000), "*?".repeat(5_000) + "b*", false, 50_000],
    [a(20_000), "#?".repeat(5_000) + "b#", false, 50_000],
    [a(20_000) + "😀", "*?".repeat(5_000) + "b*", false, 50_000],
    // Every candidate checked piece by piece: |string| x pieces, not |string| x |pattern|.
    [a(20_000), "#" + "a?".repeat(50) + "b#", false, 1_100_000],
    [a(20_000) + "b", "#" + q(10_000) + "b", true, 20],
    [a(20_000), q(100) + "*" + q(100) + "b", false, 200],
    [a(20_000), "*" + "a?".repeat(50) + "b", false, 100],
    [a(20_000), "#" + "a?".repeat(50) + "b", false, 100],
    [a(19_999) + "b", "#" + "a?".repeat(50) + "b", true, 20_000],
    [a(20_000), "*a?".repeat(50) + "b", false, 2_000],
    [a(20_000), ("*" + q(10)).repeat(100) + "b", false, 5_000],
    [a(20_000), ("#" + q(10)).repeat(100) + "b", false, 5_000],
    [a(20_000), ("#" + q(10)).repeat(100) + "#", true, 5_000],
    [a(20_000), "*?".repeat(5_000) + "b", false, 50_000],
    [a(20_000), "#?".repeat(5_000) + "b", false, 50_000],
    [a(20_000), "#?".repeat(10_000) + "#", true, 50_000],
    [a(20_000), "*?".repeat(10_000) + "*", true, 50_000],
    ["ab".repeat(10_000), ("*" + "a?").repeat(5_000) + "*", true, 100_000],
    ["a/".repeat(10_000), "#?".repeat(5_000) + "b", false, 50_000],
    ["a/".repeat(10_000), "#" + q(5_000) + "/#", true, 20_000],
    // Surrogates in the string (pairs and lone halves), none in the pattern: one unit per character.
    [a(20_000) + "😀", "*" + q(100) + "b", false, 10],
    [a(20_000) + "😀", "*?".repeat(5_000) + "b", false, 50_000],
    ["😀".repeat(10_000), "#" + q(5_000) + "#", true, 20_000],
    ["😀a\ud83d".repeat(5_000), "#" + "?a?".repeat(1_000) + "b", false, 100],
  ];
  for (const [str, pattern, ok, maxSteps] of rows) {
    const label = `match(<${str.length} chars>, <${pattern.slice(0, 24)}… ${pattern.length} chars>)`;
    const before = matchSteps.count;
    const got = match(str, pattern);
    const steps = matchSteps.count - before;
    assert.equal(got[0], ok, label);
    assert.ok(steps <= maxSteps, `${label}: ${steps} steps (at most ${maxSteps} expected)`);
    if (ok) assert.equal(got[1].length, [...pattern].filter((c) => c === "*" || c === "#" || c === "?").length, `${label}: one capture per wildcard`);
    if (str.length * pattern.length <= 4_000_000) assert.deepEqual(got, tableReference(str, pattern), `${label} (reference)`);
  }
  // The same shapes small enough for the table reference, captures included.
  for (const n of [63, 64, 65, 200]) {
    for (const p of ["*" + q(20) + "b", "#" + q(20) + "a", "*a?a?*", "#?a#?", "?*??*?", "*" + q(n - 1), "#" + q(n) + "#", "*a?b?*"]) {
      for (const str of [a(n), a(n) + "b", "ab".repeat(n / 2 | 0), "a/".repeat(n / 2 | 0) + "b", "😀a/\ude00".repeat(n / 4 | 0) + "b", "a\ud83d😀".repeat(n / 4 | 0)]) {
        assert.deepEqual(match(str, p), tableReference(str, p), `match(<${str.slice(0, 8)}… ${str.length}>, ${JSON.stringify(p)})`);
      }
    }
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
