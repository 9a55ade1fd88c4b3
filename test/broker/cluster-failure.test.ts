// A cluster of MqttBrokers on Redis when things fail: a node killed with SIGKILL while the
// others go on (its clients resume their sessions elsewhere), and Redis killed and
// restarted empty while the brokers run (they keep serving their own clients, refuse new
// ones after connectWaitMs, reconnect, write their state back, and work as one again).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Manager, MQTT_CMD_SUBACK, MQTT_CMD_CONNACK, type MqttConnectOptions, type Connection, type MqttPacket } from "../../src/index.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";
import { Recorder } from "../mqtt/peers.js";
import { RedisServer, startNode, type Node } from "./cluster-redis.js";

const LONG = 30_000;
const manager = new Manager();
const loop = startLoop(manager);
after(() => loop.stop());

async function client(node: Node, opts: MqttConnectOptions = {}, code = 0): Promise<[Connection, Recorder]> {
  const rec = new Recorder();
  const c = manager.mqttConnect(node.url, rec.handler, opts);
  await waitFor(() => rec.opens.length > 0, LONG, "CONNACK");
  assert.deepEqual(rec.opens, [code]);
  return [c, rec];
}

async function subscribed(node: Node, opts: MqttConnectOptions, filter: string, qos = 1): Promise<[Connection, Recorder]> {
  const [c, rec] = await client(node, opts);
  const id = c.mqttSub(filter, { qos });
  await waitFor(() => rec.has(MQTT_CMD_SUBACK, id), LONG, "SUBACK");
  return [c, rec];
}

/** Publishes on `pub` until `rec` has a message on `topic` (published after this call started). */
async function flows(pub: Connection, rec: Recorder, topic: string): Promise<void> {
  const from = rec.msgs.length;
  const deadline = Date.now() + LONG;
  while (!rec.msgs.slice(from).some((m) => m.topic === topic)) {
    if (Date.now() > deadline) throw new Error(`nothing on ${topic} across the cluster`);
    if (!pub.isClosing) pub.mqttPub(topic, "probe");
    await new Promise((r) => setTimeout(r, 100));
  }
}

const present = (rec: Recorder): boolean | undefined => (rec.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK) as MqttPacket | undefined)?.sessionPresent;

test("a node killed with SIGKILL: the others go on, and its clients resume their sessions on another node", async () => {
  const redis = await RedisServer.start();
  const [a, b, c] = await Promise.all([startNode(redis.url), startNode(redis.url), startNode(redis.url)]);
  try {
    const opts: MqttConnectOptions = { clientId: "k-persist", clean: false };
    const [x, rx] = await subscribed(a, opts, "k/#");
    const [, rs] = await subscribed(c, {}, "k/#");
    // A shared group with a member on A (to be killed) and one on C.
    const [, sa] = await subscribed(a, { version: 5 }, "$share/g/ks/#");
    const [scc, sc] = await subscribed(c, { version: 5 }, "$share/g/ks/#");
    const markId = scc.mqttSub("k2/mark", { qos: 1 });
    await waitFor(() => sc.has(MQTT_CMD_SUBACK, markId), LONG, "SUBACK");
    const [p] = await client(b);
    await flows(p, rx, "k/warm");
    for (let i = 0; i < 100 && (sa.msgs.length === 0 || sc.msgs.length === 0); i++) { p.mqttPub("ks/warm", "w"); await new Promise((r) => setTimeout(r, 50)); }
    assert.ok(sa.msgs.length > 0 && sc.msgs.length > 0, "both members get messages while both nodes live");
    await a.kill();
    await waitFor(() => x.isClosing, LONG, "the killed node's client closed");
    // B and C go on.
    await flows(p, rs, "k/after-kill");
    // Once A is known to be gone, the group's messages all go to the member that is left. Rounds of
    // ten, each followed by a marker on the same member's connection (so after the round's messages).
    const deadline = Date.now() + LONG;
    const rounds = (): number => sc.msgs.filter((m) => m.topic === "ks/round").length;
    for (let n = 0; ; n++) {
      const before = rounds();
      for (let i = 0; i < 10; i++) p.mqttPub("ks/round", "r", { qos: 1 });
      p.mqttPub("k2/mark", `m${n}`, { qos: 1 });
      await waitFor(() => sc.msgs.some((m) => m.topic === "k2/mark" && m.text === `m${n}`), LONG, "round marker");
      if (rounds() - before === 10) break;
      if (Date.now() > deadline) throw new Error("the member left on C never got a whole round");
    }
    // The client comes back on C: its session (subscription) is there, read from Redis.
    const [, rx2] = await client(c, opts);
    assert.equal(present(rx2), true, "session present after its node died");
    await flows(p, rx2, "k/resumed");
    // A new node joins the two that are left.
    const d = await startNode(redis.url);
    const [, rd] = await subscribed(d, {}, "k/#");
    await flows(p, rd, "k/joined");
    await d.stop();
  } finally {
    await Promise.all([b.stop(), c.stop()]);
    await redis.stop();
  }
});

test("Redis restarted while the brokers run: local delivery goes on, new clients are refused, then the cluster works again", async () => {
  const redis = await RedisServer.start();
  const extra = { cluster: { connectWaitMs: 1000 } };
  const [a, b] = await Promise.all([startNode(redis.url, extra), startNode(redis.url, extra)]);
  try {
    const [pa, rla] = await subscribed(a, {}, "r/#");
    const [pb, rb] = await subscribed(b, {}, "r/#");
    await flows(pa, rb, "r/warm");
    // A retained message and an offline persistent session held by B, before Redis goes.
    pa.mqttPub("r/kept", "retained", { qos: 1, retain: true });
    await waitFor(() => rb.msgs.some((m) => m.text === "retained"), LONG, "the retained message on B");
    const opts: MqttConnectOptions = { version: 5, clientId: "r-persist", clean: false, sessionExpiry: 600 };
    const [y] = await subscribed(b, opts, "r/y/#");
    y.mqttDisconnect();
    await waitFor(() => y.isClosing, LONG, "y gone");

    await redis.kill();
    // Each node still serves its own clients.
    await flows(pa, rla, "r/local-during-outage");
    // A new client cannot be given its session: refused with 0x88 (server unavailable) after connectWaitMs.
    await client(a, { version: 5 }, 0x88);

    await redis.up(); // empty: no retained, no sessions, no owners
    await flows(pa, rb, "r/a-to-b");
    await flows(pb, rla, "r/b-to-a");
    // The nodes wrote back what they held: a node started now finds the retained message...
    const c = await startNode(redis.url, extra);
    const [, rc] = await subscribed(c, {}, "r/kept");
    await waitFor(() => rc.msgs.length > 0, LONG, "the retained message on a new node");
    assert.deepEqual([rc.msgs[0]!.text, rc.msgs[0]!.retain], ["retained", true]);
    // ...and the session B held resumes on A, its subscription with it.
    const [, ry] = await client(a, opts);
    assert.equal(present(ry), true, "session present after Redis restarted");
    await flows(pb, ry, "r/y/back");
    await c.stop();
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await redis.stop();
  }
});

leakCheckAfterAll();
