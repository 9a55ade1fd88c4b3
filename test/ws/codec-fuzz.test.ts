// Fixed-seed fuzzing of the WebSocket receive codec (see test/fuzz/ws.ts): mutated
// frames never make it throw, and cutting the input differently never changes the result.
import { it } from "node:test";
import assert from "node:assert/strict";
import { fuzzWs } from "../fuzz/ws.js";
import { leakCheckAfterAll } from "../helpers.js";

it("WsDecoder survives 3000 mutated inputs, whole and in pieces alike", () => {
  const s = fuzzWs(3000, 0x5eed);
  // The generator must reach both outcomes: messages decoded and each kind of failure.
  assert.ok(s.messages > 500, `messages: ${s.messages}`);
  assert.ok(s.controls > 100, `controls: ${s.controls}`);
  for (const code of [1002, 1007, 1008, 1009]) assert.ok((s.failures[`fail ${code}`] ?? 0) > 0, `some fail ${code}: ${JSON.stringify(s.failures)}`);
  assert.ok(s.incomplete > 0, "some inputs end inside a frame");
});

it("another seed", () => {
  const s = fuzzWs(1000, 20261201);
  assert.ok(s.messages > 100);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
