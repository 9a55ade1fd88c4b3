// Normative statements found missing by the audit (docs/mqtt-conformance.md) and fixed:
// each test names the statement it checks.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import {
  Manager, MqttBroker, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MQTT_CMD_CONNACK, MQTT_CMD_CONNECT, MQTT_CMD_DISCONNECT, MQTT_CMD_PUBACK,
  MQTT_CMD_PUBLISH, MQTT_CMD_SUBACK, MQTT_CMD_SUBSCRIBE, MQTT_PROP_MAXIMUM_PACKET_SIZE, MQTT_PROP_MAXIMUM_QOS,
  MQTT_PROP_REASON_STRING, MQTT_PROP_RESPONSE_TOPIC, MQTT_PROP_RETAIN_AVAILABLE, MQTT_PROP_SUBSCRIPTION_IDENTIFIER,
  type EventHandler, type MqttPacket, type MqttProperty,
} from "../../src/index.js";
import { buildConnect, buildPublish, buildSubAck, buildSubscribe } from "../../src/mqtt/builder.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";
import { Recorder } from "./peers.js";
import { RawPeer, prop, sleep } from "./broker-raw.js";

const manager = new Manager();
const loop = startLoop(manager);
after(() => loop.stop());

/** A server that answers CONNECT with `connack` (or not at all) and records what it gets. */
function fakeServer(connack: ((c: Parameters<EventHandler>[0]) => void) | undefined): { port: number; got: MqttPacket[]; close(): void } {
  const got: MqttPacket[] = [];
  const h: EventHandler = (c, ev, data) => {
    if (ev !== MG_EV_MQTT_CMD && ev !== MG_EV_MQTT_MSG) return;
    if (ev === MG_EV_MQTT_CMD) got.push(data as MqttPacket);
    if (ev === MG_EV_MQTT_CMD && (data as MqttPacket).cmd === MQTT_CMD_CONNECT) connack?.(c);
  };
  const l = manager.mqttListen("mqtt://127.0.0.1:0", h);
  return { port: l.localAddr.port, got, close: () => l.close() };
}

test("client: the server's Maximum QoS and Retain Available are obeyed [MQTT-3.2.2-11] [MQTT-3.2.2-14]", async () => {
  const props: MqttProperty[] = [{ id: MQTT_PROP_MAXIMUM_QOS, iv: 1 }, { id: MQTT_PROP_RETAIN_AVAILABLE, iv: 0 }];
  const srv = fakeServer((c) => c.mqttConnack(0, { props }));
  const rec = new Recorder();
  const c = manager.mqttConnect(`mqtt://127.0.0.1:${srv.port}`, rec.handler, { version: 5, keepAlive: 0 });
  c.mqttPub("early", "queued before CONNACK", { qos: 2 }); // the server's limits are not known yet
  await rec.waitOpen();
  assert.throws(() => c.mqttPub("t", "x", { qos: 2 }), /Maximum QoS of 1/);
  assert.throws(() => c.mqttPub("t", "x", { retain: true }), /Retain Available 0/);
  c.mqttPub("t", "fine", { qos: 1 });
  await waitFor(() => srv.got.some((m) => m.cmd === MQTT_CMD_PUBLISH), 5000, "the QoS 1 publish");
  await sleep(100);
  assert.deepEqual(srv.got.filter((m) => m.cmd === MQTT_CMD_PUBLISH).map((m) => [m.topic, m.qos]), [["t", 1]], "the queued QoS 2 one was dropped");
  c.mqttDisconnect();
  await waitFor(() => rec.closed, 5000, "close");
  srv.close();
});

test("client: no Subscription Identifier in PUBLISH, no wildcard in a Response Topic [MQTT-3.3.4-6] [MQTT-3.3.2-14]", async () => {
  const srv = fakeServer((c) => c.mqttConnack(0));
  const rec = new Recorder();
  const c = manager.mqttConnect(`mqtt://127.0.0.1:${srv.port}`, rec.handler, { version: 5, keepAlive: 0 });
  await rec.waitOpen();
  assert.throws(() => c.mqttPub("t", "x", { props: [{ id: MQTT_PROP_SUBSCRIPTION_IDENTIFIER, iv: 3 }] }), /Subscription Identifier/);
  assert.throws(() => c.mqttPub("t", "x", { props: [{ id: MQTT_PROP_RESPONSE_TOPIC, val: "reply/+" }] }), /wildcard/);
  c.mqttPub("t", "x", { props: [{ id: MQTT_PROP_RESPONSE_TOPIC, val: "reply/me" }] });
  c.mqttDisconnect();
  await waitFor(() => rec.closed, 5000, "close");
  assert.equal(srv.got.filter((m) => m.cmd === MQTT_CMD_PUBLISH).length, 1);
  srv.close();
});

