// The packet codec alone: what the builder writes, the parser reads back, for 3.1.1 and 5.0.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MQTT_CMD_PUBACK, MQTT_CMD_PUBREL, MQTT_CMD_SUBSCRIBE, MQTT_CMD_UNSUBSCRIBE, MQTT_CMD_SUBACK, MQTT_CMD_UNSUBACK,
  MQTT_CMD_PINGREQ, MQTT_CMD_DISCONNECT, MQTT_CMD_AUTH, MQTT_PROP_USER_PROPERTY, MQTT_PROP_SUBSCRIPTION_IDENTIFIER,
  MQTT_PROP_RECEIVE_MAXIMUM, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, MQTT_PROP_SESSION_EXPIRY_INTERVAL, MqttPacket,
} from "../../src/index.js";
import { buildAck, buildConnack, buildConnect, buildHeader, buildPublish, buildSimple, buildSubAck, buildSubscribe } from "../../src/mqtt/builder.js";
import { parseFixedHeader, parsePacket } from "../../src/mqtt/parser.js";
import { readVarint, writeVarint, MAX_VARINT } from "../../src/mqtt/wire.js";
import { leakCheckAfterAll } from "../helpers.js";

function roundTrip(pkt: Buffer, version: number): MqttPacket {
  const h = parseFixedHeader(pkt);
  assert.ok(h !== 0 && typeof h !== "string", String(h));
  assert.equal(h.total, pkt.length);
  const m = parsePacket(pkt, h, version);
  assert.ok(m instanceof MqttPacket, String(m));
  return m;
}

test("variable byte integers: boundaries and the 4-byte limit", () => {
  for (const [n, size] of [[0, 1], [127, 1], [128, 2], [16383, 2], [16384, 3], [2097151, 3], [2097152, 4], [MAX_VARINT, 4]] as const) {
    const b = Buffer.alloc(4);
    assert.equal(writeVarint(b, 0, n), size);
    assert.deepEqual(readVarint(b, 0), [n, size]);
  }
  assert.equal(readVarint(Buffer.from([0x80, 0x80]), 0), 0, "incomplete");
  assert.equal(readVarint(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x01]), 0), -1, "fifth byte");
  assert.throws(() => buildHeader(3, 0, MAX_VARINT + 1), /limit/);
});

for (const v of [4, 5]) {
  const props = v === 5 ? [{ id: MQTT_PROP_USER_PROPERTY, key: "a", val: "b" }] : undefined;
  test(`v${v}: CONNECT with will, user and password`, () => {
    const m = roundTrip(buildConnect({
      version: v, clientId: "cid", user: "u", pass: "p", keepAlive: 30, clean: false,
      will: { topic: "w/t", message: "bye", qos: 2, retain: true, props: v === 5 ? [{ id: MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, iv: 1 }] : undefined },
      props: v === 5 ? [{ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: 60 }] : undefined,
    }), 4);
    const c = m.connect!;
    assert.equal(c.version, v);
    assert.equal(m.version, v);
    assert.deepEqual([c.clientId, c.user, c.pass?.toString(), c.keepAlive, c.clean], ["cid", "u", "p", 30, false]);
    assert.deepEqual([c.will!.topic, c.will!.message.toString(), c.will!.qos, c.will!.retain], ["w/t", "bye", 2, true]);
    if (v === 5) {
      assert.deepEqual(m.properties(), [{ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: 60 }]);
      assert.deepEqual(c.will!.props, [{ id: MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, iv: 1 }]);
    }
  });

  test(`v${v}: CONNACK, PUBLISH, acks, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, DISCONNECT`, () => {
    const ca = roundTrip(buildConnack(v, true, 0, props), v);
    assert.equal(ca.sessionPresent, true);
    const p = roundTrip(buildPublish(v, "a/b", "hello", 2, true, true, 7, props), v);
    assert.deepEqual([p.topic, p.text, p.qos, p.retain, p.dup, p.id], ["a/b", "hello", 2, true, true, 7]);
    if (v === 5) assert.deepEqual(p.properties(), props);
    const big = Buffer.alloc(70000, 1);
    assert.equal(roundTrip(buildPublish(v, "x", big, 0, false, false, 0), v).data.length, 70000);
    const ack = roundTrip(buildAck(MQTT_CMD_PUBREL, v, 9, v === 5 ? 0x92 : 0), v);
    assert.deepEqual([ack.cmd, ack.id, ack.flags, ack.ack], [MQTT_CMD_PUBREL, 9, 2, v === 5 ? 0x92 : 0]);
    assert.equal(buildAck(MQTT_CMD_PUBACK, v, 1).length, 4, "success without properties: 2-byte body");
    const sub = roundTrip(buildSubscribe(MQTT_CMD_SUBSCRIBE, v, 3, [{ topic: "a/+", options: 1 }, { topic: "#", options: 2 }],
      v === 5 ? [{ id: MQTT_PROP_SUBSCRIPTION_IDENTIFIER, iv: 300 }] : undefined), v);
    assert.deepEqual(sub.filters, [{ topic: "a/+", qos: 1, options: 1 }, { topic: "#", qos: 2, options: 2 }]);
    const unsub = roundTrip(buildSubscribe(MQTT_CMD_UNSUBSCRIBE, v, 4, [{ topic: "a/+", options: 0 }]), v);
    assert.deepEqual(unsub.filters!.map((f) => f.topic), ["a/+"]);
    const sa = roundTrip(buildSubAck(MQTT_CMD_SUBACK, v, 3, [1, 0x80]), v);
    assert.deepEqual([sa.id, [...sa.data]], [3, [1, 0x80]]);
    const ua = roundTrip(buildSubAck(MQTT_CMD_UNSUBACK, v, 4, [0]), v);
    assert.equal(ua.data.length, v === 5 ? 1 : 0);
    assert.equal(roundTrip(buildSimple(MQTT_CMD_PINGREQ, v), v).cmd, MQTT_CMD_PINGREQ);
    const d = roundTrip(buildSimple(MQTT_CMD_DISCONNECT, v, v === 5 ? 0x04 : 0, v === 5 ? [{ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: 5 }] : undefined), v);
    assert.equal(d.ack, v === 5 ? 4 : 0);
  });
}

