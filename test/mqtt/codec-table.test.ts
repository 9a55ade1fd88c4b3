// The MQTT codec on raw bytes: a table of (bytes, protocol level, verdict, fields),
// including malformed rows, each also fed as it could arrive: every prefix must say
// "need more" (0) or give the same verdict, never another one (MQTT 3.1.1 §2-§3, 5.0 §2-§3).
import { test } from "node:test";
import assert from "node:assert/strict";
import { MqttPacket } from "../../src/index.js";
import { parseFixedHeader, parsePacket } from "../../src/mqtt/codec.js";
import { leakCheckAfterAll } from "../helpers.js";

type Fields = Partial<Pick<MqttPacket, "cmd" | "qos" | "id" | "topic" | "retain" | "dup" | "ack" | "sessionPresent">> & { text?: string };
interface Row { name: string; hex: string; v: number; ok?: Fields; bad?: RegExp }

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
// "a/b" as an MQTT string: length 3, then the bytes.
const TOPIC = "0003 612f62";

const rows: Row[] = [
  // CONNECT 3.1.1: protocol name MQTT, level 4, clean session, keep alive 60, client id "c".
  { name: "CONNECT 3.1.1", hex: "10 0d 0004 4d515454 04 02 003c 0001 63", v: 4, ok: { cmd: 1 } },
  { name: "CONNECT 5 with empty properties", hex: "10 0e 0004 4d515454 05 02 003c 00 0001 63", v: 5, ok: { cmd: 1 } },
  { name: "CONNECT with reserved flag bit 0 set (§3.1.2.3)", hex: "10 0d 0004 4d515454 04 03 003c 0001 63", v: 4, bad: /reserved|flag/i },
  { name: "CONNECT with a bad protocol name", hex: "10 0d 0004 4d515458 04 02 003c 0001 63", v: 4, bad: /protocol/i },
  { name: "CONNECT cut short", hex: "10 0b 0004 4d515454 04 02 003c 00", v: 4, bad: /./ },
  { name: "CONNACK accepted", hex: "20 02 00 00", v: 4, ok: { cmd: 2, ack: 0, sessionPresent: false } },
  { name: "CONNACK session present, refused 5", hex: "20 02 01 05", v: 4, ok: { cmd: 2, ack: 5, sessionPresent: true } },
  { name: "PUBLISH QoS 0", hex: `30 08 ${TOPIC} 686921`, v: 4, ok: { cmd: 3, qos: 0, topic: "a/b", text: "hi!" } },
  { name: "PUBLISH QoS 1 retain", hex: `33 08 ${TOPIC} 0007 78`, v: 4, ok: { cmd: 3, qos: 1, id: 7, retain: true, topic: "a/b", text: "x" } },
  { name: "PUBLISH QoS 2 dup", hex: `3c 08 ${TOPIC} 0009 79`, v: 4, ok: { cmd: 3, qos: 2, id: 9, dup: true, text: "y" } },
  { name: "PUBLISH 5 with empty properties", hex: `30 07 ${TOPIC} 00 7a`, v: 5, ok: { cmd: 3, topic: "a/b", text: "z" } },
  { name: "PUBLISH QoS 3 (§3.3.1.2)", hex: `36 07 ${TOPIC} 0001 78`, v: 4, bad: /QoS 3/ },
  { name: "PUBLISH packet identifier 0 (§2.3.1)", hex: `32 07 ${TOPIC} 0000 78`, v: 4, bad: /identifier 0/ },
  { name: "PUBLISH topic with a wildcard (§4.7.1)", hex: "30 05 0003 612f23", v: 4, bad: /wildcard/ },
  { name: "PUBLISH empty topic in 3.1.1", hex: "30 03 0000 78", v: 4, bad: /empty/ },
  { name: "PUBLISH topic with invalid UTF-8 (§1.5.4)", hex: "30 05 0003 61ff62", v: 4, bad: /UTF-8|utf/i },
  { name: "PUBLISH topic with U+0000 (§1.5.4)", hex: "30 05 0003 610062", v: 4, bad: /U\+0000|UTF-8/i },
  { name: "PUBACK", hex: "40 02 0007", v: 4, ok: { cmd: 4, id: 7 } },
  { name: "PUBACK 5 with reason 0x10", hex: "40 03 0007 10", v: 5, ok: { cmd: 4, id: 7, ack: 0x10 } },
  { name: "PUBREC", hex: "50 02 0008", v: 4, ok: { cmd: 5, id: 8 } },
  { name: "PUBREL with the required flags 0010", hex: "62 02 0008", v: 4, ok: { cmd: 6, id: 8 } },
  { name: "PUBREL without its flags (§3.6.1)", hex: "60 02 0008", v: 4, bad: /flags/ },
  { name: "PUBCOMP", hex: "70 02 0008", v: 4, ok: { cmd: 7, id: 8 } },
  { name: "SUBSCRIBE one filter QoS 1", hex: `82 08 000a ${TOPIC} 01`, v: 4, ok: { cmd: 8, id: 10 } },
  { name: "SUBSCRIBE with flags 0000 (§3.8.1)", hex: `80 08 000a ${TOPIC} 01`, v: 4, bad: /flags/ },
  { name: "SUBSCRIBE with no filter (§3.8.3)", hex: "82 02 000a", v: 4, bad: /./ },
  { name: "SUBSCRIBE with QoS 3 requested", hex: `82 08 000a ${TOPIC} 03`, v: 4, bad: /./ },
  { name: "SUBACK", hex: "90 03 000a 01", v: 4, ok: { cmd: 9, id: 10 } },
  { name: "UNSUBSCRIBE", hex: `a2 07 000b ${TOPIC}`, v: 4, ok: { cmd: 10, id: 11 } },
  { name: "UNSUBACK", hex: "b0 02 000b", v: 4, ok: { cmd: 11, id: 11 } },
  { name: "PINGREQ", hex: "c0 00", v: 4, ok: { cmd: 12 } },
  { name: "PINGREQ with flags (§2.1.3)", hex: "c1 00", v: 4, bad: /flags/ },
  { name: "PINGRESP", hex: "d0 00", v: 4, ok: { cmd: 13 } },
  { name: "DISCONNECT", hex: "e0 00", v: 4, ok: { cmd: 14 } },
  { name: "DISCONNECT 5 with reason 0x04", hex: "e0 01 04", v: 5, ok: { cmd: 14, ack: 4 } },
  { name: "AUTH 5 continue", hex: "f0 02 18 00", v: 5, ok: { cmd: 15, ack: 0x18 } },
  { name: "reserved packet type 0 (§2.1.2)", hex: "00 00", v: 4, bad: /reserved packet type 0/ },
  { name: "remaining length over 4 bytes (§1.5.5)", hex: "30 ff ff ff ff 01", v: 4, bad: /longer than 4 bytes/ },
];

