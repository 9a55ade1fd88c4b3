// A cluster of MqttBrokers on Redis: three broker processes (cluster-node.ts) on one
// redis-server of the test's own, clients (ours, mosquitto_pub / mosquitto_sub) on
// different nodes. Cross-node QoS 0/1/2, retained messages, a persistent session resumed
// on another node with its queued messages, takeover across nodes, wills once, shared
// subscriptions once across the cluster, the CLI's --redis, and the option checks.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  Manager, MqttBroker, MQTT_CMD_SUBACK, MQTT_CMD_DISCONNECT, MQTT_CMD_CONNACK, MQTT_CMD_PUBLISH, MQTT_PROP_WILL_DELAY_INTERVAL, type MqttConnectOptions, type Connection, type MqttPacket,
} from "../../src/index.js";
import { startLoop, run, waitFor, leakCheckAfterAll, type Loop } from "../helpers.js";
import { Recorder } from "../mqtt/peers.js";
import { RawPeer } from "../mqtt/broker-raw.js";
import { buildAck, buildConnect, buildPublish, buildSubscribe } from "../../src/mqtt/builder.js";
import { MQTT_CMD_PUBACK, MQTT_CMD_PUBCOMP, MQTT_CMD_PUBREC, MQTT_CMD_PUBREL, MQTT_CMD_SUBSCRIBE } from "../../src/mqtt/constants.js";
import { Child } from "../examples/spawn.js";
import { RedisServer, startNode, type Node } from "./cluster-redis.js";

const LONG = 20_000;
let redis: RedisServer;
let nodes: Node[] = [];
let loop: Loop;
const manager = new Manager();

before(async () => {
  redis = await RedisServer.start();
  nodes = await Promise.all([startNode(redis.url), startNode(redis.url), startNode(redis.url)]);
  loop = startLoop(manager);
});
after(async () => {
  await loop.stop();
  for (const n of nodes) await n.stop();
  await redis.stop();
});

async function client(node: Node, opts: MqttConnectOptions = {}): Promise<[Connection, Recorder]> {
  const rec = new Recorder();
  const c = manager.mqttConnect(node.url, rec.handler, opts);
  await waitFor(() => rec.opens.length > 0, LONG, "CONNACK");
  assert.deepEqual(rec.opens, [0]);
  return [c, rec];
}

async function subscribed(node: Node, opts: MqttConnectOptions, ...filters: [string, number][]): Promise<[Connection, Recorder]> {
  const [c, rec] = await client(node, opts);
  for (const [f, qos] of filters) { const id = c.mqttSub(f, { qos }); await waitFor(() => rec.has(MQTT_CMD_SUBACK, id), LONG, "SUBACK"); }
  return [c, rec];
}

const waitMsgs = (rec: Recorder, n: number, what = `${n} messages`): Promise<void> => waitFor(() => rec.msgs.length >= n, LONG, what);
const texts = (rec: Recorder): string[] => rec.msgs.map((m) => m.text);

/** Publishes `topic` on `node` in a loop until `rec` has a message on it: the subscription is known across the cluster. */
async function primed(pub: Connection, rec: Recorder, topic: string): Promise<void> {
  const deadline = Date.now() + LONG;
  while (!rec.msgs.some((m) => m.topic === topic)) {
    if (Date.now() > deadline) throw new Error(`no ${topic} across the cluster`);
    pub.mqttPub(topic, "probe");
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function closed(c: Connection): Promise<void> { await waitFor(() => c.isClosing, LONG, "closed"); }

test("QoS 0, 1 and 2 across nodes: each node delivers to its own subscribers with its own flow", async () => {
  const [, rb] = await subscribed(nodes[1]!, {}, ["x/q/#", 2]);
  const [, rc] = await subscribed(nodes[2]!, { version: 5 }, ["x/q/#", 1]);
  const [p] = await client(nodes[0]!);
  p.mqttPub("x/q/0", "zero", { qos: 0 });
  p.mqttPub("x/q/1", "one", { qos: 1 });
  p.mqttPub("x/q/2", "two", { qos: 2 });
  // mosquitto_pub on the third node, QoS 2.
  assert.equal((await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(nodes[2]!.port), "-t", "x/q/m", "-m", "mosq", "-q", "2"], { timeoutMs: LONG })).code, 0);
  await waitMsgs(rb, 4);
  await waitMsgs(rc, 4);
  const byText = (rec: Recorder): Record<string, number> => Object.fromEntries(rec.msgs.map((m) => [m.text, m.qos]));
  assert.deepEqual(byText(rb), { zero: 0, one: 1, two: 2, mosq: 2 });
  assert.deepEqual(byText(rc), { zero: 0, one: 1, two: 1, mosq: 1 }, "granted QoS 1 caps what node C sends");
  // In publishing order from one node.
  assert.deepEqual(texts(rb).filter((t) => t !== "mosq"), ["zero", "one", "two"]);
  for (const c of [p]) c.mqttDisconnect();
});

