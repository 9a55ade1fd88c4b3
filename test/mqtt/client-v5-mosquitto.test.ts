// The MQTT 5 client against mosquitto 2.0 (Debian) configured with small limits: topic
// aliases towards the broker, its Receive Maximum and Maximum Packet Size, and session
// expiry with a resumed session.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  Manager, MQTT_CMD_CONNACK, MQTT_CMD_PUBACK, MQTT_CMD_PUBCOMP, MQTT_CMD_SUBACK, MQTT_PROP_MAXIMUM_PACKET_SIZE,
  MQTT_PROP_RECEIVE_MAXIMUM, MQTT_PROP_TOPIC_ALIAS_MAXIMUM, type Connection, type MqttConnectOptions, type MqttPacket,
} from "../../src/index.js";
import { startLoop, waitFor, type Loop, leakCheckAfterAll } from "../helpers.js";
import { startMosquitto, Recorder, type Broker } from "./peers.js";

let broker: Broker;
let loop: Loop;
before(async () => {
  broker = await startMosquitto("max_topic_alias 3\nmax_inflight_messages 2\nmax_packet_size 2000\n");
  loop = startLoop(new Manager());
});
after(async () => { await loop.stop(); await broker.stop(); });

async function client(opts: MqttConnectOptions = {}): Promise<[Connection, Recorder]> {
  const rec = new Recorder();
  const c = loop.manager.mqttConnect(broker.url, rec.handler, { version: 5, ...opts });
  await rec.waitOpen();
  assert.deepEqual(rec.opens, [0]);
  return [c, rec];
}

async function subscribed(filter: string, opts: MqttConnectOptions = {}): Promise<[Connection, Recorder]> {
  const [c, rec] = await client(opts);
  const id = c.mqttSub(filter, { qos: 2 });
  await rec.waitCmd(MQTT_CMD_SUBACK, id);
  return [c, rec];
}

async function bye(...cs: [Connection, Recorder][]): Promise<void> {
  for (const [c, r] of cs) if (!c.isClosing && !r.closed) c.mqttDisconnect();
  await waitFor(() => cs.every(([, r]) => r.closed), 5000, "close");
}

const connackProp = (rec: Recorder, id: number): number | undefined =>
  rec.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK)!.properties().find((p) => p.id === id)?.iv;

test("mosquitto's CONNACK limits are read: Topic Alias Maximum, Receive Maximum, Maximum Packet Size", async () => {
  const [c, rec] = await client({ topicAliasMaximum: 5 });
  assert.equal(connackProp(rec, MQTT_PROP_TOPIC_ALIAS_MAXIMUM), 3);
  assert.equal(connackProp(rec, MQTT_PROP_RECEIVE_MAXIMUM), 2);
  assert.equal(connackProp(rec, MQTT_PROP_MAXIMUM_PACKET_SIZE), 2000);
  assert.throws(() => c.mqttPub("big", Buffer.alloc(3000), { qos: 1 }), /Maximum Packet Size of 2000/);
  await bye([c, rec]);
});

test("useTopicAliases with mosquitto: five topics over three aliases, every message arrives with its topic", async () => {
  const [s, rs] = await subscribed("mal/#");
  const [p, rp] = await client({ useTopicAliases: true });
  const sent: string[] = [];
  for (let round = 0; round < 3; round++) {
    for (let t = 0; t < 5; t++) { p.mqttPub(`mal/${t}`, `${round}`, { qos: t % 3 }); sent.push(`mal/${t}=${round}`); }
  }
  await rs.waitMsgs(15);
  assert.deepEqual(rs.msgs.map((m) => `${m.topic}=${m.text}`).sort(), sent.sort());
  assert.deepEqual(rp.errors, [], "mosquitto accepted every alias");
  assert.ok(!rp.closed);
  await bye([s, rs], [p, rp]);
});

test("mosquitto's Receive Maximum of 2: 60 QoS 1/2 publishes all complete, in order", async () => {
  const [s, rs] = await subscribed("rm/#");
  const [p, rp] = await client();
  const ids: number[] = [];
  for (let i = 0; i < 60; i++) ids.push(p.mqttPub("rm/t", String(i), { qos: i % 4 === 0 ? 2 : 1 }));
  await waitFor(() => rp.cmds.filter((m) => m.cmd === MQTT_CMD_PUBACK || m.cmd === MQTT_CMD_PUBCOMP).length === 60, 10000, "60 acks");
  assert.ok(rp.cmds.every((m) => m.cmd !== MQTT_CMD_PUBACK || m.ack === 0), "no PUBACK refused");
  await rs.waitMsgs(60);
  // Sent in order: mosquitto acknowledges QoS 1 as it receives them. (What it forwards may be
  // reordered by its own outgoing inflight limit of 2, so the subscriber is checked as a set.)
  const qos1 = ids.filter((_, i) => i % 4 !== 0);
  assert.deepEqual(rp.cmds.filter((m) => m.cmd === MQTT_CMD_PUBACK).map((m) => m.id), qos1);
  assert.deepEqual(rs.msgs.map((m) => Number(m.text)).sort((x, y) => x - y), ids.map((_, i) => i));
  assert.deepEqual(rp.errors, []);
  await bye([s, rs], [p, rp]);
});

test("sessionExpiry and clean: false: mosquitto keeps the session and resumes it", async () => {
  const id = "tsm-resume";
  const [a, ra] = await subscribed("sess/#", { clientId: id, clean: false, sessionExpiry: 120 });
  await bye([a, ra]);
  const [p, rp] = await client();
  p.mqttPub("sess/x", "queued", { qos: 1 });
  await rp.waitCmd(MQTT_CMD_PUBACK);
  const [b, rb] = await client({ clientId: id, clean: false, sessionExpiry: 120 });
  assert.equal((rb.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK) as MqttPacket).sessionPresent, true);
  await rb.waitMsgs(1);
  assert.equal(rb.msgs[0]!.text, "queued");
  await bye([b, rb], [p, rp]);
  // A clean start discards it.
  const [c, rc] = await client({ clientId: id, clean: true });
  assert.equal((rc.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK) as MqttPacket).sessionPresent, false);
  await bye([c, rc]);
});

leakCheckAfterAll();