test("client: Session Present 1 after Clean Start 1 is a protocol error, DISCONNECT 0x82 [MQTT-3.2.2-4]", async () => {
  const srv = fakeServer((c) => c.mqttConnack(0, { sessionPresent: true }));
  const rec = new Recorder();
  manager.mqttConnect(`mqtt://127.0.0.1:${srv.port}`, rec.handler, { version: 5, keepAlive: 0, clean: true });
  await waitFor(() => rec.closed, 5000, "the client closes");
  assert.deepEqual(rec.opens, [], "no MG_EV_MQTT_OPEN");
  assert.ok(rec.errors.some((e) => /Session Present 1/.test(e)), rec.errors.join("; "));
  await waitFor(() => srv.got.some((m) => m.cmd === MQTT_CMD_DISCONNECT), 5000, "DISCONNECT at the server");
  assert.equal(srv.got.find((m) => m.cmd === MQTT_CMD_DISCONNECT)!.ack, 0x82);
  srv.close();
});

test("client with an Authentication Method: nothing but AUTH/DISCONNECT before CONNACK [MQTT-3.1.2-30]", async () => {
  const srv = fakeServer(undefined); // never answers
  const rec = new Recorder();
  const c = manager.mqttConnect(`mqtt://127.0.0.1:${srv.port}`, rec.handler, { version: 5, keepAlive: 0, authMethod: "X-TEST", auth: () => undefined });
  assert.throws(() => c.mqttSub("t"), (e: Error & { code?: string }) => e.code === "ERR_MQTT_PROTOCOL" && /MG_EV_MQTT_OPEN/.test(e.message));
  assert.throws(() => c.mqttPub("t", "x"), /only AUTH and DISCONNECT/);
  assert.throws(() => c.mqttPing(), /only AUTH and DISCONNECT/);
  await waitFor(() => srv.got.length >= 1, 5000, "CONNECT at the server");
  c.close();
  await waitFor(() => rec.closed, 5000, "close");
  assert.deepEqual(srv.got.map((m) => m.cmd), [MQTT_CMD_CONNECT]);
  srv.close();
});

test("server: a malformed packet before its CONNACK gets no DISCONNECT, only a close [MQTT-3.14.0-1]", async () => {
  const srv = fakeServer(undefined); // holds the CONNACK
  const r = new RawPeer(srv.port);
  r.send(buildConnect({ version: 5, clientId: "early", keepAlive: 0, clean: true }));
  await waitFor(() => srv.got.length >= 1, 5000, "CONNECT");
  r.send(Buffer.from([0x00, 0x00])); // packet type 0: malformed
  await r.waitClosed();
  assert.deepEqual(r.packets.map((m) => m.cmd), []);
  srv.close();
});

const broker = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0" });
const bport = broker.listener.localAddr.port;
after(() => broker.close());

test("broker: the Reason String is left out when DISCONNECT would exceed the client's Maximum Packet Size [MQTT-3.14.2-3]", async () => {
  for (const [max, withReason] of [[20, false], [1000, true]] as const) {
    const r = new RawPeer(bport);
    r.send(buildConnect({ version: 5, clientId: `mps-${max}`, keepAlive: 0, clean: true, props: [{ id: MQTT_PROP_MAXIMUM_PACKET_SIZE, iv: max }] }));
    await r.wait(MQTT_CMD_CONNACK);
    r.send(buildSubAck(MQTT_CMD_SUBACK, 5, 1, [0])); // server-only packet: protocol error
    const [d] = await r.wait(MQTT_CMD_DISCONNECT);
    assert.equal(d!.ack, 0x82);
    assert.equal(prop(d!.properties(), MQTT_PROP_REASON_STRING) !== undefined, withReason, `max ${max}`);
    r.end();
  }
});

test("broker: nothing is sent on a connection after its DISCONNECT [MQTT-3.14.4-1]", async () => {
  const r = new RawPeer(bport);
  r.send(buildConnect({ version: 5, clientId: "after-disc", keepAlive: 0, clean: true }));
  await r.wait(MQTT_CMD_CONNACK);
  r.send(buildSubscribe(MQTT_CMD_SUBSCRIBE, 5, 1, [{ topic: "after/#", options: 1 }]));
  await r.wait(MQTT_CMD_SUBACK);
  r.send(buildSubAck(MQTT_CMD_SUBACK, 5, 1, [0])); // refused: DISCONNECT 0x82, then the broker lingers while we keep the socket open
  await r.wait(MQTT_CMD_DISCONNECT);
  broker.publish("after/x", "late", { qos: 1 });
  broker.publish("after/y", "late", { qos: 0 });
  await sleep(200);
  const cmds = r.packets.map((m) => m.cmd);
  assert.equal(cmds[cmds.length - 1], MQTT_CMD_DISCONNECT, `last packet: ${cmds.join(",")}`);
  r.end();
});