test("AUTH exists only in MQTT 5", () => {
  const pkt = buildSimple(MQTT_CMD_AUTH, 5, 0x18);
  assert.equal(roundTrip(pkt, 5).ack, 0x18);
  const h = parseFixedHeader(pkt);
  assert.match(String(parsePacket(pkt, h as Exclude<typeof h, 0 | string>, 4)), /AUTH/);
});

test("sending refuses what MQTT forbids", () => {
  assert.throws(() => buildPublish(4, "a/#", "x", 0, false, false, 0), /wildcards/);
  assert.throws(() => buildPublish(4, "a\0b", "x", 0, false, false, 0), /U\+0000/);
  assert.throws(() => buildPublish(4, "\ud800", "x", 0, false, false, 0), /surrogate/);
  assert.throws(() => buildPublish(4, "a", "x", 3, false, false, 0), /QoS/);
  assert.throws(() => buildPublish(5, "a", "x", 0, false, false, 0, [{ id: 0x7f, iv: 1 }]), /unknown MQTT property/);
  assert.throws(() => buildPublish(5, "a", "x", 0, false, false, 0, [{ id: MQTT_PROP_RECEIVE_MAXIMUM, iv: 70000 }]), /0\.\.65535/);
  assert.throws(() => buildPublish(4, "x".repeat(70000), "x", 0, false, false, 0), /65535/);
});

test("malformed bodies: trailing bytes, bad subscription options, empty filter list, bad protocol name", () => {
  const check = (bytes: number[], v: number, re: RegExp): void => {
    const b = Buffer.from(bytes);
    const h = parseFixedHeader(b) as Exclude<ReturnType<typeof parseFixedHeader>, 0 | string>;
    assert.match(String(parsePacket(b, h, v)), re);
  };
  check([0x40, 0x03, 0, 1, 9], 4, /unexpected bytes/);
  check([0x82, 0x06, 0, 1, 0, 1, 0x61, 0x03], 4, /subscription options/);
  check([0x82, 0x02, 0, 1], 4, /without topic filters/);
  check([0x10, 0x0c, 0, 4, 0x4d, 0x51, 0x54, 0x58, 4, 2, 0, 60, 0, 0], 4, /unsupported protocol/);
  check([0x10, 0x0c, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 3, 0, 60, 0, 0], 4, /reserved connect flag/);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
