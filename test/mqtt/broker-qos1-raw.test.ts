// The broker's 3.1.1 QoS 1/2 path: a delivery is the packet the publisher sent with its
// own flags and packet identifier (broker-session.ts writeRaw). Every delivery must be the
// exact bytes buildPublish makes for it: to several subscribers (the first sends the
// stable copy itself, the others copy it), again with DUP=1 after a reconnect, as a
// retained message to a later subscriber, and to an MQTT 5 subscriber (the general path).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import {
  Manager, MqttBroker, MQTT_CMD_CONNACK, MQTT_CMD_DISCONNECT, MQTT_CMD_PUBACK, MQTT_CMD_PUBLISH, MQTT_CMD_SUBACK,
  MQTT_CMD_SUBSCRIBE, MQTT_PROP_SESSION_EXPIRY_INTERVAL, type MqttPacket,
} from "../../src/index.js";
import { buildAck, buildConnect, buildPublish, buildSimple, buildSubscribe } from "../../src/mqtt/builder.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";
import { RawPeer } from "./broker-raw.js";

const manager = new Manager();
const broker = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0" });
const port = broker.listener.localAddr.port;
const loop = startLoop(manager);
after(() => loop.stop());

/** A raw peer at `version`, connected and subscribed to `filter` at `qos`. */
async function subscriber(clientId: string, filter: string, qos: number, version = 4, clean = true): Promise<RawPeer> {
  const p = new RawPeer(port, version);
  p.send(buildConnect({ version, clientId, keepAlive: 0, clean, ...(version >= 5 ? { props: [{ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: 300 }] } : {}) }));
  await p.wait(MQTT_CMD_CONNACK);
  p.send(buildSubscribe(MQTT_CMD_SUBSCRIBE, version, 1, [{ topic: filter, options: qos }]));
  await p.wait(MQTT_CMD_SUBACK);
  return p;
}

/** The bytes buildPublish makes for a delivery `m` (what the broker must have sent). */
const expected = (m: MqttPacket, version = 4): Buffer => buildPublish(version, m.topic, m.data, m.qos, m.retain, m.dup, m.id);

test("3.1.1 QoS 1 and 2 deliveries to several subscribers are exact PUBLISH packets with their own ids", async () => {
  const subs = [await subscriber("raw-s1", "raw/a/+", 1), await subscriber("raw-s2", "raw/a/#", 2), await subscriber("raw-s3", "raw/+/x", 1)];
  const pub = await subscriber("raw-pub", "raw/none", 0);
  // Each subscriber already holds ids from its own deliveries: make them differ.
  pub.send(Buffer.concat([buildPublish(4, "raw/a/x", "first", 1, false, false, 7), buildPublish(4, "raw/a/x", "second é", 2, false, true, 8)]));
  await pub.wait(MQTT_CMD_PUBACK);
  for (const [i, s] of subs.entries()) {
    const got = await s.wait(MQTT_CMD_PUBLISH, 2);
    assert.deepEqual(got.map((m) => [m.topic, m.text, m.qos, m.dup, m.retain]), [
      ["raw/a/x", "first", 1, false, false],
      ["raw/a/x", "second é", i === 1 ? 2 : 1, false, false],
    ], `subscriber ${i + 1}`);
    assert.notEqual(got[0]!.id, got[1]!.id);
    for (const m of got) assert.deepEqual(m.dgram, expected(m), `subscriber ${i + 1}: the bytes of PUBLISH ${m.id}`);
  }
  for (const p of [...subs, pub]) { p.send(buildSimple(MQTT_CMD_DISCONNECT, 4)); await p.waitClosed(); }
});

test("an unacknowledged 3.1.1 delivery goes again with DUP=1, its id and its bytes after a reconnect", async () => {
  const a = await subscriber("raw-dup", "raw/dup", 1, 4, false);
  const pub = await subscriber("raw-dup-pub", "raw/none", 0);
  pub.send(buildPublish(4, "raw/dup", "keep me", 1, false, false, 1));
  const [first] = await a.wait(MQTT_CMD_PUBLISH);
  assert.deepEqual(first!.dgram, expected(first!));
  a.end(); // no PUBACK
  await waitFor(() => broker.sessionInfo("raw-dup")?.connected === false);
  const b = new RawPeer(port, 4);
  b.send(buildConnect({ version: 4, clientId: "raw-dup", keepAlive: 0, clean: false }));
  const [ack] = await b.wait(MQTT_CMD_CONNACK);
  assert.equal(ack!.sessionPresent, true);
  const [again] = await b.wait(MQTT_CMD_PUBLISH);
  assert.deepEqual([again!.topic, again!.text, again!.id, again!.dup, again!.qos], ["raw/dup", "keep me", first!.id, true, 1]);
  assert.deepEqual(again!.dgram, expected(again!));
  b.send(buildAck(MQTT_CMD_PUBACK, 4, again!.id));
  await waitFor(() => broker.sessionInfo("raw-dup")?.inflight === 0);
  b.send(buildSimple(MQTT_CMD_DISCONNECT, 4));
  await b.waitClosed();
  pub.send(buildSimple(MQTT_CMD_DISCONNECT, 4));
  await pub.waitClosed();
  // The session stays (clean false, 3.1.1): end it with a clean connection.
  const c = new RawPeer(port, 4);
  c.send(buildConnect({ version: 4, clientId: "raw-dup", keepAlive: 0, clean: true }));
  await c.wait(MQTT_CMD_CONNACK);
  c.send(buildSimple(MQTT_CMD_DISCONNECT, 4));
  await c.waitClosed();
});

test("a retained 3.1.1 QoS 1 message reaches a later subscriber as exact bytes with RETAIN=1; an MQTT 5 subscriber gets it too", async () => {
  const live = await subscriber("raw-live", "raw/ret", 1);
  const pub = await subscriber("raw-ret-pub", "raw/none", 0);
  pub.send(buildPublish(4, "raw/ret", "kept", 1, true, false, 3));
  const [l] = await live.wait(MQTT_CMD_PUBLISH);
  assert.deepEqual([l!.text, l!.retain], ["kept", false], "a live delivery carries RETAIN=0 [MQTT-3.3.1-9]");
  assert.deepEqual(l!.dgram, expected(l!));
  const later = await subscriber("raw-later", "raw/#", 1);
  const [r] = await later.wait(MQTT_CMD_PUBLISH);
  assert.deepEqual([r!.topic, r!.text, r!.retain, r!.qos], ["raw/ret", "kept", true, 1]);
  assert.deepEqual(r!.dgram, expected(r!));
  const v5 = await subscriber("raw-v5", "raw/ret", 1, 5);
  const [r5] = await v5.wait(MQTT_CMD_PUBLISH);
  assert.deepEqual([r5!.topic, r5!.text, r5!.retain, r5!.qos], ["raw/ret", "kept", true, 1]);
  assert.deepEqual(r5!.dgram, expected(r5!, 5));
  pub.send(buildPublish(4, "raw/ret", "", 0, true, false, 0)); // clears the retained message
  await waitFor(() => broker.retainedTopics.length === 0);
  for (const p of [live, pub, later]) { p.send(buildSimple(MQTT_CMD_DISCONNECT, 4)); await p.waitClosed(); }
  v5.send(buildSimple(MQTT_CMD_DISCONNECT, 5, 0, [{ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: 0 }]));
  await v5.waitClosed();
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