test("mqttAck: only PUBACK/PUBREC reason codes; a hook's other code becomes 0x87 [MQTT-3.4.2-1] [MQTT-3.5.2-1]", async () => {
  const b = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0", authorize: (_id, topic, action) => (action === "publish" && topic === "odd" ? 0x85 : true) });
  const r = new RawPeer(b.listener.localAddr.port);
  r.send(buildConnect({ version: 5, clientId: "odd-code", keepAlive: 0, clean: true }));
  await r.wait(MQTT_CMD_CONNACK);
  r.send(buildPublish(5, "odd", "x", 1, false, false, 7));
  const [ack] = await r.wait(MQTT_CMD_PUBACK);
  assert.deepEqual([ack!.id, ack!.ack], [7, 0x87]);
  r.end();
  b.close();
  const srv = manager.mqttListen("mqtt://127.0.0.1:0", (c, ev, data) => {
    if (ev === MG_EV_MQTT_CMD && (data as MqttPacket).cmd === MQTT_CMD_CONNECT) c.mqttConnack(0);
    if (ev === MG_EV_MQTT_MSG) { assert.throws(() => c.mqttAck(data, 0x42), /not a PUBACK\/PUBREC reason code/); c.mqttAck(data, 0x97); }
  });
  const p = new RawPeer(srv.localAddr.port);
  p.send(buildConnect({ version: 5, clientId: "ack-codes", keepAlive: 0, clean: true }));
  await p.wait(MQTT_CMD_CONNACK);
  p.send(buildPublish(5, "t", "x", 1, false, false, 9));
  const [a2] = await p.wait(MQTT_CMD_PUBACK);
  assert.equal(a2!.ack, 0x97);
  p.end();
  srv.close();
});

test("a second CONNECT is a protocol error: DISCONNECT 0x82, then close [MQTT-3.1.0-2]", async () => {
  const r = new RawPeer(bport);
  r.send(buildConnect({ version: 5, clientId: "twice", keepAlive: 0, clean: true }));
  await r.wait(MQTT_CMD_CONNACK);
  r.send(buildConnect({ version: 5, clientId: "twice", keepAlive: 0, clean: true }));
  const [d] = await r.wait(MQTT_CMD_DISCONNECT);
  assert.equal(d!.ack, 0x82);
  r.sock.end();
  await r.waitClosed();
});

test("client: DUP never on QoS 0 [MQTT-3.3.1-2]; nothing after its DISCONNECT [MQTT-3.14.4-1]; AUTH reason codes [MQTT-3.15.2-1]", async () => {
  const srv = fakeServer((c) => c.mqttConnack(0));
  const rec = new Recorder();
  const c = manager.mqttConnect(`mqtt://127.0.0.1:${srv.port}`, rec.handler, { version: 5, keepAlive: 0, authMethod: "X", auth: () => undefined });
  await waitFor(() => srv.got.length >= 1, 5000, "CONNECT");
  await rec.waitOpen();
  assert.throws(() => c.mqttPub("t", "x", { qos: 0, dup: true }), /DUP/);
  assert.throws(() => c.mqttAuth("data", 0x42), /not an AUTH reason code/);
  c.mqttDisconnect();
  assert.throws(() => c.mqttPub("t", "late"), (e: Error & { code?: string }) => e.code === "ERR_CONN_CLOSED");
  await waitFor(() => rec.closed, 5000, "close");
  assert.deepEqual(srv.got.map((m) => m.cmd), [MQTT_CMD_CONNECT, MQTT_CMD_DISCONNECT]);
  srv.close();
});

test("an unsupported protocol level gets CONNACK 0x01 (3.1.1 form), then close [MQTT-3.1.2-2]; an unknown name only a close [MQTT-3.1.2-1]", async () => {
  // CONNECT: "MQTT" at level 6 and 3 (3.1 is "MQIsdp" 3), then "MQTX" at level 4.
  const connect = (name: string, level: number): Buffer => Buffer.from([0x10, 0x0c, 0, 4, ...Buffer.from(name), level, 2, 0, 60, 0, 0]);
  for (const level of [6, 3]) {
    const r = new RawPeer(bport, 4);
    const bytes: Buffer[] = [];
    r.sock.on("data", (d: Buffer) => { bytes.push(d); });
    r.send(connect("MQTT", level));
    await r.waitClosed();
    assert.equal(Buffer.concat(bytes).toString("hex"), "20020001", `level ${level}`);
  }
  const r = new RawPeer(bport, 4);
  const bytes: Buffer[] = [];
  r.sock.on("data", (d: Buffer) => { bytes.push(d); });
  r.send(connect("MQTX", 4));
  await r.waitClosed();
  assert.equal(Buffer.concat(bytes).length, 0);
});

leakCheckAfterAll();
