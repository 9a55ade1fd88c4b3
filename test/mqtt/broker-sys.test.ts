// MqttBroker's $SYS/broker/... topics (sysInterval): published as mosquitto names them,
// retained, updated as the counters move; not matched by "#" [MQTT-4.7.2-1]; off by default.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Manager, MqttBroker, MQTT_CMD_SUBACK, type Connection, type MqttConnectOptions } from "../../src/index.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";
import { Recorder } from "./peers.js";

const manager = new Manager();
const broker = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0", sysInterval: 1 });
const quiet = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0" });
const url = (b: MqttBroker): string => `mqtt://127.0.0.1:${b.listener.localAddr.port}`;
const loop = startLoop(manager);
after(() => loop.stop());

async function subscribed(b: MqttBroker, filter: string, opts: MqttConnectOptions = {}): Promise<[Connection, Recorder]> {
  const rec = new Recorder();
  const c = manager.mqttConnect(url(b), rec.handler, opts);
  await rec.waitOpen();
  const id = c.mqttSub(filter, { qos: 0 });
  await rec.waitCmd(MQTT_CMD_SUBACK, id);
  return [c, rec];
}

/** The latest value of each $SYS topic a recorder received. */
function latest(rec: Recorder): Map<string, string> {
  const m = new Map<string, string>();
  for (const x of rec.msgs) m.set(x.topic, x.text);
  return m;
}

test("$SYS/broker/... topics: version, uptime, clients, messages, bytes, subscriptions, retained count", async () => {
  const [c, rec] = await subscribed(broker, "$SYS/broker/#", { version: 5 });
  await waitFor(() => latest(rec).has("$SYS/broker/retained messages/count"), 5000, "$SYS values");
  const v = latest(rec);
  assert.match(v.get("$SYS/broker/version")!, /^tsmongoose version \d+\.\d+\.\d+/);
  assert.match(v.get("$SYS/broker/uptime")!, /^\d+ seconds$/);
  for (const t of ["clients/connected", "clients/total", "clients/maximum", "messages/received", "messages/sent", "bytes/received", "bytes/sent", "subscriptions/count", "publish/messages/received", "publish/messages/sent"]) {
    assert.match(v.get(`$SYS/broker/${t}`) ?? "", /^\d+$/, t);
  }
  // The first values came as retained messages (they were there before we subscribed).
  assert.equal(rec.msgs.find((m) => m.topic === "$SYS/broker/version")!.retain, true);
  // The next update counts this client, its subscription and its bytes.
  await waitFor(() => Number(latest(rec).get("$SYS/broker/clients/connected")) >= 1, 5000, "clients/connected update");
  const w = latest(rec);
  assert.ok(Number(w.get("$SYS/broker/subscriptions/count")) >= 1);
  assert.ok(Number(w.get("$SYS/broker/bytes/received")) > 0);
  assert.ok(Number(w.get("$SYS/broker/messages/received")) >= 2); // CONNECT, SUBSCRIBE

  // Activity moves the counters; the next update says so.
  const before = Number(v.get("$SYS/broker/publish/messages/received"));
  const [p] = await subscribed(broker, "sys/none");
  for (let i = 0; i < 5; i++) p.mqttPub("sys/none", "x", { qos: 1 });
  await waitFor(() => Number(latest(rec).get("$SYS/broker/publish/messages/received")) >= before + 5, 5000, "publish counter update");
  assert.ok(Number(latest(rec).get("$SYS/broker/clients/connected")) >= 2);
  c.mqttDisconnect();
  p.mqttDisconnect();
});

test("'#' does not match $SYS topics; '$SYS/#' does", async () => {
  const [all, rall] = await subscribed(broker, "#");
  const [p] = await subscribed(broker, "x/none");
  p.mqttPub("plain/topic", "hello");
  await rall.waitMsgs(1);
  // A $SYS update passes meanwhile (every second): "#" still sees only the plain topic.
  const [sys, rsys] = await subscribed(broker, "$SYS/broker/uptime");
  const seen = rsys.msgs.length;
  await waitFor(() => rsys.msgs.length > seen, 5000, "an uptime update");
  assert.deepEqual(rall.msgs.map((m) => m.topic).filter((t) => t.startsWith("$")), []);
  assert.ok(rall.msgs.some((m) => m.topic === "plain/topic"));
  for (const c of [all, p, sys]) c.mqttDisconnect();
});

test("without sysInterval no $SYS topic is published", async () => {
  const [c, rec] = await subscribed(quiet, "$SYS/#");
  const [p] = await subscribed(quiet, "q/none");
  // A marker through the same broker: once it arrives, a $SYS message sent before it would have too.
  const [m, rm] = await subscribed(quiet, "marker");
  p.mqttPub("marker", "m");
  await rm.waitMsgs(1);
  assert.deepEqual(rec.msgs, []);
  assert.deepEqual(quiet.retainedTopics, []);
  for (const x of [c, p, m]) x.mqttDisconnect();
});

leakCheckAfterAll();
