// MqttBroker shared subscriptions ($share/group/filter, MQTT 5 section 4.8.2) with our
// client, mosquitto_sub and Paho's Python client as group members.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import {
  Manager, MqttBroker, MQTT_CMD_SUBACK, MQTT_CMD_DISCONNECT, type MqttConnectOptions, type Connection,
} from "../../src/index.js";
import { parseShare } from "../../src/broker/broker-shared.js";
import { startLoop, waitFor, run, leakCheckAfterAll } from "../helpers.js";
import { Recorder } from "./peers.js";
import { paho, sleep } from "./broker-raw.js";

const manager = new Manager();
const broker = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0" });
const port = broker.listener.localAddr.port;
const url = `mqtt://127.0.0.1:${port}`;
const noShare = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0", sharedSubscriptions: false });
const loop = startLoop(manager);
after(() => loop.stop());

async function subscribed(filter: string, opts: MqttConnectOptions = {}, u = url, subOpts = 0): Promise<[Connection, Recorder, number]> {
  const rec = new Recorder();
  const c = manager.mqttConnect(u, rec.handler, opts);
  await rec.waitOpen();
  const id = c.mqttSub(filter, { qos: 1, options: subOpts });
  await rec.waitCmd(MQTT_CMD_SUBACK, id);
  return [c, rec, rec.cmds.find((m) => m.cmd === MQTT_CMD_SUBACK)!.data[0]!];
}

test("share names: parsed, and refused when empty, with wildcards, or without a filter [MQTT-4.8.2-1] [MQTT-4.8.2-2]", () => {
  const rows: [string, ReturnType<typeof parseShare>][] = [
    ["$share/g/a/b", { group: "g", filter: "a/b" }],
    ["$share/g/#", { group: "g", filter: "#" }],
    ["$share/g//", { group: "g", filter: "/" }],
    ["a/b", undefined],
    ["$shared/g/a", undefined],
    ["$share", "invalid"],
    ["$share/", "invalid"],
    ["$share/g", "invalid"],
    ["$share//a", "invalid"],
    ["$share/g+/a", "invalid"],
    ["$share/#/a", "invalid"],
    ["$share/g/a#", "invalid"],
  ];
  for (const [f, want] of rows) assert.deepEqual(parseShare(f), want, f);
});

test("each message goes to one member of the group, round robin; ordinary subscribers get every one", async () => {
  const [a, ra, ca] = await subscribed("$share/workers/jobs/#", { version: 5 });
  const [b, rb, cb] = await subscribed("$share/workers/jobs/#", { version: 4 });
  const [all, rall] = await subscribed("jobs/#");
  assert.deepEqual([ca, cb], [1, 1]);
  const ms = run("mosquitto_sub", ["-h", "127.0.0.1", "-p", String(port), "-V", "mqttv5", "-t", "$share/workers/jobs/#", "-q", "1", "-C", "4", "-v"], { timeoutMs: 10000 });
  await waitFor(() => broker.subscriptionCount >= 4, 5000, "mosquitto_sub in the group");
  for (let i = 0; i < 12; i++) broker.publish(`jobs/${i}`, `job ${i}`, { qos: 1 });
  await rall.waitMsgs(12);
  await waitFor(() => ra.msgs.length + rb.msgs.length >= 8);
  const fromMosq = (await ms).stdout.trim().split("\n");
  await sleep(200);
  assert.equal(ra.msgs.length, 4);
  assert.equal(rb.msgs.length, 4);
  assert.equal(fromMosq.length, 4);
  const seen = [...ra.msgs.map((m) => m.text), ...rb.msgs.map((m) => m.text), ...fromMosq.map((l) => l.split(" ").slice(1).join(" "))].sort();
  assert.deepEqual(seen, Array.from({ length: 12 }, (_, i) => `job ${i}`).sort(), "each job once");
  for (const c of [a, b, all]) c.mqttDisconnect();
});

test("members that left get nothing; a Paho client joining the group gets its share", async () => {
  const [a, ra] = await subscribed("$share/p/work");
  const script = paho(port, `
got = []
def on_message(c, u, m): got.append(m.payload.decode())
c = mqtt.Client("paho-member", protocol=mqtt.MQTTv5)
c.on_message = on_message
c.connect("127.0.0.1", PORT)
c.subscribe("$share/p/work", qos=1)
c.loop_start()
for i in range(100):
  if len(got) >= 3: break
  time.sleep(0.05)
print(sorted(got))
c.disconnect(); c.loop_stop()
`);
  await waitFor(() => broker.sessionIds.includes("paho-member") && broker.sessionInfo("paho-member")!.subscriptions === 1, 5000, "paho subscribed");
  for (let i = 0; i < 6; i++) broker.publish("work", `w${i}`, { qos: 1 });
  const out = await script;
  assert.equal(out.code, 0, out.stderr);
  await ra.waitMsgs(3);
  const pahoGot = JSON.parse(out.stdout.trim().replace(/'/g, '"')) as string[];
  assert.deepEqual([...ra.msgs.map((m) => m.text), ...pahoGot].sort(), ["w0", "w1", "w2", "w3", "w4", "w5"]);
  await waitFor(() => !broker.sessionIds.includes("paho-member"));
  broker.publish("work", "after", { qos: 1 });
  await ra.waitMsgs(4);
  assert.equal(ra.msgs[3]!.text, "after", "the one member left gets everything");
  a.mqttDisconnect();
});

test("no retained messages on a shared subscription; No Local on one is a protocol error [MQTT-3.8.3-4]", async () => {
  broker.publish("ret/s", "kept", { retain: true });
  const [a, ra] = await subscribed("$share/g/ret/#");
  const [b, rb] = await subscribed("ret/#");
  await rb.waitMsgs(1);
  await sleep(200);
  assert.equal(ra.msgs.length, 0);
  broker.publish("ret/s", "", { retain: true });
  const rec = new Recorder();
  const c = manager.mqttConnect(url, rec.handler, { version: 5 });
  await rec.waitOpen();
  c.mqttSub("$share/g/x", { qos: 1, options: 4 });
  await rec.waitCmd(MQTT_CMD_DISCONNECT);
  assert.equal(rec.cmds.find((m) => m.cmd === MQTT_CMD_DISCONNECT)!.ack, 0x82);
  a.mqttDisconnect(); b.mqttDisconnect();
});

test("sharedSubscriptions: false refuses $share with 0x9E (3.1.1: 0x80)", async () => {
  const u = `mqtt://127.0.0.1:${noShare.listener.localAddr.port}`;
  const [a, , code5] = await subscribed("$share/g/t", { version: 5 }, u);
  const [b, , code4] = await subscribed("$share/g/t", { version: 4 }, u);
  assert.deepEqual([code5, code4], [0x9e, 0x80]);
  a.mqttDisconnect(); b.mqttDisconnect();
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
