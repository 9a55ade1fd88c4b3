// The MQTT client against a real broker (mosquitto from Debian).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  Manager, MQTT_CMD_CONNACK, MQTT_CMD_PINGRESP, MQTT_CMD_PUBACK, MQTT_CMD_PUBCOMP, MQTT_CMD_PUBREC, MQTT_CMD_SUBACK,
  MQTT_CMD_UNSUBACK, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, MQTT_PROP_USER_PROPERTY, MQTT_PROP_CONTENT_TYPE,
  MQTT_PROP_CORRELATION_DATA, type Connection, type MqttConnectOptions,
} from "../../src/index.js";
import { startLoop, run, waitFor, type Loop, leakCheckAfterAll } from "../helpers.js";
import { startMosquitto, Recorder, type Broker } from "./peers.js";

let broker: Broker;
let loop: Loop;
before(async () => { broker = await startMosquitto(); loop = startLoop(new Manager()); });
after(async () => { await loop.stop(); await broker.stop(); });

async function client(opts: MqttConnectOptions = {}): Promise<[Connection, Recorder]> {
  const rec = new Recorder();
  const c = loop.manager.mqttConnect(broker.url, rec.handler, opts);
  await rec.waitOpen();
  assert.deepEqual(rec.opens, [0]);
  assert.ok(rec.has(MQTT_CMD_CONNACK));
  return [c, rec];
}

for (const version of [4, 5] as const) {
  test(`v${version}: subscribe and publish round trips at QoS 0, 1 and 2`, async () => {
    const [c, rec] = await client({ version });
    const subId = c.mqttSub(`t/v${version}/#`, { qos: 2 });
    assert.ok(subId > 0);
    await rec.waitCmd(MQTT_CMD_SUBACK, subId);
    const suback = rec.cmds.find((m) => m.cmd === MQTT_CMD_SUBACK)!;
    assert.equal(suback.data[0], 2, "granted QoS 2");
    assert.equal(c.mqttPub(`t/v${version}/q0`, "zero"), 0);
    const id1 = c.mqttPub(`t/v${version}/q1`, "one", { qos: 1 });
    const id2 = c.mqttPub(`t/v${version}/q2`, Buffer.from([0, 1, 2, 255]), { qos: 2 });
    assert.ok(id1 > 0 && id2 > 0 && id1 !== id2);
    await rec.waitMsgs(3);
    await rec.waitCmd(MQTT_CMD_PUBACK, id1, "PUBACK");
    await rec.waitCmd(MQTT_CMD_PUBCOMP, id2, "PUBCOMP");
    assert.ok(rec.has(MQTT_CMD_PUBREC, id2));
    const byTopic = new Map(rec.msgs.map((m) => [m.topic, m]));
    assert.equal(byTopic.get(`t/v${version}/q0`)!.text, "zero");
    assert.equal(byTopic.get(`t/v${version}/q0`)!.qos, 0);
    assert.equal(byTopic.get(`t/v${version}/q1`)!.qos, 1);
    assert.equal(byTopic.get(`t/v${version}/q2`)!.qos, 2);
    assert.deepEqual([...byTopic.get(`t/v${version}/q2`)!.data], [0, 1, 2, 255]);
    // The broker's QoS 2 flow towards us completed: a later message still flows.
    c.mqttPub(`t/v${version}/q2`, "again", { qos: 2 });
    await rec.waitMsgs(4);
    const un = c.mqttUnsub(`t/v${version}/#`);
    await rec.waitCmd(MQTT_CMD_UNSUBACK, un);
    c.mqttDisconnect();
    await waitFor(() => rec.closed, 5000, "close");
    assert.deepEqual(rec.errors, []);
  });
}

test("retained messages reach later subscribers with the retain flag", async () => {
  const [a, ra] = await client();
  a.mqttPub("retained/x", "kept", { qos: 1, retain: true });
  await ra.waitCmd(MQTT_CMD_PUBACK);
  const [b, rb] = await client({ version: 5 });
  b.mqttSub("retained/+", { qos: 1 });
  await rb.waitMsgs(1);
  assert.equal(rb.msgs[0]!.text, "kept");
  assert.equal(rb.msgs[0]!.retain, true);
  a.mqttPub("retained/x", "", { qos: 1, retain: true }); // clears it
  await waitFor(() => rb.msgs.length === 2);
  a.mqttDisconnect(); b.mqttDisconnect();
});