test("mosquitto_sub on one node gets what our client publishes on another", async () => {
  const sub = new Child("mosquitto_sub", ["-h", "127.0.0.1", "-p", String(nodes[2]!.port), "-t", "x/mosq", "-q", "1", "-C", "1", "-v"]);
  const [p, rp] = await subscribed(nodes[0]!, {}, ["x/mosq", 0]);
  // mosquitto_sub has no "subscribed" line: publish until it got one (it exits after one message).
  const deadline = Date.now() + LONG;
  while (sub.running && Date.now() < deadline) { p.mqttPub("x/mosq", "hello", { qos: 1 }); await new Promise((r) => setTimeout(r, 100)); }
  assert.equal(await sub.exit(), 0);
  assert.equal(sub.stdout, "x/mosq hello\n");
  assert.ok(rp.msgs.length > 0);
  p.mqttDisconnect();
});

test("retained messages are shared: live on other nodes, kept in Redis for a node started later, cleared everywhere", async () => {
  const [, watch] = await subscribed(nodes[1]!, {}, ["x/ret/#", 1]);
  assert.equal((await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(nodes[0]!.port), "-t", "x/ret/a", "-m", "kept", "-r", "-q", "1"], { timeoutMs: LONG })).code, 0);
  await waitMsgs(watch, 1);
  // Node B has it now: a new subscriber there gets it retained.
  const [, late] = await subscribed(nodes[1]!, {}, ["x/ret/#", 1]);
  await waitMsgs(late, 1);
  assert.deepEqual([late.msgs[0]!.topic, late.msgs[0]!.text, late.msgs[0]!.retain], ["x/ret/a", "kept", true]);
  // A fourth node reads it from Redis at its start.
  const d = await startNode(redis.url);
  try {
    const [, fresh] = await subscribed(d, {}, ["x/ret/#", 1]);
    await waitMsgs(fresh, 1);
    assert.deepEqual([fresh.msgs[0]!.text, fresh.msgs[0]!.retain], ["kept", true]);
    // Cleared on C: gone on B and D too.
    const [pc] = await client(nodes[2]!);
    pc.mqttPub("x/ret/a", "", { qos: 1, retain: true });
    await waitMsgs(watch, 2, "the clearing message");
    await waitMsgs(fresh, 2, "the clearing message on D");
    const [, none] = await subscribed(d, {}, ["x/ret/#", 1]);
    const [probe] = await client(d);
    probe.mqttPub("x/ret/marker", "m", { qos: 1 });
    await waitMsgs(none, 1);
    assert.deepEqual(texts(none), ["m"], "nothing retained any more");
    pc.mqttDisconnect();
    probe.mqttDisconnect();
  } finally {
    await d.stop();
  }
});

test("a persistent session resumes on another node with the QoS 1/2 messages queued while it was away", async () => {
  const opts: MqttConnectOptions = { clientId: "x-persist", clean: false };
  const [s1, r1] = await subscribed(nodes[0]!, opts, ["x/p/#", 2]);
  s1.mqttDisconnect();
  await closed(s1);
  // A watcher on node A: once it has the messages, node A has queued them for the session too.
  const [, watch] = await subscribed(nodes[0]!, {}, ["x/p/#", 2]);
  const [p] = await client(nodes[2]!);
  p.mqttPub("x/p/1", "q1", { qos: 1 });
  p.mqttPub("x/p/2", "q2", { qos: 2 });
  p.mqttPub("x/p/0", "q0", { qos: 0 });
  await waitMsgs(watch, 3);
  // The client comes back on node B.
  const rec = new Recorder();
  manager.mqttConnect(nodes[1]!.url, rec.handler, opts);
  await waitFor(() => rec.opens.length > 0, LONG, "CONNACK on B");
  const ack = rec.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK) as MqttPacket | undefined;
  assert.equal(ack?.sessionPresent, true, "session present on the other node");
  await waitMsgs(rec, 2);
  assert.deepEqual(rec.msgs.map((m) => [m.text, m.qos]), [["q1", 1], ["q2", 2]], "queued QoS 1/2 in order; QoS 0 was not queued");
  // Its subscription came along: live messages reach it on B.
  p.mqttPub("x/p/live", "after", { qos: 1 });
  await waitMsgs(rec, 3);
  assert.equal(rec.msgs[2]!.text, "after");
  assert.equal(r1.msgs.length, 0);
  // Clean up the session (a clean start ends it).
  const [cl] = await client(nodes[1]!, { clientId: "x-persist", clean: true });
  cl.mqttDisconnect();
  p.mqttDisconnect();
});

