// Packets parsed where they are in a buffer holding others (the receive loop parses the
// packets of one read from one view, mqtt/receiver.ts): readFixedHeader and parsePacket
// at an offset give the verdict and fields of the packet parsed alone, read nothing of
// the packets around it, and MqttPacket.dgram is exactly the packet's bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseFixedHeader, parsePacket, readFixedHeader, type FixedHeader } from "../../src/mqtt/parser.js";
import { buildAck, buildPublish, buildSimple, buildSubscribe } from "../../src/mqtt/builder.js";
import { MQTT_CMD_PINGREQ, MQTT_CMD_PUBACK, MQTT_CMD_PUBCOMP, MQTT_CMD_PUBREL, MQTT_CMD_SUBSCRIBE } from "../../src/mqtt/constants.js";
import type { MqttPacket } from "../../src/mqtt/message.js";
import { leakCheckAfterAll } from "../helpers.js";

/** What a verdict says: the error, or the fields a handler reads. */
function fields(m: MqttPacket | string): unknown {
  if (typeof m === "string") return m;
  return { cmd: m.cmd, flags: m.flags, id: m.id, qos: m.qos, topic: m.topic, data: m.data.toString("hex"), filters: m.filters, dgram: m.dgram.toString("hex") };
}

const rows: { name: string; version: number; packets: Buffer[] }[] = [
  {
    name: "PUBACK then QoS 1 PUBLISH (a broker's round trip)", version: 4,
    packets: [buildAck(MQTT_CMD_PUBACK, 4, 7), buildPublish(4, "bench/p00", Buffer.alloc(64, 0x61), 1, false, false, 1)],
  },
  {
    name: "acks of every kind, a ping, a SUBSCRIBE", version: 4,
    packets: [buildAck(MQTT_CMD_PUBREL, 4, 1), buildAck(MQTT_CMD_PUBCOMP, 4, 2), buildSimple(MQTT_CMD_PINGREQ, 4),
      buildSubscribe(MQTT_CMD_SUBSCRIBE, 4, 3, [{ topic: "a/+", options: 1 }, { topic: "b/#", options: 0 }])],
  },
  {
    name: "MQTT 5: an ack with a reason code, a PUBLISH with properties", version: 5,
    packets: [buildAck(MQTT_CMD_PUBACK, 5, 9, 0x10), buildPublish(5, "t", "x", 1, false, false, 4, [{ id: 0x01, iv: 1 }]), buildAck(MQTT_CMD_PUBACK, 5, 10)],
  },
  {
    name: "a malformed ack between two packets (a flag set on PUBACK)", version: 4,
    packets: [buildAck(MQTT_CMD_PUBACK, 4, 1), Buffer.from([0x41, 2, 0, 5]), buildAck(MQTT_CMD_PUBACK, 4, 2)],
  },
  {
    name: "an ack with a byte too many, then another", version: 4,
    packets: [Buffer.from([0x40, 3, 0, 5, 0]), buildAck(MQTT_CMD_PUBACK, 4, 6)],
  },
];

for (const row of rows) {
  test(`parse at an offset: ${row.name}`, () => {
    const alone = row.packets.map((p) => {
      const h = parseFixedHeader(p);
      assert.ok(typeof h === "object");
      return fields(parsePacket(p, h, row.version));
    });
    // The packets one after the other in one buffer, with a byte of garbage before and after.
    const all = Buffer.concat([Buffer.from([0xff]), ...row.packets, Buffer.from([0xff])]);
    const h: FixedHeader = { cmd: 0, flags: 0, headerLen: 0, total: 0 };
    let at = 1;
    row.packets.forEach((p, i) => {
      assert.equal(readFixedHeader(all, h, at), 1, `packet ${i}: its fixed header`);
      assert.equal(h.total, p.length, `packet ${i}: its length`);
      assert.deepEqual(fields(parsePacket(all, h, row.version, undefined, at)), alone[i], `packet ${i}: the same as alone`);
      at += h.total;
    });
    assert.equal(at, all.length - 1);
  });
}

test("readFixedHeader at an offset: needs two bytes from there", () => {
  const h: FixedHeader = { cmd: 0, flags: 0, headerLen: 0, total: 0 };
  const b = Buffer.from([0x40, 2, 0, 1, 0x40]);
  assert.equal(readFixedHeader(b, h, 4), 0);
  assert.equal(readFixedHeader(Buffer.from([0x40, 2, 0, 1, 0x00, 2]), h, 4), "reserved packet type 0");
  assert.equal(readFixedHeader(Buffer.from([0x40, 2, 0, 1, 0x30, 0x80]), h, 4), 0, "a length byte that says more follow");
});

leakCheckAfterAll();