test("the will is published when our client drops without DISCONNECT", async () => {
  const [watcher, rw] = await client();
  watcher.mqttSub("wills/#", { qos: 1 });
  await rw.waitCmd(MQTT_CMD_SUBACK);
  const [dying] = await client({ clientId: "dying-client", will: { topic: "wills/dying", message: "gone", qos: 1 } });
  dying.close(); // no DISCONNECT
  await rw.waitMsgs(1);
  assert.equal(rw.msgs[0]!.topic, "wills/dying");
  assert.equal(rw.msgs[0]!.text, "gone");
  // A clean DISCONNECT discards the will.
  const [polite] = await client({ will: { topic: "wills/polite", message: "x" } });
  polite.mqttDisconnect();
  watcher.mqttPub("wills/marker", "m", { qos: 1 });
  await waitFor(() => rw.msgs.some((m) => m.topic === "wills/marker"));
  assert.ok(!rw.msgs.some((m) => m.topic === "wills/polite"));
  watcher.mqttDisconnect();
});

test("keep alive: PINGREQ goes out when idle and PINGRESP comes back", async () => {
  const [c, rec] = await client({ keepAlive: 1 });
  await waitFor(() => rec.has(MQTT_CMD_PINGRESP), 5000, "PINGRESP");
  assert.equal(c.isClosing, false);
  assert.deepEqual(rec.errors, []);
  c.mqttDisconnect();
});

test("v5 properties travel: user properties, message expiry, content type, correlation data", async () => {
  const [sub, rs] = await client({ version: 5 });
  sub.mqttSub("props/t", { qos: 1 });
  await rs.waitCmd(MQTT_CMD_SUBACK);
  // Retained, so mosquitto_sub gets it however late it subscribes.
  const sidecar = run("mosquitto_sub", ["-V", "5", "-p", String(broker.port), "-h", "127.0.0.1", "-t", "props/t", "-C", "1", "-F", "%P %p"], { timeoutMs: 8000 });
  const [pub] = await client({ version: 5 });
  pub.mqttPub("props/t", "with props", {
    qos: 1,
    retain: true,
    props: [
      { id: MQTT_PROP_USER_PROPERTY, key: "k1", val: "v1" },
      { id: MQTT_PROP_USER_PROPERTY, key: "k2", val: "ü" },
      { id: MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, iv: 3600 },
      { id: MQTT_PROP_CONTENT_TYPE, val: "text/plain" },
      { id: MQTT_PROP_CORRELATION_DATA, bin: Buffer.from([1, 2, 3]) },
    ],
  });
  await rs.waitMsgs(1);
  const props = rs.msgs[0]!.properties();
  const users = props.filter((p) => p.id === MQTT_PROP_USER_PROPERTY).map((p) => [p.key, p.val]);
  assert.deepEqual(users, [["k1", "v1"], ["k2", "ü"]]);
  const expiry = props.find((p) => p.id === MQTT_PROP_MESSAGE_EXPIRY_INTERVAL);
  assert.ok(expiry !== undefined && expiry.iv! > 3500 && expiry.iv! <= 3600);
  assert.equal(props.find((p) => p.id === MQTT_PROP_CONTENT_TYPE)?.val, "text/plain");
  assert.deepEqual([...(props.find((p) => p.id === MQTT_PROP_CORRELATION_DATA)!.bin!)], [1, 2, 3]);
  const out = await sidecar;
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /k1:v1/);
  assert.match(out.stdout, /with props/);
  sub.mqttDisconnect(); pub.mqttDisconnect();
});

test("messages from mosquitto_pub arrive; ours reach mosquitto_sub", async () => {
  const [c, rec] = await client();
  c.mqttSub("cli/in", { qos: 2 });
  await rec.waitCmd(MQTT_CMD_SUBACK);
  const r = await run("mosquitto_pub", ["-p", String(broker.port), "-h", "127.0.0.1", "-t", "cli/in", "-q", "2", "-m", "from cli"]);
  assert.equal(r.code, 0, r.stderr);
  await rec.waitMsgs(1);
  assert.equal(rec.msgs[0]!.text, "from cli");
  assert.equal(rec.msgs[0]!.qos, 2);
  const sidecar = run("mosquitto_sub", ["-p", String(broker.port), "-h", "127.0.0.1", "-t", "cli/out", "-C", "1", "-q", "1"], { timeoutMs: 8000 });
  c.mqttPub("cli/out", "to cli", { qos: 1, retain: true }); // retained: seen however late mosquitto_sub subscribes
  const out = await sidecar;
  assert.equal(out.stdout.trim(), "to cli");
  c.mqttDisconnect();
});

