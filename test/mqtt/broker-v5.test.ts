// MqttBroker, MQTT 5 features against real peers (Paho's Python client, our client, raw
// sockets): topic aliases, message expiry, session expiry, will delay, session takeover
// and redelivery with DUP=1.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import {
  Manager, MqttBroker, MQTT_CMD_SUBACK, MQTT_CMD_CONNACK, MQTT_CMD_DISCONNECT, MQTT_CMD_PUBLISH, MQTT_CMD_PUBREL,
  MQTT_CMD_PUBREC, MQTT_CMD_SUBSCRIBE, MQTT_PROP_TOPIC_ALIAS, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL,
  MQTT_PROP_SESSION_EXPIRY_INTERVAL, MQTT_PROP_WILL_DELAY_INTERVAL, MQTT_PROP_USER_PROPERTY, MQTT_PROP_TOPIC_ALIAS_MAXIMUM,
  type MqttConnectOptions, type Connection, type MqttPacket,
} from "../../src/index.js";
import { buildAck, buildConnect, buildPublish, buildSimple, buildSubAck, buildSubscribe } from "../../src/mqtt/builder.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";
import { Recorder } from "./peers.js";
import { RawPeer, paho, prop, sleep } from "./broker-raw.js";

const manager = new Manager();
const broker = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0" });
const port = broker.listener.localAddr.port;
const url = `mqtt://127.0.0.1:${port}`;
const loop = startLoop(manager);
after(() => loop.stop());

async function client(opts: MqttConnectOptions = {}): Promise<[Connection, Recorder]> {
  const rec = new Recorder();
  const c = manager.mqttConnect(url, rec.handler, opts);
  await rec.waitOpen();
  assert.deepEqual(rec.opens, [0]);
  return [c, rec];
}

async function subscribed(opts: MqttConnectOptions, filter: string, qos = 1): Promise<[Connection, Recorder]> {
  const [c, rec] = await client(opts);
  const id = c.mqttSub(filter, { qos });
  await rec.waitCmd(MQTT_CMD_SUBACK, id);
  return [c, rec];
}

const connack = (rec: Recorder): MqttPacket => rec.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK) as MqttPacket;
const expiry = (s: number) => [{ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: s }];

test("topic aliases from Paho's client are resolved; CONNACK announces Topic Alias Maximum", async () => {
  const [s, rs] = await subscribed({}, "alias/#");
  const r = await paho(port, `
tam = []
def on_connect(c, u, f, rc, props=None): tam.append(getattr(props, "TopicAliasMaximum", None))
c = mqtt.Client("alias-pub", protocol=mqtt.MQTTv5)
c.on_connect = on_connect
c.connect("127.0.0.1", PORT)
c.loop_start()
p = Properties(PacketTypes.PUBLISH); p.TopicAlias = 3
c.publish("alias/t", b"first", 1, properties=p).wait_for_publish(5)
c.publish("", b"second", 1, properties=p).wait_for_publish(5)
print("tam", tam[0])
c.disconnect(); c.loop_stop()
`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /tam 10/);
  await rs.waitMsgs(2);
  assert.deepEqual(rs.msgs.map((m) => `${m.topic}=${m.text}`), ["alias/t=first", "alias/t=second"]);
  s.mqttDisconnect();
});

test("bad topic aliases get DISCONNECT 0x94; an empty topic without an alias gets 0x82", async () => {
  // Over the maximum, from Paho: its on_disconnect sees reason 148 (0x94).
  const r = await paho(port, `
codes = []
def on_disconnect(c, u, rc, props=None): codes.append(getattr(rc, "value", rc))
c = mqtt.Client("alias-bad", protocol=mqtt.MQTTv5)
c.on_disconnect = on_disconnect
c.connect("127.0.0.1", PORT)
c.loop_start()
time.sleep(0.3)
p = Properties(PacketTypes.PUBLISH); p.TopicAlias = 11
c.publish("alias/x", b"x", 0, properties=p)
for i in range(50):
  if codes: break
  time.sleep(0.1)
print("codes", codes)
c.loop_stop()
`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /codes \[148\]/);
  for (const [topic, alias, code] of [["alias/x", 0, 0x94], ["", 5, 0x94], ["", undefined, 0x82]] as const) {
    const [c, rec] = await client({ version: 5 });
    c.mqttPub(topic, "x", { props: alias === undefined ? [] : [{ id: MQTT_PROP_TOPIC_ALIAS, iv: alias }] });
    await rec.waitCmd(MQTT_CMD_DISCONNECT);
    assert.equal(rec.cmds.find((m) => m.cmd === MQTT_CMD_DISCONNECT)!.ack, code, `topic ${JSON.stringify(topic)} alias ${alias}`);
    await waitFor(() => rec.closed);
  }
});

