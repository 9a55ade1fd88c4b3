// A short fixed-seed run of the HTTP codec fuzzer (test/fuzz/http.ts has the entry for longer runs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fuzzHttp } from "../fuzz/http.js";
import { leakCheckAfterAll } from "../helpers.js";

test("fuzz: 3000 mutated messages, documented verdicts only, the same whole and split", () => {
  const r = fuzzHttp(3000, 0x5eed);
  // The mutations must exercise both sides of the grammar, or the run proves little.
  assert.ok(r.accepted > 200, `accepted ${r.accepted}`);
  assert.ok((r.refused[400] ?? 0) > 500, `refused ${JSON.stringify(r.refused)}`);
});

test("fuzz: other seeds", () => {
  for (const seed of [1, 2, 3]) fuzzHttp(500, seed);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