test("a refused CONNECT: MG_EV_MQTT_OPEN with the return code, then close", async () => {
  const locked = await startMosquitto("allow_anonymous false\n");
  try {
    for (const version of [4, 5] as const) {
      const rec = new Recorder();
      loop.manager.mqttConnect(`mqtt://user:secret@127.0.0.1:${locked.port}`, rec.handler, { version });
      await rec.waitOpen();
      // 3.1.1: 5 not authorized; 5.0: 0x86 bad user name or password, or 0x87 not authorized.
      assert.ok(version === 4 ? rec.opens[0] === 5 : rec.opens[0] === 0x86 || rec.opens[0] === 0x87, `code ${rec.opens[0]}`);
      await waitFor(() => rec.closed, 5000, "close");
    }
  } finally {
    await locked.stop();
  }
});

test("bad options throw before connecting", () => {
  assert.throws(() => loop.manager.mqttConnect(broker.url, { version: 3 as 4 }), /version/);
  assert.throws(() => loop.manager.mqttConnect(broker.url, { keepAlive: 70000 }), /keepAlive/);
  assert.throws(() => loop.manager.mqttConnect(broker.url, { will: { topic: "a", message: "b", qos: 3 } }), /option will\.qos must be an integer from 0 to 2, got 3/);
  assert.throws(() => loop.manager.mqttConnect("http://127.0.0.1:1"), /mqtt:\/\//);
  assert.throws(() => loop.manager.mqttConnect(broker.url, { props: [{ id: MQTT_PROP_USER_PROPERTY, key: "a", val: "b" }] }), /version 5/);
});

// mqttConnect's options, wrong: [options, a fragment of the message]. Each throws
// ERR_INVALID_OPTION before anything connects.
const BAD_CONNECT: [Record<string, unknown>, string][] = [
  [{ clientId: 5 }, "option clientId must be a string, got 5"],
  [{ user: {} }, "option user must be a string, got an object"],
  [{ pass: 5 }, "option pass must be a string or a Uint8Array, got 5"],
  [{ will: "bye" }, 'option will must be an object, got "bye"'],
  [{ will: { message: "b" } }, "option will.topic must be a string, got undefined"],
  [{ will: { topic: 5, message: "b" } }, "option will.topic must be a string, got 5"],
  [{ will: { topic: "a" } }, "option will.message must be a string or a Uint8Array, got undefined"],
  [{ will: { topic: "a", message: "b", retain: "yes" } }, 'option will.retain must be true or false, got "yes"'],
  [{ will: { topic: "a", message: "b", props: {} } }, "option will.props must be an array, got an object"],
  [{ props: 5 }, "option props must be an array, got 5"],
  [{ version: 5, authMethod: 5 }, "option authMethod must be a string, got 5"],
  [{ version: 5, authMethod: "m", authData: 5 }, "option authData must be a string or a Uint8Array, got 5"],
  [{ clean: "no" }, 'option clean must be true or false, got "no"'],
  [{ connectTimeoutMs: 0 }, "option connectTimeoutMs must be a positive integer, got 0"],
  [{ version: 5, auth: 5 }, "option auth must be a function, got 5"],
];

test("mqttConnect checks each option where it is given (ERR_INVALID_OPTION naming it)", () => {
  const m = new Manager();
  for (const [o, fragment] of BAD_CONNECT) {
    const what = JSON.stringify(o);
    assert.throws(() => m.mqttConnect(broker.url, o as MqttConnectOptions), (e: Error & { code?: string }) => {
      assert.equal(e.code, "ERR_INVALID_OPTION", `${what}: ${e.message}`);
      assert.ok(e.message.includes(fragment), `${what}: ${JSON.stringify(e.message)} lacks ${JSON.stringify(fragment)}`);
      return true;
    }, what);
  }
  // Over WebSocket the handshake's options are checked too.
  assert.throws(() => m.mqttConnect("ws://127.0.0.1:1/mqtt", { headers: 5 } as unknown as MqttConnectOptions), /option headers must be/);
  assert.equal(m.connections.length, 0, "no connection is left behind");
});

test("a full, valid mqttConnect options object connects", async () => {
  const [c] = await client({
    clientId: "full-opts", user: "u", pass: "p", keepAlive: 30, clean: true, version: 5,
    will: { topic: "full/will", message: "gone", qos: 1, retain: false, props: [] },
    props: [{ id: MQTT_PROP_USER_PROPERTY, key: "k", val: "v" }], connectTimeoutMs: 5000, sessionExpiry: 0,
    topicAliasMaximum: 5, useTopicAliases: true, maxQueuedPublishes: 100, mqttMaxPacketSize: 1 << 20,
  });
  c.mqttDisconnect();
  await waitFor(() => c.isClosed);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
