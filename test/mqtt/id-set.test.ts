// IdSet and IdMap (mqtt/id-set.ts) answer exactly as a Set and a Map of packet identifiers
// do, through the changes between their one-entry fields and the Set or Map behind them:
// scripted rows for those changes, then long sequences of random operations (a fixed
// seed) over few identifiers, compared after every operation with a real Set and Map.
import { test } from "node:test";
import assert from "node:assert/strict";
import { IdMap, IdSet } from "../../src/mqtt/id-set.js";
import { leakCheckAfterAll } from "../helpers.js";

type Op = ["add" | "delete" | "has", number] | ["clear"];

/** Runs `ops` on an IdSet and a Set; every answer and the size must agree at each step. */
function sameAsSet(ops: readonly Op[]): void {
  const ours = new IdSet(), ref = new Set<number>();
  ops.forEach((op, i) => {
    const at = `step ${i}: ${op.join(" ")}`;
    switch (op[0]) {
      case "add": ours.add(op[1]); ref.add(op[1]); break;
      case "delete": assert.equal(ours.delete(op[1]), ref.delete(op[1]), at); break;
      case "has": assert.equal(ours.has(op[1]), ref.has(op[1]), at); break;
      case "clear": ours.clear(); ref.clear(); break;
    }
    assert.equal(ours.size, ref.size, `${at}: size`);
    for (let id = 1; id <= 4; id++) assert.equal(ours.has(id), ref.has(id), `${at}: has(${id})`);
  });
}

/** Runs `ops` on an IdMap and a Map (add is set, with the step as value); values() keeps the Map's order. */
function sameAsMap(ops: readonly Op[]): void {
  const ours = new IdMap<string>(), ref = new Map<number, string>();
  ops.forEach((op, i) => {
    const at = `step ${i}: ${op.join(" ")}`;
    switch (op[0]) {
      case "add": assert.equal(ours.set(op[1], `v${i}`), ours, at); ref.set(op[1], `v${i}`); break;
      case "delete": assert.equal(ours.delete(op[1]), ref.delete(op[1]), at); break;
      case "has": assert.equal(ours.has(op[1]), ref.has(op[1]), at); break;
      case "clear": ours.clear(); ref.clear(); break;
    }
    assert.equal(ours.size, ref.size, `${at}: size`);
    assert.deepEqual([...ours.values()], [...ref.values()], `${at}: values in order`);
    for (let id = 1; id <= 4; id++) assert.equal(ours.get(id), ref.get(id), `${at}: get(${id})`);
  });
}

const rows: { name: string; ops: Op[] }[] = [
  { name: "empty", ops: [["has", 1], ["delete", 1]] },
  { name: "one in, out, in again", ops: [["add", 1], ["has", 1], ["delete", 1], ["delete", 1], ["add", 1], ["has", 1]] },
  { name: "the same one twice", ops: [["add", 3], ["add", 3], ["delete", 3], ["has", 3]] },
  { name: "a second one, then the first goes", ops: [["add", 1], ["add", 2], ["delete", 1], ["has", 2], ["delete", 2], ["has", 2]] },
  { name: "a second one, then the second goes", ops: [["add", 1], ["add", 2], ["delete", 2], ["add", 3], ["delete", 1], ["delete", 3]] },
  { name: "deleting one never added while two are held", ops: [["add", 1], ["add", 2], ["delete", 4], ["delete", 1], ["delete", 4], ["delete", 2]] },
  { name: "the last one of several, asked for another", ops: [["add", 1], ["add", 2], ["delete", 1], ["delete", 3], ["has", 2]] },
  { name: "clear from one and from several", ops: [["add", 1], ["clear"], ["add", 2], ["add", 3], ["clear"], ["add", 4]] },
  { name: "an id set again keeps its place", ops: [["add", 2], ["add", 1], ["add", 2], ["add", 3], ["add", 1]] },
];

for (const row of rows) {
  test(`IdSet is a Set: ${row.name}`, () => sameAsSet(row.ops));
  test(`IdMap is a Map: ${row.name}`, () => sameAsMap(row.ops));
}

/** A fixed pseudo-random sequence of operations on identifiers 1..4 (xorshift32). */
function randomOps(seed: number, n: number): Op[] {
  let x = seed;
  const next = (k: number): number => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x % k; };
  const ops: Op[] = [];
  for (let i = 0; i < n; i++) {
    const r = next(20), id = 1 + next(4);
    ops.push(r < 8 ? ["add", id] : r < 16 ? ["delete", id] : r < 19 ? ["has", id] : ["clear"]);
  }
  return ops;
}

test("IdSet and IdMap: random sequences answer as a Set and a Map", () => {
  for (const seed of [1, 7, 42, 2026]) {
    const ops = randomOps(seed, 2000);
    sameAsSet(ops);
    sameAsMap(ops);
  }
});

leakCheckAfterAll();
