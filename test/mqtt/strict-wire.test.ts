// The reason code each side gives for input the codec refuses (MQTT 5 section 4.13):
// Malformed Packet 0x81 (a variable byte integer not in its minimal encoding
// [MQTT-1.5.5-1], a property not allowed in the packet type) vs Protocol Error 0x82 (a
// property more than once, section 2.2.2.2). The broker answers a refused CONNECT with
// CONNACK (section 3.1.4) and anything later with DISCONNECT; the client answers the
// server with DISCONNECT.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import {
  Manager, MqttBroker, MG_EV_MQTT_CMD, MQTT_CMD_CONNACK, MQTT_CMD_CONNECT, MQTT_CMD_DISCONNECT, MQTT_CMD_SUBACK,
  MQTT_PROP_CONTENT_TYPE, MQTT_PROP_RECEIVE_MAXIMUM, MQTT_PROP_SESSION_EXPIRY_INTERVAL, MQTT_PROP_SUBSCRIPTION_IDENTIFIER,
  MQTT_PROP_TOPIC_ALIAS, MQTT_PROP_USER_PROPERTY,
  type EventHandler, type MqttPacket,
} from "../../src/index.js";
import { buildConnect } from "../../src/mqtt/builder.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";
import { Recorder } from "./peers.js";
import { RawPeer } from "./broker-raw.js";

const manager = new Manager();
const loop = startLoop(manager);
after(() => loop.stop());

const broker = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0" });
const port = broker.listener.localAddr.port;
after(() => broker.close());

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const len = (body: string): string => h(body).length.toString(16).padStart(2, "0");
const pkt = (b0: string, body: string): Buffer => h(`${b0} ${len(body)} ${body}`);
const connect5 = (props: string): Buffer => pkt("10", `0004 4d515454 05 02 0000 ${props} 0003 637363`);
const TOPIC = "0003 612f62";

test("broker: a refused MQTT 5 CONNECT gets CONNACK 0x82 (property twice) or 0x81 (property not allowed, varint not minimal)", async () => {
  const cases: [string, Buffer, number][] = [
    ["Receive Maximum twice", connect5("06 21 0010 21 0020"), 0x82],
    ["Maximum Packet Size 0", connect5("05 27 00000000"), 0x82],
    ["Topic Alias in CONNECT", connect5("03 23 0001"), 0x81],
    ["property length in two bytes", connect5("80 00"), 0x81],
  ];
  for (const [name, bytes, code] of cases) {
    const r = new RawPeer(port);
    r.send(bytes);
    const [ca] = await r.wait(MQTT_CMD_CONNACK);
    assert.equal(ca!.ack, code, name);
    await r.waitClosed();
    r.end();
  }
});

test("broker: a 3.1.1 CONNECT with a remaining length not minimal is closed without an answer", async () => {
  const r = new RawPeer(port, 4);
  r.send(h("10 8d 00 0004 4d515454 04 02 003c 0001 63"));
  await r.waitClosed();
  assert.deepEqual(r.packets, []);
});

test("broker: after CONNACK, DISCONNECT 0x82 for a property twice, 0x81 for a varint not minimal or a property out of place", async () => {
  const cases: [string, Buffer, number][] = [
    ["PUBLISH with Payload Format Indicator twice", pkt("30", `${TOPIC} 04 01 00 01 01 7a`), 0x82],
    ["PUBLISH with Message Expiry Interval twice", pkt("30", `${TOPIC} 0a 02 0000000a 02 0000000b 7a`), 0x82],
    ["SUBSCRIBE with Subscription Identifier twice", pkt("82", `000a 04 0b 01 0b 02 ${TOPIC} 01`), 0x82],
    ["SUBSCRIBE with Subscription Identifier 1 in two bytes", pkt("82", `000a 03 0b 81 00 ${TOPIC} 01`), 0x81],
    ["PUBLISH with a remaining length in two bytes", h(`30 87 00 ${TOPIC} 00 7a`), 0x81],
    ["PUBLISH with Session Expiry Interval", pkt("30", `${TOPIC} 05 11 0000000a 7a`), 0x81],
    ["PUBACK with Reason String twice", pkt("40", "0007 00 08 1f 0001 61 1f 0001 62"), 0x82],
  ];
  for (const [name, bytes, code] of cases) {
    const r = new RawPeer(port);
    r.send(buildConnect({ version: 5, clientId: "strict", keepAlive: 0, clean: true }));
    await r.wait(MQTT_CMD_CONNACK);
    r.send(bytes);
    const [d] = await r.wait(MQTT_CMD_DISCONNECT);
    assert.equal(d!.ack, code, name);
    r.end();
  }
});

test("broker: what may repeat is accepted (User Property twice in SUBSCRIBE, a two-byte Subscription Identifier 128)", async () => {
  const r = new RawPeer(port);
  r.send(buildConnect({ version: 5, clientId: "strict-ok", keepAlive: 0, clean: true }));
  await r.wait(MQTT_CMD_CONNACK);
  r.send(pkt("82", `000a 11 0b 80 01 26 0001 61 0001 62 26 0001 61 0001 63 ${TOPIC} 01`));
  const [sa] = await r.wait(MQTT_CMD_SUBACK);
  assert.deepEqual([...sa!.data], [1]);
  assert.equal(r.of(MQTT_CMD_DISCONNECT).length, 0);
  r.end();
});