test("messages in flight move with the session: unacknowledged QoS 1 again with DUP, QoS 2 PUBREL again, on another node", async () => {
  const connect = (): Buffer => buildConnect({ version: 4, clientId: "x-inflight", keepAlive: 0, clean: false });
  const r1 = new RawPeer(nodes[0]!.port, 4);
  r1.send(connect());
  await r1.wait(MQTT_CMD_CONNACK, 1, LONG);
  r1.send(buildSubscribe(MQTT_CMD_SUBSCRIBE, 4, 1, [{ topic: "x/if/#", options: 2 }]));
  await r1.wait(MQTT_CMD_SUBACK, 1, LONG);
  const [p] = await client(nodes[2]!);
  p.mqttPub("x/if/1", "one", { qos: 1 });
  p.mqttPub("x/if/2", "two", { qos: 2 });
  const [m1, m2] = await r1.wait(MQTT_CMD_PUBLISH, 2, LONG);
  assert.deepEqual([m1!.text, m1!.qos, m2!.text, m2!.qos], ["one", 1, "two", 2]);
  // QoS 2 goes as far as PUBREL; QoS 1 is not acknowledged. Then the client is gone.
  r1.send(buildAck(MQTT_CMD_PUBREC, 4, m2!.id));
  await r1.wait(MQTT_CMD_PUBREL, 1, LONG);
  // A watcher on node A: a message after these has reached node A, so their state is in Redis.
  const [, watch] = await subscribed(nodes[0]!, {}, ["x/if-mark", 0]);
  await primed(p, watch, "x/if-mark");
  r1.end();
  await r1.waitClosed(LONG);
  const r2 = new RawPeer(nodes[1]!.port, 4);
  r2.send(connect());
  const [ack] = await r2.wait(MQTT_CMD_CONNACK, 1, LONG);
  assert.equal(ack!.sessionPresent, true);
  const [again] = await r2.wait(MQTT_CMD_PUBLISH, 1, LONG);
  assert.deepEqual([again!.text, again!.id, again!.dup], ["one", m1!.id, true], "QoS 1 again, same id, DUP");
  const [rel] = await r2.wait(MQTT_CMD_PUBREL, 1, LONG);
  assert.equal(rel!.id, m2!.id, "QoS 2 continues at PUBREL");
  r2.send(buildAck(MQTT_CMD_PUBACK, 4, m1!.id));
  r2.send(buildAck(MQTT_CMD_PUBCOMP, 4, m2!.id));
  r2.end();
  // End the session.
  const [endc] = await client(nodes[1]!, { clientId: "x-inflight", clean: true });
  endc.mqttDisconnect();
  p.mqttDisconnect();
});

