import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomStr } from "../../src/index.js";
import { leakCheckAfterAll } from "../helpers.js";

test("randomBytes gives n bytes that differ between calls", () => {
  assert.equal(randomBytes(0).length, 0);
  const a = randomBytes(32), b = randomBytes(32);
  assert.ok(Buffer.isBuffer(a));
  assert.equal(a.length, 32);
  assert.notDeepEqual(a, b);
});

test("randomStr gives n alphanumeric characters", () => {
  assert.equal(randomStr(0), "");
  for (const n of [1, 7, 64, 1000]) {
    const s = randomStr(n);
    assert.equal(s.length, n);
    assert.match(s, /^[A-Za-z0-9]*$/);
  }
  assert.notEqual(randomStr(32), randomStr(32));
});

test("randomStr uses the whole alphabet", () => {
  const seen = new Set(randomStr(20000));
  assert.equal(seen.size, 62);
});

test("bad lengths throw a RangeError", () => {
  for (const bad of [-1, 1.5, NaN, Infinity]) {
    assert.throws(() => randomBytes(bad), RangeError);
    assert.throws(() => randomStr(bad), RangeError);
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