/** A server that answers CONNECT with `bytes` as they are, and records what the client sends. */
function rawServer(bytes: Buffer): { port: number; got: MqttPacket[]; close(): void } {
  const got: MqttPacket[] = [];
  const hd: EventHandler = (c, ev, data) => {
    if (ev !== MG_EV_MQTT_CMD) return;
    got.push(data as MqttPacket);
    if ((data as MqttPacket).cmd === MQTT_CMD_CONNECT) c.send(bytes);
  };
  const l = manager.mqttListen("mqtt://127.0.0.1:0", hd);
  return { port: l.localAddr.port, got, close: () => l.close() };
}

test("client: a CONNACK with a property twice gets DISCONNECT 0x82, with a property out of place or a varint not minimal 0x81", async () => {
  const cases: [string, Buffer, number, RegExp][] = [
    ["Maximum QoS twice", h("20 07 00 00 04 24 00 24 01"), 0x82, /more than once/],
    ["Maximum QoS 2", h("20 05 00 00 02 24 02"), 0x82, /not 0 or 1/],
    ["Request Problem Information in CONNACK", h("20 05 00 00 02 17 01"), 0x81, /not allowed/],
    ["property length in two bytes", h("20 04 00 00 80 00"), 0x81, /minimal/],
  ];
  for (const [name, bytes, code, re] of cases) {
    const srv = rawServer(bytes);
    const rec = new Recorder();
    manager.mqttConnect(`mqtt://127.0.0.1:${srv.port}`, rec.handler, { version: 5, keepAlive: 0 });
    await waitFor(() => rec.closed, 5000, `the client closes (${name})`);
    assert.deepEqual(rec.opens, [], name);
    assert.ok(rec.errors.some((e) => re.test(e)), `${name}: ${rec.errors.join("; ")}`);
    await waitFor(() => srv.got.some((m) => m.cmd === MQTT_CMD_DISCONNECT), 5000, `DISCONNECT at the server (${name})`);
    assert.equal(srv.got.find((m) => m.cmd === MQTT_CMD_DISCONNECT)!.ack, code, name);
    srv.close();
  }
});

test("client: a PUBLISH from the server with two Subscription Identifiers is delivered", async () => {
  const srv = rawServer(Buffer.concat([h("20 03 00 00 00"), pkt("30", `${TOPIC} 04 0b 01 0b 02 7a`)]));
  const rec = new Recorder();
  const c = manager.mqttConnect(`mqtt://127.0.0.1:${srv.port}`, rec.handler, { version: 5, keepAlive: 0 });
  await rec.waitMsgs(1);
  assert.deepEqual(rec.msgs[0]!.properties().map((p) => p.iv), [1, 2]);
  c.mqttDisconnect();
  await waitFor(() => rec.closed, 5000, "close");
  srv.close();
});

test("sending refuses what a strict receiver would: a property not allowed in the packet type, or one given twice", async () => {
  const url = `mqtt://127.0.0.1:${port}`;
  const bad = (f: () => unknown, re: RegExp): void => assert.throws(f, (e: Error & { code?: string }) => e.code === "ERR_INVALID_ARG" && re.test(e.message));
  bad(() => manager.mqttConnect(url, () => {}, { version: 5, props: [{ id: MQTT_PROP_TOPIC_ALIAS, iv: 1 }] }), /0x23 is not allowed in CONNECT/);
  bad(() => manager.mqttConnect(url, () => {}, { version: 5, props: [{ id: MQTT_PROP_RECEIVE_MAXIMUM, iv: 5 }, { id: MQTT_PROP_RECEIVE_MAXIMUM, iv: 6 }] }), /0x21 is given more than once/);
  bad(() => manager.mqttConnect(url, () => {}, { version: 5, will: { topic: "w", message: "x", props: [{ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: 1 }] } }), /not allowed in will properties/);
  const rec = new Recorder();
  const c = manager.mqttConnect(url, rec.handler, { version: 5, keepAlive: 0, props: [{ id: MQTT_PROP_USER_PROPERTY, key: "a", val: "1" }, { id: MQTT_PROP_USER_PROPERTY, key: "a", val: "2" }] });
  await rec.waitOpen();
  bad(() => c.mqttPub("t", "x", { props: [{ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: 1 }] }), /0x11 is not allowed in PUBLISH/);
  bad(() => c.mqttPub("t", "x", { props: [{ id: MQTT_PROP_CONTENT_TYPE, val: "a" }, { id: MQTT_PROP_CONTENT_TYPE, val: "b" }] }), /more than once/);
  bad(() => c.mqttSub("t", { props: [{ id: MQTT_PROP_SUBSCRIPTION_IDENTIFIER, iv: 1 }, { id: MQTT_PROP_SUBSCRIPTION_IDENTIFIER, iv: 2 }] }), /0x0b is given more than once/);
  bad(() => c.mqttUnsub("t", [{ id: MQTT_PROP_SUBSCRIPTION_IDENTIFIER, iv: 1 }]), /not allowed in UNSUBSCRIBE/);
  bad(() => c.mqttDisconnect(0, [{ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: 0 }, { id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: 0 }]), /more than once/);
  c.mqttPub("t", "x", { props: [{ id: MQTT_PROP_USER_PROPERTY, key: "k", val: "1" }, { id: MQTT_PROP_USER_PROPERTY, key: "k", val: "2" }] });
  c.mqttDisconnect();
  await waitFor(() => rec.closed, 5000, "close");
  assert.deepEqual(rec.errors, [], "nothing refused the connection");
});

leakCheckAfterAll();