test("takeover across nodes: the first connection gets DISCONNECT 0x8E, the session goes on at the second, messages once", async () => {
  const props = { version: 5 as const, clientId: "x-take", clean: false, sessionExpiry: 300 };
  const [first, r1] = await subscribed(nodes[0]!, props, ["x/t/#", 1]);
  const rec = new Recorder();
  const second = manager.mqttConnect(nodes[1]!.url, rec.handler, props);
  await waitFor(() => rec.opens.length > 0, LONG, "CONNACK on B");
  assert.deepEqual(rec.opens, [0]);
  assert.equal((rec.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK) as MqttPacket | undefined)?.sessionPresent, true);
  await waitFor(() => r1.has(MQTT_CMD_DISCONNECT), LONG, "DISCONNECT on A");
  assert.equal(r1.cmds.find((m) => m.cmd === MQTT_CMD_DISCONNECT)!.ack, 0x8e);
  await closed(first);
  const [p] = await client(nodes[2]!);
  p.mqttPub("x/t/a", "once", { qos: 1 });
  p.mqttPub("x/t/b", "end", { qos: 1 });
  await waitMsgs(rec, 2);
  assert.deepEqual(texts(rec), ["once", "end"]);
  assert.equal(r1.msgs.length, 0);
  // MQTT 3.1.1 takeover on a third node: the old connection is closed (no DISCONNECT in 3.1.1).
  const [old3] = await client(nodes[0]!, { clientId: "x-take4" });
  const [new3] = await client(nodes[2]!, { clientId: "x-take4" });
  await closed(old3);
  assert.ok(!new3.isClosing);
  second.mqttDisconnect(0, [{ id: 0x11, iv: 0 }]);
  new3.mqttDisconnect();
  p.mqttDisconnect();
});

test("wills fire once across the cluster (a dropped client, a takeover with clean start)", async () => {
  const subs = await Promise.all(nodes.map((n) => subscribed(n, {}, ["x/w/#", 1])));
  const [dying] = await client(nodes[1]!, { clientId: "x-dying", will: { topic: "x/w/dropped", message: "bye", qos: 1 } });
  dying.close();
  // A v5 client with a will, taken over from another node with a clean start: its will goes out once.
  const [taken] = await client(nodes[0]!, { version: 5, clientId: "x-willtake", will: { topic: "x/w/taken", message: "gone", qos: 1 } });
  const [taker] = await client(nodes[2]!, { version: 5, clientId: "x-willtake", clean: true });
  await closed(taken);
  const [m] = await client(nodes[0]!);
  // Markers from every node that sent a will: each subscriber has both wills before both markers.
  const [m2] = await client(nodes[1]!);
  m.mqttPub("x/w/marker", "a", { qos: 1 });
  m2.mqttPub("x/w/marker", "b", { qos: 1 });
  for (const [, r] of subs) {
    await waitFor(() => r.msgs.filter((x) => x.topic === "x/w/marker").length === 2, LONG, "markers");
    const wills = r.msgs.filter((x) => x.topic !== "x/w/marker").map((x) => x.text).sort();
    assert.deepEqual(wills, ["bye", "gone"]);
  }
  for (const c of [taker, m, m2, ...subs.map(([c]) => c)]) c.mqttDisconnect();
});

test("a shared subscription across nodes delivers each message to one member", async () => {
  const members = await Promise.all(nodes.map((n, i) => subscribed(n, { version: 5, clientId: `x-share-${i}` }, ["$share/g/x/s/#", 1])));
  const [p] = await client(nodes[0]!);
  // Publish until every member got one (the members are then known on every node), counting all.
  let sent = 0;
  const got = (): number => members.reduce((n, [, r]) => n + r.msgs.length, 0);
  const deadline = Date.now() + LONG;
  while (members.some(([, r]) => r.msgs.length === 0)) {
    if (Date.now() > deadline) throw new Error(`members without messages: ${members.map(([, r]) => r.msgs.length).join(" ")}`);
    p.mqttPub("x/s/m", `m${sent++}`, { qos: 1 });
    await new Promise((r) => setTimeout(r, 20));
  }
  for (let i = 0; i < 30; i++) p.mqttPub("x/s/m", `m${sent++}`, { qos: 1 });
  await waitFor(() => got() >= sent, LONG, `${sent} shared messages`);
  // A little more time for duplicates, if any, to show: a marker through a plain subscriber on each node.
  const watchers = await Promise.all(nodes.map((n) => subscribed(n, {}, ["x/shared-end", 0])));
  await primed(p, watchers[2]![1], "x/shared-end");
  for (const [, w] of watchers) await waitFor(() => w.msgs.length > 0, LONG, "marker");
  const all = members.flatMap(([, r]) => texts(r)).sort();
  assert.equal(all.length, sent, "no message twice");
  assert.equal(new Set(all).size, sent);
  for (const [c] of [...members, ...watchers]) c.mqttDisconnect();
  p.mqttDisconnect();
});

