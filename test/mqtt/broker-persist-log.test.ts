// The record format of the broker's log (src/broker/broker-log.ts): every record type
// round-trips; a log cut at any byte decodes to exactly the frames that are whole; any
// one byte changed in a frame ends the valid part just before it.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeRecords, encodeDelivery, encodeDone, encodeRecord, encodeUpdate, messageHead, messageOf, LOG_MAGIC,
  REC_DELIVERY, REC_DONE, REC_MESSAGE, REC_RETAIN, REC_SESSION, REC_UPDATE,
} from "../../src/broker/broker-log.js";
import type { MqttStoredMessage } from "../../src/index.js";
import { leakCheckAfterAll } from "../helpers.js";

const msg: MqttStoredMessage = {
  topic: "a/b", payload: Buffer.from([0, 1, 2, 255]), qos: 1, retain: true, expiresAt: 1_900_000_000_000,
  props: [{ id: 0x26, key: "k", val: "v" }, { id: 0x09, bin: Buffer.from("corr") }, { id: 0x01, iv: 1 }],
};

// [record bytes, expected type, expected fields]
const table: [Buffer, number, Record<string, unknown>][] = [
  [encodeRecord(REC_RETAIN, messageHead(msg), msg.payload), REC_RETAIN, { t: "a/b", q: 1, r: 1 }],
  [encodeRecord(REC_SESSION, { c: "é-client", v: 5, e: 60, d: 0, s: [["x/#", 1, 0, 0]] }), REC_SESSION, { c: "é-client", e: 60 }],
  [encodeRecord(REC_MESSAGE, { k: 7, ...messageHead(msg) }, msg.payload), REC_MESSAGE, { k: 7 }],
  [encodeDelivery("é-client", 2 ** 40 + 1, 7, 2, false, [1, 70000], 65535, true), REC_DELIVERY, { c: "é-client", k: 2 ** 40 + 1, m: 7, q: 2, r: 0, i: 65535, x: 1, s: [1, 70000] }],
  [encodeDelivery("", 1, 1, 1, true, [], 0, false), REC_DELIVERY, { c: "", k: 1, m: 1, q: 1, r: 1, i: 0, x: 0, s: [] }],
  [encodeUpdate("c", 3, 12, false), REC_UPDATE, { c: "c", k: 3, i: 12, x: 0 }],
  [encodeDone("c", 3), REC_DONE, { c: "c", k: 3 }],
];

test("every record type round-trips with its fields", () => {
  for (const [bytes, type, fields] of table) {
    const { records, end } = decodeRecords(bytes, 0);
    assert.equal(end, bytes.length);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.type, type);
    for (const [k, v] of Object.entries(fields)) assert.deepEqual(records[0]!.head[k], v, `${type} ${k}`);
  }
  const [r] = decodeRecords(table[0]![0], 0).records;
  assert.deepEqual(messageOf(r!.head, r!.payload), msg);
});

test("a log cut at every byte boundary decodes to exactly its whole frames", () => {
  const frames = table.map((t) => t[0]);
  const log = Buffer.concat([LOG_MAGIC, ...frames]);
  const ends: number[] = [];
  let p = LOG_MAGIC.length;
  for (const f of frames) { p += f.length; ends.push(p); }
  for (let cut = LOG_MAGIC.length; cut <= log.length; cut++) {
    const whole = ends.filter((e) => e <= cut);
    const { records, end } = decodeRecords(log.subarray(0, cut), LOG_MAGIC.length);
    assert.equal(records.length, whole.length, `cut at ${cut}`);
    assert.equal(end, whole.at(-1) ?? LOG_MAGIC.length, `cut at ${cut}`);
    assert.deepEqual(records.map((x) => x.type), table.slice(0, whole.length).map((t) => t[1]));
  }
});

test("one byte changed anywhere in a frame ends the valid part before that frame", () => {
  const frames = table.map((t) => t[0]);
  const log = Buffer.concat(frames);
  let start = 0;
  for (let f = 0; f < frames.length; f++) {
    for (let i = 0; i < frames[f]!.length; i++) {
      const bad = Buffer.from(log);
      bad[start + i] ^= 0x5a;
      const { records, end } = decodeRecords(bad, 0);
      assert.equal(records.length, f, `frame ${f} byte ${i}`);
      assert.equal(end, start);
    }
    start += frames[f]!.length;
  }
});

leakCheckAfterAll();
