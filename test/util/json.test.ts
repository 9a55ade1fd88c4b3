import { test } from "node:test";
import assert from "node:assert/strict";
import { jsonGet, jsonGetNum, jsonGetBool, jsonGetLong, jsonGetBigInt, jsonGetStr } from "../../src/index.js";
import { leakCheckAfterAll } from "../helpers.js";

const doc = `{
  "user": {"name": "Alice", "age": 30, "active": true, "admin": false, "nick": null},
  "items": [1, 2.5, {"id": "x"}, [10, 20]],
  "a.b": {"c[0]": 7},
  "esc": "line\\nbreak \\"quoted\\" \\u00e9\\ud83d\\ude00 \\/",
  "big": 12345678901234567890,
  "neg": -42.9,
  "exp": 1.5e3
}`;

test("jsonGet returns the raw JSON text of the value at a path", () => {
  assert.equal(jsonGet(doc, "$.user.name"), '"Alice"');
  assert.equal(jsonGet(doc, "$.user.age"), "30");
  assert.equal(jsonGet(doc, "$.user.nick"), "null");
  assert.equal(jsonGet(doc, "$.user"), '{"name": "Alice", "age": 30, "active": true, "admin": false, "nick": null}');
  assert.equal(jsonGet(doc, "$.items[0]"), "1");
  assert.equal(jsonGet(doc, "$.items[2].id"), '"x"');
  assert.equal(jsonGet(doc, "$.items[3][1]"), "20");
  assert.equal(jsonGet(doc, "$.big"), "12345678901234567890", "digits kept exactly");
  assert.equal(jsonGet(doc, "$"), doc.trim());
  assert.equal(jsonGet(' [1, "two"] ', "$[1]"), '"two"');
  assert.equal(jsonGet("42", "$"), "42");
});

test("bracket-quoted member names reach names with dots and brackets", () => {
  assert.equal(jsonGet(doc, '$["a.b"]["c[0]"]'), "7");
  assert.equal(jsonGet(doc, "$['a.b']"), '{"c[0]": 7}');
});

test("missing paths and wrong container types give undefined", () => {
  assert.equal(jsonGet(doc, "$.nope"), undefined);
  assert.equal(jsonGet(doc, "$.items[4]"), undefined);
  assert.equal(jsonGet(doc, "$.user[0]"), undefined, "index into an object");
  assert.equal(jsonGet(doc, "$.items.x"), undefined, "name in an array");
  assert.equal(jsonGet(doc, "$.user.name.first"), undefined, "into a string");
  assert.equal(jsonGet("{}", "$.a"), undefined);
  assert.equal(jsonGet("[]", "$[0]"), undefined);
});

test("bad paths give undefined", () => {
  for (const p of ["", "user", "$.", "$..user", "$[", "$[x]", "$[-1]", "$[1", "$user", "$.user.", '$["a.b"', "$[99999999999999999999]"]) {
    assert.equal(jsonGet(doc, p), undefined, p);
  }
});

test("member names are compared decoded; the first duplicate wins", () => {
  assert.equal(jsonGet('{"caf\\u00e9": 1}', "$.café"), "1");
  assert.equal(jsonGet('{"a": 1, "a": 2}', "$.a"), "1");
});

test("bytes are read as UTF-8; a byte-order mark is ignored", () => {
  const bytes = Buffer.from('{"name": "Zoë", "n": [3]}');
  assert.equal(jsonGetStr(bytes, "$.name"), "Zoë");
  assert.equal(jsonGetNum(new Uint8Array(bytes), "$.n[0]"), 3);
  assert.equal(jsonGetNum("\ufeff{\"a\": 1}", "$.a"), 1);
  // A view into a larger buffer reads only its own bytes.
  const big = Buffer.from('xx{"a": 5}yy');
  assert.equal(jsonGetNum(big.subarray(2, 10), "$.a"), 5);
});