test("packets sent before the CONNACK wait for the session: CONNECT, SUBSCRIBE and PUBLISH in one write", async () => {
  const raw = new RawPeer(nodes[1]!.port, 4);
  const [, watch] = await subscribed(nodes[0]!, {}, ["x/raw/#", 0]);
  raw.send(Buffer.concat([
    buildConnect({ version: 4, clientId: "x-raw", keepAlive: 0, clean: true }),
    buildSubscribe(MQTT_CMD_SUBSCRIBE, 4, 7, [{ topic: "x/raw/#", options: 1 }]),
    buildPublish(4, "x/raw/early", Buffer.from("early"), 0, false, false, 0, undefined),
  ]));
  await raw.wait(MQTT_CMD_CONNACK, 1, LONG);
  await raw.wait(MQTT_CMD_SUBACK, 1, LONG);
  assert.equal(raw.of(MQTT_CMD_SUBACK)[0]!.id, 7);
  // The early PUBLISH went out after the session was there: to its own subscription too, and to node A.
  await waitFor(() => watch.msgs.some((m) => m.text === "early"), LONG, "the early message on node A");
  await raw.wait(MQTT_CMD_PUBLISH, 1, LONG);
  assert.equal(raw.of(MQTT_CMD_PUBLISH)[0]!.topic, "x/raw/early");
  raw.end();
});

test("a delayed will is cancelled when its client comes back on another node in time, and fires once when it does not", async () => {
  const [, w] = await subscribed(nodes[2]!, {}, ["x/dw/#", 1]);
  const will = (topic: string): MqttConnectOptions["will"] => ({ topic, message: "late", qos: 1, props: [{ id: MQTT_PROP_WILL_DELAY_INTERVAL, iv: 60 }] });
  const [back] = await client(nodes[0]!, { version: 5, clientId: "x-dw-back", clean: false, sessionExpiry: 300, will: will("x/dw/back") });
  back.close();
  await closed(back);
  // It comes back on node B before the delay: no will.
  const [again] = await client(nodes[1]!, { version: 5, clientId: "x-dw-back", clean: false, sessionExpiry: 300 });
  // This one has a 1 s delay and does not come back: its will goes out once (from node A's clock).
  const [gone] = await client(nodes[0]!, { version: 5, clientId: "x-dw-gone", clean: false, sessionExpiry: 300, will: { topic: "x/dw/gone", message: "bye", qos: 1, props: [{ id: MQTT_PROP_WILL_DELAY_INTERVAL, iv: 1 }] } });
  gone.close();
  await waitFor(() => w.msgs.some((m) => m.topic === "x/dw/gone"), LONG, "the delayed will");
  const [m] = await client(nodes[0]!);
  m.mqttPub("x/dw/marker", "m", { qos: 1 });
  await waitFor(() => w.msgs.some((x) => x.topic === "x/dw/marker"), LONG, "marker");
  assert.deepEqual(w.msgs.map((x) => x.topic), ["x/dw/gone", "x/dw/marker"]);
  again.mqttDisconnect(0, [{ id: 0x11, iv: 0 }]);
  const [end] = await client(nodes[2]!, { version: 5, clientId: "x-dw-gone", clean: true });
  end.mqttDisconnect();
  m.mqttDisconnect();
});

test("a node that stops gracefully leaves its sessions to the others at once", async () => {
  const d = await startNode(redis.url);
  const opts: MqttConnectOptions = { version: 5, clientId: "x-graceful", clean: false, sessionExpiry: 300 };
  const [c1] = await subscribed(d, opts, ["x/g/#", 1]);
  assert.equal(await d.stop(), 0, "the node closed gracefully");
  await closed(c1);
  const rec = new Recorder();
  manager.mqttConnect(nodes[0]!.url, rec.handler, opts);
  await waitFor(() => rec.opens.length > 0, LONG, "CONNACK");
  assert.equal((rec.cmds.find((x) => x.cmd === MQTT_CMD_CONNACK) as MqttPacket | undefined)?.sessionPresent, true);
  const [p] = await client(nodes[1]!);
  p.mqttPub("x/g/a", "kept", { qos: 1 });
  await waitMsgs(rec, 1);
  assert.equal(rec.msgs[0]!.text, "kept");
  p.mqttDisconnect();
});

