// MqttBroker with mosquitto_pub / mosquitto_sub and our client as peers, and the CLI's mqtt-broker.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as net from "node:net";
import {
  Manager, MqttBroker, MQTT_CMD_SUBACK, MQTT_CMD_CONNACK, MQTT_PROP_USER_PROPERTY, MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER,
  type MqttConnectOptions, type Connection, type MqttPacket,
} from "../../src/index.js";
import { buildConnect } from "../../src/mqtt/builder.js";
import { startLoop, run, waitFor, leakCheckAfterAll } from "../helpers.js";
import { Recorder } from "./peers.js";

const manager = new Manager();
const denied: string[] = [];
const broker = new MqttBroker(manager, {
  listen: "mqtt://127.0.0.1:0",
  authenticate: (user, pass) => user !== "mallory" || pass === "letmein",
  authorize: (clientId, topic, action) => {
    const ok = !topic.startsWith("secret/") || clientId === "boss";
    if (!ok) denied.push(`${clientId} ${action} ${topic}`);
    return ok;
  },
});
const port = broker.listener.localAddr.port;
const url = `mqtt://127.0.0.1:${port}`;
const loop = startLoop(manager);
after(() => loop.stop());

async function client(opts: MqttConnectOptions = {}, code = 0): Promise<[Connection, Recorder]> {
  const rec = new Recorder();
  const c = manager.mqttConnect(url, rec.handler, opts);
  await rec.waitOpen();
  assert.deepEqual(rec.opens, [code]);
  return [c, rec];
}

async function subscribed(opts: MqttConnectOptions, ...filters: [string, number][]): Promise<[Connection, Recorder]> {
  const [c, rec] = await client(opts);
  for (const [f, qos] of filters) { const id = c.mqttSub(f, { qos }); await rec.waitCmd(MQTT_CMD_SUBACK, id); }
  return [c, rec];
}

const sub = (args: string[]): ReturnType<typeof run> => run("mosquitto_sub", ["-h", "127.0.0.1", "-p", String(port), ...args], { timeoutMs: 10000 });
const pub = (args: string[]): ReturnType<typeof run> => run("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(port), ...args], { timeoutMs: 10000 });
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));

test("mosquitto_pub to mosquitto_sub through the broker, v3.1.1 and v5, QoS 0/1/2, wildcards", async () => {
  for (const v of ["mqttv311", "mqttv5"]) {
    const subs = broker.subscriptionCount;
    const s = sub(["-V", v, "-t", `m/${v}/+/x`, "-t", `n/${v}/#`, "-q", "2", "-C", "3", "-v"]);
    await waitFor(() => broker.subscriptionCount === subs + 2, 5000, "mosquitto_sub subscribed");
    for (const [topic, q] of [[`m/${v}/a/x`, "0"], [`n/${v}`, "1"], [`n/${v}/b/c`, "2"], [`m/${v}/a/y`, "2"]]) {
      const r = await pub(["-V", v, "-t", topic!, "-q", q!, "-m", `q${q}`]);
      assert.equal(r.code, 0, r.stderr);
    }
    const out = await s;
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(out.stdout.trim().split("\n").sort(), [`m/${v}/a/x q0`, `n/${v} q1`, `n/${v}/b/c q2`].sort());
  }
});

test("delivery QoS is the lower of publish and subscription QoS", async () => {
  const [low, rlow] = await subscribed({}, ["qos/t", 0]);
  const [high, rhigh] = await subscribed({ version: 5 }, ["qos/t", 2]);
  const [p] = await client();
  p.mqttPub("qos/t", "a", { qos: 2 });
  p.mqttPub("qos/t", "b", { qos: 1 });
  await rlow.waitMsgs(2);
  await rhigh.waitMsgs(2);
  assert.deepEqual(rlow.msgs.map((m) => `${m.text}${m.qos}`), ["a0", "b0"]);
  assert.deepEqual(rhigh.msgs.map((m) => `${m.text}${m.qos}`), ["a2", "b1"]);
  for (const c of [low, high, p]) c.mqttDisconnect();
});

