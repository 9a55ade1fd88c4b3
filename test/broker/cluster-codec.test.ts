// The frames brokers of a cluster exchange through Redis (src/broker/cluster/cluster-codec.ts):
// one message per frame, several frames per batch (what a node published in one
// event-loop turn goes as one PUBLISH).
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeFrame, encodeBatch, encodeFrame, splitBatch, type WireMessage } from "../../src/broker/cluster/cluster-codec.js";
import { leakCheckAfterAll } from "../helpers.js";

const msg = (i: number): WireMessage => ({
  topic: `t/${i}`, payload: Buffer.from(`payload ${i}`), qos: i % 3, retain: i % 2 === 0, props: [], expiresAt: i === 0 ? 0 : 1_800_000_000_000 + i,
});

test("a batch gives back its frames in order, and each frame its message", () => {
  for (const n of [1, 2, 7, 300]) {
    const frames = Array.from({ length: n }, (_, i) => encodeFrame(msg(i), { n: "node" }));
    const got = splitBatch(encodeBatch(frames));
    assert.ok(got !== undefined);
    assert.equal(got.length, n);
    got.forEach((b, i) => {
      const f = decodeFrame(b);
      assert.ok(f !== undefined);
      assert.equal(f.msg.topic, `t/${i}`);
      assert.equal(f.msg.payload.toString(), `payload ${i}`);
      assert.equal(f.msg.qos, i % 3);
      assert.equal(f.msg.retain, i % 2 === 0);
      assert.equal(f.header.n, "node");
    });
  }
});

test("a single frame (as older nodes send it) is a batch of one", () => {
  const one = encodeFrame(msg(5));
  assert.deepEqual(splitBatch(one), [one]);
});

test("a malformed batch is refused whole (cut anywhere, count too high, bytes left over)", () => {
  const good = encodeBatch([encodeFrame(msg(1)), encodeFrame(msg(2))]);
  for (let cut = 1; cut < good.length; cut++) assert.equal(splitBatch(good.subarray(0, cut)), undefined, `cut at ${cut}`);
  const more = Buffer.from(good); more.writeUInt32BE(3, 1);
  assert.equal(splitBatch(more), undefined);
  assert.equal(splitBatch(Buffer.concat([good, Buffer.from([0])])), undefined);
});

leakCheckAfterAll();