test("malformed JSON gives undefined, never an exception", () => {
  const bad = [
    "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[1 2]", "01", "1.", ".5", "-", "1e", "+1",
    "\"abc", "\"a\\x\"", "\"\\u12\"", "\"tab\there\"", "tru", "nul", "[true false]", "{\"a\":1}}", "{\"a\":1} x",
    "[" .repeat(5000) + "]".repeat(5000), "NaN", "Infinity", "'single'", "[1,,2]", "\u0000",
  ];
  for (const b of bad) {
    assert.equal(jsonGet(b, "$"), undefined, JSON.stringify(b.slice(0, 30)));
    assert.equal(jsonGetNum(b, "$.a"), undefined);
    assert.equal(jsonGetStr(b, "$[0]"), undefined);
  }
  // Reasonable nesting is fine.
  assert.equal(jsonGet("[".repeat(500) + "1" + "]".repeat(500), "$" + "[0]".repeat(500)), "1");
  // Non-JSON arguments are tolerated too.
  assert.equal(jsonGet(undefined as unknown as string, "$"), undefined);
});

test("the scanner agrees with JSON.parse on what is valid", () => {
  const samples = ["{}", "[]", "0", "-0", "1e5", "1E+5", "1e-5", "0.5", "\"\"", "\"\\\\\"", "\"\\/\"", "[null]",
    "{\"\":1}", "1.0e", "00", "-01", "[1,2,]", "\"\u007f\"", "\"\u2028\"", " \t\r\n1\n", "[\"\\uD800\"]"];
  for (const s of samples) {
    let valid = true;
    try { JSON.parse(s); } catch { valid = false; }
    assert.equal(jsonGet(s, "$") !== undefined, valid, JSON.stringify(s));
  }
});

test("jsonGetNum reads numbers only", () => {
  assert.equal(jsonGetNum(doc, "$.user.age"), 30);
  assert.equal(jsonGetNum(doc, "$.items[1]"), 2.5);
  assert.equal(jsonGetNum(doc, "$.neg"), -42.9);
  assert.equal(jsonGetNum(doc, "$.exp"), 1500);
  assert.equal(jsonGetNum(doc, "$.user.name"), undefined);
  assert.equal(jsonGetNum('{"n": "5"}', "$.n"), undefined, "a string is not a number");
  assert.equal(jsonGetNum(doc, "$.missing", 7), 7);
  assert.equal(jsonGetNum(doc, "$.user.age", 7), 30);
});

test("jsonGetBool reads true and false only", () => {
  assert.equal(jsonGetBool(doc, "$.user.active"), true);
  assert.equal(jsonGetBool(doc, "$.user.admin"), false);
  assert.equal(jsonGetBool(doc, "$.user.nick"), undefined);
  assert.equal(jsonGetBool(doc, "$.user.age"), undefined);
  assert.equal(jsonGetBool(doc, "$.missing", true), true);
  assert.equal(jsonGetBool(doc, "$.user.admin", true), false);
});

test("jsonGetLong truncates toward zero and refuses integers it cannot hold exactly", () => {
  assert.equal(jsonGetLong(doc, "$.user.age"), 30);
  assert.equal(jsonGetLong(doc, "$.neg"), -42);
  assert.equal(jsonGetLong(doc, "$.items[1]"), 2);
  assert.equal(jsonGetLong(doc, "$.exp"), 1500);
  assert.equal(jsonGetLong("[9007199254740991]", "$[0]"), Number.MAX_SAFE_INTEGER);
  assert.equal(jsonGetLong("[9007199254740993]", "$[0]"), undefined);
  assert.equal(jsonGetLong(doc, "$.big"), undefined);
  assert.equal(jsonGetLong(doc, "$.big", -1), -1);
  assert.ok(Object.is(jsonGetLong("[-0.5]", "$[0]"), 0), "no negative zero");
  assert.equal(jsonGetLong(doc, "$.user.name", 0), 0);
});

test("jsonGetBigInt reads integers exactly", () => {
  assert.equal(jsonGetBigInt(doc, "$.big"), 12345678901234567890n);
  assert.equal(jsonGetBigInt("[-9007199254740993]", "$[0]"), -9007199254740993n);
  assert.equal(jsonGetBigInt(doc, "$.neg"), undefined);
  assert.equal(jsonGetBigInt(doc, "$.user.name"), undefined);
});

test("jsonGetStr decodes escapes and reads strings only", () => {
  assert.equal(jsonGetStr(doc, "$.user.name"), "Alice");
  assert.equal(jsonGetStr(doc, "$.esc"), 'line\nbreak "quoted" é😀 /');
  assert.equal(jsonGetStr(doc, "$.user.age"), undefined);
  assert.equal(jsonGetStr(doc, "$.user.nick"), undefined);
  assert.equal(jsonGetStr(doc, "$.missing", "dflt"), "dflt");
  assert.equal(jsonGetStr('{"s": ""}', "$.s"), "");
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