test("retained messages: kept, delivered on subscribe with the retain flag, cleared by an empty payload", async () => {
  const r = await pub(["-t", "ret/a", "-m", "kept", "-r", "-q", "1"]);
  assert.equal(r.code, 0);
  const [c, rec] = await subscribed({}, ["ret/#", 1]);
  await rec.waitMsgs(1);
  assert.deepEqual([rec.msgs[0]!.topic, rec.msgs[0]!.text, rec.msgs[0]!.retain], ["ret/a", "kept", true]);
  c.mqttPub("ret/a", "live", { qos: 1, retain: true });
  await rec.waitMsgs(2);
  assert.equal(rec.msgs[1]!.retain, false, "live deliveries carry retain 0");
  c.mqttPub("ret/a", "", { retain: true });
  await waitFor(() => !broker.retainedTopics.includes("ret/a"));
  const s = await sub(["-t", "ret/#", "-W", "1"]);
  assert.equal(s.stdout, "", "nothing retained any more");
  c.mqttDisconnect();
});

test("wills: published when a client drops, not after DISCONNECT", async () => {
  const [w, rw] = await subscribed({}, ["will/#", 1]);
  const [dying] = await client({ will: { topic: "will/a", message: "dropped", qos: 1 } });
  dying.close();
  await rw.waitMsgs(1);
  assert.deepEqual([rw.msgs[0]!.topic, rw.msgs[0]!.text, rw.msgs[0]!.qos], ["will/a", "dropped", 1]);
  const [polite] = await client({ will: { topic: "will/b", message: "no" } });
  polite.mqttDisconnect();
  await waitFor(() => polite.isClosing);
  await settle();
  w.mqttPub("will/marker", "m");
  await rw.waitMsgs(2);
  assert.deepEqual(rw.msgs.map((m) => m.topic), ["will/a", "will/marker"]);
  w.mqttDisconnect();
});

test("keep alive: a silent client is cut after 1.5 x keep alive and its will goes out", async () => {
  const [w, rw] = await subscribed({}, ["ka/#", 0]);
  const sock = net.connect(port, "127.0.0.1");
  sock.on("error", () => {});
  sock.resume(); // read (and drop) the CONNACK, so the broker's FIN is seen
  const closed = new Promise<void>((r) => sock.on("close", () => r()));
  sock.write(buildConnect({ version: 4, clientId: "silent", keepAlive: 1, clean: true, will: { topic: "ka/silent", message: "timeout", qos: 0, retain: false } }));
  await closed;
  await rw.waitMsgs(1);
  assert.equal(rw.msgs[0]!.text, "timeout");
  w.mqttDisconnect();
});

test("persistent sessions keep subscriptions and queue QoS 1/2 messages; clean ones do not", async () => {
  for (const version of [4, 5] as const) {
    const id = `persist-v${version}`;
    const persist: MqttConnectOptions = version === 5 ? { version, clientId: id, clean: false, props: [{ id: 0x11, iv: 300 }] } : { version, clientId: id, clean: false };
    const [a, ra] = await subscribed(persist, ["p/#", 2]);
    assert.equal((ra.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK) as MqttPacket).sessionPresent, false);
    a.mqttDisconnect();
    await settle();
    assert.ok(broker.sessionIds.includes(id));
    await pub(["-t", "p/1", "-q", "1", "-m", "one"]);
    await pub(["-t", "p/2", "-q", "2", "-m", "two"]);
    await pub(["-t", "p/0", "-q", "0", "-m", "zero"]);
    const [b, rb] = await client(persist);
    assert.equal((rb.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK) as MqttPacket).sessionPresent, true);
    await rb.waitMsgs(2);
    await settle();
    assert.deepEqual(rb.msgs.map((m) => `${m.topic}=${m.text}@${m.qos}`), ["p/1=one@1", "p/2=two@2"]);
    // Back with a clean session: the old one is gone.
    b.mqttDisconnect();
    await settle();
    const [c, rc] = await client({ version, clientId: id, clean: true });
    assert.equal((rc.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK) as MqttPacket).sessionPresent, false);
    await pub(["-t", "p/3", "-q", "1", "-m", "three"]);
    await settle();
    assert.equal(rc.msgs.length, 0);
    c.mqttDisconnect();
    await waitFor(() => !broker.sessionIds.includes(id), 5000, "clean session removed");
  }
});

test("a second connection with the same client id takes over", async () => {
  const [first, r1] = await client({ clientId: "twin" });
  const [second, r2] = await client({ clientId: "twin" });
  await waitFor(() => r1.closed, 5000, "first closed");
  assert.equal(second.isClosing, false);
  assert.equal(r2.closed, false);
  assert.ok(first.isClosing || r1.closed);
  second.mqttDisconnect();
});