test("aliases do not outlive the connection [MQTT-3.3.2-7]", async () => {
  const [a, ra] = await client({ version: 5, clientId: "alias-once" });
  const [s, rs] = await subscribed({}, "once/#");
  a.mqttPub("once/t", "set", { qos: 1, props: [{ id: MQTT_PROP_TOPIC_ALIAS, iv: 1 }] });
  await rs.waitMsgs(1);
  a.mqttDisconnect();
  await waitFor(() => ra.closed);
  const [b, rb] = await client({ version: 5, clientId: "alias-once" });
  b.mqttPub("", "use", { qos: 1, props: [{ id: MQTT_PROP_TOPIC_ALIAS, iv: 1 }] });
  await rb.waitCmd(MQTT_CMD_DISCONNECT);
  assert.equal(rb.cmds.find((m) => m.cmd === MQTT_CMD_DISCONNECT)!.ack, 0x94);
  s.mqttDisconnect();
});

test("message expiry: expired queued and retained messages are not delivered, the rest carry the interval left", async () => {
  const persist: MqttConnectOptions = { version: 5, clientId: "exp-sub", clean: false, props: expiry(300) };
  const [a, ra] = await subscribed(persist, "exp/#");
  a.mqttDisconnect();
  await waitFor(() => ra.closed);
  const [p] = await client({ version: 5 });
  const exp = (s: number) => [{ id: MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, iv: s }];
  p.mqttPub("exp/short", "gone", { qos: 1, props: exp(1) });
  p.mqttPub("exp/long", "kept", { qos: 1, props: exp(100) });
  p.mqttPub("exp/ret-short", "gone", { qos: 1, retain: true, props: exp(1) });
  p.mqttPub("exp/ret-long", "kept", { qos: 1, retain: true, props: exp(100) });
  await waitFor(() => broker.sessionInfo("exp-sub")!.queued === 4);
  await sleep(1600);
  const [b, rb] = await client(persist);
  await rb.waitMsgs(2);
  await sleep(300);
  assert.deepEqual(rb.msgs.map((m) => m.topic), ["exp/long", "exp/ret-long"]);
  for (const m of rb.msgs) {
    const left = prop(m.properties(), MQTT_PROP_MESSAGE_EXPIRY_INTERVAL)!.iv!;
    assert.ok(left < 100 && left >= 98, `interval reduced by the time waited [MQTT-3.3.2-6]: ${left}`);
  }
  const [n, rn] = await subscribed({ version: 5 }, "exp/#");
  await rn.waitMsgs(1);
  await sleep(300);
  assert.deepEqual(rn.msgs.map((m) => [m.topic, m.retain]), [["exp/ret-long", true]]);
  assert.ok(!broker.retainedTopics.includes("exp/ret-short"));
  p.mqttPub("exp/ret-long", "", { retain: true });
  for (const c of [b, n, p]) c.mqttDisconnect();
});

test("session expiry: kept for its interval, then gone; DISCONNECT can change it but not raise 0", async () => {
  const [a, ra] = await subscribed({ version: 5, clientId: "sx", props: expiry(1) }, "sx/#");
  a.mqttDisconnect();
  await waitFor(() => ra.closed);
  assert.ok(broker.sessionIds.includes("sx"), "kept after the disconnect");
  await waitFor(() => !broker.sessionIds.includes("sx"), 5000, "session expired");
  const [b, rb] = await client({ version: 5, clientId: "sx", clean: false, props: expiry(1) });
  assert.equal(connack(rb).sessionPresent, false);
  // DISCONNECT with a longer interval keeps it longer.
  b.mqttDisconnect(0, expiry(300));
  await waitFor(() => rb.closed);
  await sleep(1500);
  const [c, rc] = await client({ version: 5, clientId: "sx", clean: false, props: expiry(300) });
  assert.equal(connack(rc).sessionPresent, true);
  // DISCONNECT with 0 ends it at once.
  c.mqttDisconnect(0, expiry(0));
  await waitFor(() => !broker.sessionIds.includes("sx"), 5000, "session ended by DISCONNECT");
  // CONNECT said 0: a DISCONNECT with a non-zero interval is a protocol error (section 3.14.2.2.2).
  const raw = new RawPeer(port);
  raw.send(buildConnect({ version: 5, clientId: "sx0", keepAlive: 0, clean: true }));
  await raw.wait(MQTT_CMD_CONNACK);
  raw.send(buildSimple(MQTT_CMD_DISCONNECT, 5, 0, expiry(60)));
  const [d] = await raw.wait(MQTT_CMD_DISCONNECT);
  assert.equal(d!.ack, 0x82);
  await raw.waitClosed();
  assert.ok(!broker.sessionIds.includes("sx0"));
});