type Verdict = "more" | string | MqttPacket;

/** The codec's verdict on the bytes at hand: need more, malformed (the reason), or a packet. */
function verdict(buf: Buffer, v: number): Verdict {
  const fh = parseFixedHeader(buf);
  if (fh === 0) return "more";
  if (typeof fh === "string") return `bad: ${fh}`;
  if (buf.length < fh.total) return "more";
  const m = parsePacket(buf.subarray(0, fh.total), fh, v);
  return typeof m === "string" ? `bad: ${m}` : m;
}

for (const row of rows) {
  test(`MQTT codec: ${row.name}`, () => {
    const bytes = h(row.hex);
    const whole = verdict(bytes, row.v);
    if (row.ok !== undefined) {
      assert.ok(whole instanceof MqttPacket, `expected a packet, got ${String(whole)}`);
      for (const [k, want] of Object.entries(row.ok)) {
        const got: unknown = k === "text" ? whole.text : (whole as unknown as Record<string, unknown>)[k];
        assert.deepEqual(got, want, k);
      }
    } else {
      assert.equal(typeof whole, "string", "malformed");
      assert.match(whole as string, /^bad: /);
      assert.match(whole as string, row.bad!);
    }
    // As the bytes arrive: every prefix is "need more" or already the same refusal.
    for (let i = 0; i < bytes.length; i++) {
      const p = verdict(bytes.subarray(0, i), row.v);
      if (p === "more") continue;
      assert.ok(typeof p === "string" && typeof whole === "string" && p === whole, `prefix of ${i} bytes gave ${String(p)}`);
    }
    // A second packet right behind does not change the first one's verdict.
    const two = Buffer.concat([bytes, h("c0 00")]);
    const again = verdict(two, row.v);
    if (whole instanceof MqttPacket) assert.ok(again instanceof MqttPacket && again.cmd === whole.cmd);
    else assert.equal(again, whole);
  });
}

leakCheckAfterAll();