test("authenticate and authorize hooks", async () => {
  await client({ user: "mallory", pass: "wrong" }, 4);
  await client({ user: "mallory", pass: "wrong", version: 5 }, 0x86);
  const [ok] = await client({ user: "mallory", pass: "letmein" });
  ok.mqttDisconnect();
  const [c, rec] = await client({ clientId: "nosy" });
  const id = c.mqttSub("secret/plans", { qos: 1 });
  await rec.waitCmd(MQTT_CMD_SUBACK, id);
  assert.equal(rec.cmds.find((m) => m.cmd === MQTT_CMD_SUBACK)!.data[0], 0x80);
  const [boss, rboss] = await subscribed({ clientId: "boss" }, ["secret/#", 1]);
  c.mqttPub("secret/plans", "leak", { qos: 1 });
  boss.mqttPub("secret/plans", "real", { qos: 1 });
  await rboss.waitMsgs(1);
  await settle();
  assert.deepEqual(rboss.msgs.map((m) => m.text), ["real"]);
  assert.ok(denied.includes("nosy subscribe secret/plans") && denied.includes("nosy publish secret/plans"));
  c.mqttDisconnect(); boss.mqttDisconnect();
});

test("v5: user properties forwarded, no local honoured, empty client id assigned", async () => {
  const rec = new Recorder();
  const c = manager.mqttConnect(url, rec.handler, { version: 5, clientId: "" });
  await rec.waitOpen();
  // (mqttConnect picks a random id when given an empty one; a raw CONNECT below checks the assignment.)
  c.mqttSub("v5/t", { qos: 1, options: 4 /* no local */ });
  c.mqttSub("v5/u", { qos: 1 });
  await waitFor(() => rec.cmds.filter((m) => m.cmd === MQTT_CMD_SUBACK).length === 2);
  c.mqttPub("v5/t", "mine", { qos: 1 });
  c.mqttPub("v5/u", "props", { qos: 1, props: [{ id: MQTT_PROP_USER_PROPERTY, key: "a", val: "b" }] });
  await rec.waitMsgs(1);
  await settle();
  assert.deepEqual(rec.msgs.map((m) => m.text), ["props"]);
  assert.deepEqual(rec.msgs[0]!.properties(), [{ id: MQTT_PROP_USER_PROPERTY, key: "a", val: "b" }]);
  c.mqttDisconnect();
  // A raw v5 CONNECT with an empty id gets an Assigned Client Identifier.
  const got = await new Promise<Buffer>((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(buildConnect({ version: 5, clientId: "", keepAlive: 0, clean: true })));
    s.once("data", (d) => { s.destroy(); resolve(d); });
  });
  assert.equal(got[0], 0x20);
  assert.ok(got.includes(Buffer.from([MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER])) && got.toString("latin1").includes("auto-"));
});

test("broker.publish from the application reaches subscribers; bad topics throw", async () => {
  const [c, rec] = await subscribed({}, ["app/#", 1]);
  broker.publish("app/news", "hello", { qos: 1 });
  await rec.waitMsgs(1);
  assert.deepEqual([rec.msgs[0]!.topic, rec.msgs[0]!.text, rec.msgs[0]!.qos], ["app/news", "hello", 1]);
  assert.throws(() => broker.publish("app/#", "x"), /bad topic/);
  assert.throws(() => broker.publish("a\0b", "x"), /U\+0000/);
  assert.throws(() => broker.publish("a", "x", { qos: 5 }), /QoS/);
  c.mqttDisconnect();
});

test("CLI: tsmongoose mqtt-broker --listen", async () => {
  const child = spawn(process.execPath, ["dist/src/cli.js", "mqtt-broker", "--listen", "mqtt://127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
  after(() => { child.kill("SIGKILL"); });
  let out = "";
  child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
  await waitFor(() => /:(\d+)/.test(out), 5000, "broker banner");
  const p = out.match(/127\.0\.0\.1:(\d+)/)![1]!;
  // Retained, so mosquitto_sub gets it however late it subscribes.
  const s = run("mosquitto_sub", ["-h", "127.0.0.1", "-p", p, "-t", "cli/#", "-C", "1", "-q", "1"], { timeoutMs: 8000 });
  const r = await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", p, "-t", "cli/x", "-q", "1", "-r", "-m", "via cli"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await s).stdout.trim(), "via cli");
  const exited = new Promise((res) => child.once("exit", res));
  child.kill("SIGTERM");
  await exited;
  const help = await run(process.execPath, ["dist/src/cli.js", "mqtt-broker", "--help"]);
  assert.match(help.stdout, /--listen/);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