test("tsmongoose mqtt-broker --redis: two CLI brokers are one broker", async () => {
  const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
  const a = new Child(process.execPath, [cli, "mqtt-broker", "--listen", "mqtt://127.0.0.1:0", "--redis", redis.url, "--quiet"]);
  const b = new Child(process.execPath, [cli, "mqtt-broker", "--listen", "mqtt://127.0.0.1:0", "--redis", redis.url, "--quiet"]);
  try {
    const pa = Number((await a.waitFor(/127\.0\.0\.1:(\d+)/, LONG))[1]);
    const pb = Number((await b.waitFor(/127\.0\.0\.1:(\d+)/, LONG))[1]);
    const na: Node = { ...nodes[0]!, port: pa, url: `mqtt://127.0.0.1:${pa}` };
    const nb: Node = { ...nodes[0]!, port: pb, url: `mqtt://127.0.0.1:${pb}` };
    const [, rb] = await subscribed(nb, {}, ["x/cli", 1]);
    const [p] = await client(na);
    await primed(p, rb, "x/cli");
    p.mqttDisconnect();
  } finally {
    assert.equal(await a.stop(), 0);
    assert.equal(await b.stop(), 0);
  }
  // --redis with --data is a usage error.
  const bad = await run(process.execPath, [cli, "mqtt-broker", "--redis", redis.url, "--data", "/tmp/x"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--redis and --data/);
  const badUrl = await run(process.execPath, [cli, "mqtt-broker", "--redis", "localhost:6379"]);
  assert.equal(badUrl.code, 2);
  assert.match(badUrl.stderr, /cluster\.redis must be a redis:\/\/ or rediss:\/\/ URL/);
});

test("tsmongoose mqtt-broker --workers 2 --redis: the workers are nodes of one cluster (no warning)", async () => {
  const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
  const child = new Child(process.execPath, [cli, "mqtt-broker", "--listen", "mqtt://127.0.0.1:0", "--workers", "2", "--redis", redis.url, "--quiet"]);
  try {
    const port = Number((await child.waitFor(/127\.0\.0\.1:(\d+)/, LONG))[1]);
    const n: Node = { ...nodes[0]!, port, url: `mqtt://127.0.0.1:${port}` };
    // The primary hands connections to the workers in turn: these five are on both.
    const subs = [];
    for (let i = 0; i < 4; i++) subs.push(await subscribed(n, {}, ["x/wk", 1]));
    const [p] = await client(n);
    for (const [, r] of subs) await primed(p, r, "x/wk");
    p.mqttDisconnect();
    for (const [c] of subs) c.mqttDisconnect();
  } finally {
    assert.equal(await child.stop(), 0);
  }
  assert.doesNotMatch(child.stderr, /independent brokers/);
});

test("the cluster option is checked where given; without it the Redis client is never loaded", async () => {
  const m = new Manager();
  for (const cluster of [null, "redis://127.0.0.1:1", { redis: "http://127.0.0.1:6379" }, { redis: 6379 }, { redis: "redis://127.0.0.1", prefix: "" }, { redis: "redis://127.0.0.1", nope: 1 }]) {
    assert.throws(() => new MqttBroker(m, { listen: "mqtt://127.0.0.1:0", cluster: cluster as never }), { code: "ERR_INVALID_OPTION" }, JSON.stringify(cluster));
  }
  assert.throws(() => new MqttBroker(m, { listen: "mqtt://127.0.0.1:0", cluster: { redis: redis.url }, persistence: { dir: "/tmp/nope" } }), { code: "ERR_INVALID_OPTION" });
  await m.close();
  // In a child: a broker without `cluster` has no ioredis module in the module cache; one with it has.
  const index = fileURLToPath(new URL("../../src/index.js", import.meta.url));
  const script = `
    import { createRequire } from "node:module";
    const { Manager, MqttBroker } = await import(${JSON.stringify(index)});
    const loaded = () => Object.keys(createRequire(process.cwd() + "/x.js").cache).some((k) => k.includes("/node_modules/ioredis/"));
    const m = new Manager();
    const b = new MqttBroker(m, { listen: "mqtt://127.0.0.1:0" });
    await m.poll(10);
    const before = loaded();
    const c = new MqttBroker(m, { listen: "mqtt://127.0.0.1:0", cluster: { redis: ${JSON.stringify(redis.url)} } });
    await c.ready;
    console.log(JSON.stringify({ before, after: loaded() }));
    await m.close();
  `;
  const r = await run(process.execPath, ["--input-type=module", "-e", script], { timeoutMs: LONG });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { before: false, after: true });
});

leakCheckAfterAll();