test("will delay: sent after the delay without property 0x18; cancelled when the session resumes; sent when the session ends first", async () => {
  const [w, rw] = await subscribed({ version: 5 }, "wd/#");
  const will = (topic: string, delay: number) => ({
    topic, message: "will", qos: 1,
    props: [{ id: MQTT_PROP_WILL_DELAY_INTERVAL, iv: delay }, { id: MQTT_PROP_USER_PROPERTY, key: "k", val: "v" }],
  });
  const [a] = await client({ version: 5, clientId: "wd-a", props: expiry(60), will: will("wd/a", 1) });
  a.close();
  await rw.waitMsgs(1);
  assert.equal(rw.msgs[0]!.topic, "wd/a");
  assert.deepEqual(rw.msgs[0]!.properties(), [{ id: MQTT_PROP_USER_PROPERTY, key: "k", val: "v" }], "no Will Delay Interval on PUBLISH");
  // Back before the delay with the session resumed: no will [MQTT-3.1.3-9].
  const [b, rbb] = await client({ version: 5, clientId: "wd-b", props: expiry(60), will: will("wd/b", 2) });
  b.close();
  await waitFor(() => rbb.closed);
  const [b2] = await client({ version: 5, clientId: "wd-b", clean: false, props: expiry(60) });
  await sleep(2600);
  broker.publish("wd/marker", "m", { qos: 1 });
  await rw.waitMsgs(2);
  assert.deepEqual(rw.msgs.map((m) => m.topic), ["wd/a", "wd/marker"]);
  b2.mqttDisconnect();
  // Session expiry 0: the session ends with the connection, and the will goes at once.
  const [c] = await client({ version: 5, clientId: "wd-c", will: will("wd/c", 100) });
  c.close();
  await rw.waitMsgs(3);
  assert.equal(rw.msgs[2]!.topic, "wd/c");
  w.mqttDisconnect();
});

test("session takeover: the first MQTT 5 connection gets DISCONNECT 0x8E and its will goes out", async () => {
  const [w, rw] = await subscribed({}, "tk/#");
  const [, r1] = await client({ version: 5, clientId: "tk", will: { topic: "tk/will", message: "taken", qos: 1 } });
  const [second, r2] = await client({ version: 5, clientId: "tk" });
  await waitFor(() => r1.closed);
  assert.equal(r1.cmds.find((m) => m.cmd === MQTT_CMD_DISCONNECT)?.ack, 0x8e);
  await rw.waitMsgs(1);
  assert.equal(rw.msgs[0]!.text, "taken");
  assert.equal(r2.closed, false);
  second.mqttDisconnect();
  w.mqttDisconnect();
});

test("unacknowledged QoS 1/2 deliveries are sent again with DUP=1 and their ids after reconnect; PUBREL too", async () => {
  const connect = (clean: boolean): Buffer => buildConnect({ version: 5, clientId: "dup-r", keepAlive: 0, clean, props: expiry(300) });
  const a = new RawPeer(port);
  a.send(connect(true));
  await a.wait(MQTT_CMD_CONNACK);
  a.send(buildSubscribe(MQTT_CMD_SUBSCRIBE, 5, 1, [{ topic: "dup/#", options: 2 }]));
  await a.wait(MQTT_CMD_SUBACK);
  broker.publish("dup/1", "one", { qos: 1 });
  broker.publish("dup/2", "two", { qos: 2 });
  const [p1, p2] = await a.wait(MQTT_CMD_PUBLISH, 2);
  assert.deepEqual([p1!.dup, p2!.dup, p1!.qos, p2!.qos], [false, false, 1, 2]);
  a.send(buildAck(MQTT_CMD_PUBREC, 5, p2!.id));
  await a.wait(MQTT_CMD_PUBREL);
  a.end();
  await waitFor(() => broker.sessionInfo("dup-r")?.connected === false);
  const b = new RawPeer(port);
  b.send(connect(false));
  const [ack] = await b.wait(MQTT_CMD_CONNACK);
  assert.equal(ack!.sessionPresent, true);
  const [again] = await b.wait(MQTT_CMD_PUBLISH);
  assert.deepEqual([again!.topic, again!.id, again!.dup], ["dup/1", p1!.id, true]);
  const [rel] = await b.wait(MQTT_CMD_PUBREL);
  assert.equal(rel!.id, p2!.id);
  assert.equal(b.of(MQTT_CMD_PUBLISH).length, 1, "the released QoS 2 message is not sent again");
  b.send(buildSimple(MQTT_CMD_DISCONNECT, 5, 0, expiry(0)));
  await b.waitClosed();
});

