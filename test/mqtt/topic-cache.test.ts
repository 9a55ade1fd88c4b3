// The connection's last PUBLISH topic (mqtt/topic-cache.ts): a sequence of packets parsed
// with one cache gives the same verdicts and fields as each packet parsed alone, whatever
// the cache held before (the same topic, one of the same length, a prefix, a malformed one).
// Each sequence is also fed as one stream split at every byte boundary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseFixedHeader, parsePacket, type FixedHeader } from "../../src/mqtt/parser.js";
import { TopicCache } from "../../src/mqtt/topic-cache.js";
import { leakCheckAfterAll } from "../helpers.js";

/** A PUBLISH with the topic given as raw bytes (so malformed topics can be written). */
function publish(topic: number[] | string, qos = 0, id = 1, payload = "p", v5 = false): Buffer {
  const t = typeof topic === "string" ? [...Buffer.from(topic, "utf8")] : topic;
  const body = [t.length >> 8, t.length & 0xff, ...t, ...(qos > 0 ? [id >> 8, id & 0xff] : []), ...(v5 ? [0] : []), ...Buffer.from(payload)];
  return Buffer.from([0x30 | (qos << 1), body.length, ...body]);
}

/** The fixed header of a whole packet. */
function hdr(p: Buffer): FixedHeader {
  const h = parseFixedHeader(p);
  assert.ok(typeof h === "object", "a whole fixed header");
  return h;
}

/** What one packet parses to: its topic, id and payload, or the error. */
type Verdict = string | [string, number, string];
const verdict = (m: ReturnType<typeof parsePacket>): Verdict => (typeof m === "string" ? m : [m.topic, m.id, m.data.toString("latin1")]);

const rows: { name: string; packets: Buffer[]; version?: number; expect: Verdict[] }[] = [
  { name: "the same topic again", packets: [publish("a/b"), publish("a/b"), publish("a/b", 1, 9)], expect: [["a/b", 0, "p"], ["a/b", 0, "p"], ["a/b", 9, "p"]] },
  { name: "same length, other bytes", packets: [publish("a/b"), publish("a/c"), publish("a/b")], expect: [["a/b", 0, "p"], ["a/c", 0, "p"], ["a/b", 0, "p"]] },
  { name: "a longer topic with the cached one as prefix, then shorter", packets: [publish("a/b"), publish("a/bc"), publish("a/"), publish("a/bc")], expect: [["a/b", 0, "p"], ["a/bc", 0, "p"], ["a/", 0, "p"], ["a/bc", 0, "p"]] },
  { name: "multi-byte UTF-8 topic repeated", packets: [publish("é/ü", 1, 2), publish("é/ü", 1, 3)], expect: [["é/ü", 2, "p"], ["é/ü", 3, "p"]] },
  { name: "a wildcard after a cached topic of its length", packets: [publish("a/b"), publish("a/+")], expect: [["a/b", 0, "p"], "wildcard in a PUBLISH topic"] },
  { name: "invalid UTF-8 after a cached topic of its length", packets: [publish("a/b"), publish([0x61, 0x2f, 0xff])], expect: [["a/b", 0, "p"], "topic is not valid UTF-8"] },
  { name: "U+0000 after a cached topic of its length", packets: [publish("a/b"), publish([0x61, 0x00, 0x62])], expect: [["a/b", 0, "p"], "topic is not valid UTF-8"] },
  { name: "a wildcard topic is not remembered", packets: [publish("a/#"), publish("a/#")], expect: ["wildcard in a PUBLISH topic", "wildcard in a PUBLISH topic"] },
  // Remaining length 4: the topic length says 3 but 2 bytes follow; the cached "a/b" must not be read past the packet.
  { name: "a truncated topic after the cached one", packets: [publish("a/b"), Buffer.from([0x30, 4, 0, 3, 0x61, 0x2f])], expect: [["a/b", 0, "p"], "truncated topic"] },
  { name: "MQTT 5: an empty topic (alias) between two", version: 5, packets: [publish("t", 0, 1, "x", true), publish("", 0, 1, "y", true), publish("t", 0, 1, "z", true)], expect: [["t", 0, "x"], ["", 0, "y"], ["t", 0, "z"]] },
];

for (const row of rows) {
  const version = row.version ?? 4;
  test(`topic cache: ${row.name}`, () => {
    // Each packet alone, without a cache, is the reference.
    const alone = row.packets.map((p) => verdict(parsePacket(p, hdr(p), version)));
    assert.deepEqual(alone, row.expect, "the reference verdicts");
    const cache = new TopicCache();
    const cached = row.packets.map((p) => verdict(parsePacket(p, hdr(p), version, cache)));
    assert.deepEqual(cached, row.expect, "one cache across the sequence");
    // The whole sequence as one stream, split in two at every byte boundary.
    const stream = Buffer.concat(row.packets);
    for (let cut = 1; cut < stream.length; cut++) {
      const c = new TopicCache();
      const got: Verdict[] = [];
      let buf = Buffer.alloc(0);
      for (const part of [stream.subarray(0, cut), stream.subarray(cut)]) {
        buf = Buffer.concat([buf, part]);
        for (;;) {
          const h = parseFixedHeader(buf);
          if (h === 0 || typeof h === "string" || buf.length < h.total) break;
          got.push(verdict(parsePacket(Buffer.from(buf.subarray(0, h.total)), h, version, c)));
          buf = buf.subarray(h.total);
        }
      }
      assert.deepEqual(got, row.expect, `split at byte ${cut}`);
    }
  });
}

leakCheckAfterAll();
