import { test } from "node:test";
import assert from "node:assert/strict";
import { match } from "../../src/index.js";
import { leakCheckAfterAll } from "../helpers.js";

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

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