test("CONNACK announces the broker's MQTT 5 limits and features", async () => {
  const [c, rec] = await client({ version: 5 });
  const props = connack(rec).properties();
  assert.equal(prop(props, MQTT_PROP_TOPIC_ALIAS_MAXIMUM)?.iv, 10);
  assert.equal(prop(props, 0x21)?.iv, 100, "Receive Maximum");
  assert.equal(prop(props, 0x27)?.iv, 16 * 1024 * 1024, "Maximum Packet Size");
  assert.equal(prop(props, 0x28)?.iv, 1, "Wildcard Subscription Available");
  assert.equal(prop(props, 0x29)?.iv, 1, "Subscription Identifier Available");
  assert.equal(prop(props, 0x2a)?.iv, 1, "Shared Subscription Available");
  c.mqttDisconnect();
});

test("subscription options from Paho's client: retain handling 0/1/2, retain as published, subscription identifiers", async () => {
  broker.publish("so/r", "kept", { retain: true, qos: 1 });
  const r = await paho(port, `
from paho.mqtt.subscribeoptions import SubscribeOptions
got = []
def on_message(c, u, m):
  ids = getattr(m.properties, "SubscriptionIdentifier", [])
  got.append("%s:%s:%d:%s" % (m.topic, m.payload.decode(), m.retain, ids))
c = mqtt.Client("so-paho", protocol=mqtt.MQTTv5)
c.on_message = on_message
c.connect("127.0.0.1", PORT)
c.loop_start()
def sub(f, rh, rap=False, sid=None):
  p = None
  if sid is not None:
    p = Properties(PacketTypes.SUBSCRIBE); p.SubscriptionIdentifier = sid
  c.subscribe(f, options=SubscribeOptions(qos=1, retainHandling=rh, retainAsPublished=rap), properties=p)
  time.sleep(0.4)
sub("so/#", 0, sid=7)       # retained sent
sub("so/#", 1, sid=7)       # exists already: not sent
sub("so/+", 1, rap=True)    # new: sent
sub("so/r", 2)              # never sent
c.publish("so/r", "live", 1, retain=True).wait_for_publish(5)
time.sleep(0.5)
print("\\n".join(got))
c.publish("so/r", "", 1, retain=True).wait_for_publish(5)
c.disconnect(); c.loop_stop()
`);
  assert.equal(r.code, 0, r.stderr);
  // The live message matches three subscriptions: one delivery, retained (retain as published on so/+), identifier 7.
  assert.deepEqual(r.stdout.trim().split("\n"), ["so/r:kept:1:[7]", "so/r:kept:1:[]", "so/r:live:1:[7]"]);
});

test("a SUBACK from a client is a protocol error (0x82); QoS 0 with DUP is malformed (0x81) [MQTT-3.3.1-2]", async () => {
  const cases: [Buffer, number][] = [
    [buildSubAck(MQTT_CMD_SUBACK, 5, 1, [0]), 0x82],
    [buildPublish(5, "dup/q0", "x", 0, false, true, 0), 0x81],
  ];
  for (const [pkt, code] of cases) {
    const raw = new RawPeer(port);
    raw.send(buildConnect({ version: 5, clientId: "", keepAlive: 0, clean: true }));
    await raw.wait(MQTT_CMD_CONNACK);
    raw.send(pkt);
    const [d] = await raw.wait(MQTT_CMD_DISCONNECT);
    assert.equal(d!.ack, code);
    await raw.waitClosed();
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
