// Statements of docs/mqtt-conformance.md that were implemented without a test aimed at
// them: each test names the statements it checks, against MqttBroker (raw sockets, to
// see and withhold exactly the packets) or the client.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import {
  Manager, MqttBroker, MG_EV_MQTT_CMD, MQTT_CMD_CONNACK, MQTT_CMD_CONNECT, MQTT_CMD_PUBACK, MQTT_CMD_PUBLISH,
  MQTT_CMD_PUBREL, MQTT_CMD_SUBACK, MQTT_CMD_UNSUBACK, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
  MQTT_PROP_USER_PROPERTY, type EventHandler, type MqttPacket, type MqttProperty,
} from "../../src/index.js";
import { MQTT_CMD_PUBCOMP, MQTT_CMD_PUBREC, MQTT_CMD_SUBSCRIBE, MQTT_CMD_UNSUBSCRIBE } from "../../src/mqtt/constants.js";
import { buildAck, buildConnect, buildPublish, buildSubscribe, type ConnectFields } from "../../src/mqtt/builder.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";
import { Recorder } from "./peers.js";
import { RawPeer, sleep } from "./broker-raw.js";

const manager = new Manager();
const loop = startLoop(manager);
after(() => loop.stop());

const broker = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0" });
const port = broker.listener.localAddr.port;
after(() => broker.close());

/** A raw MQTT 5 (or `f.version`) client, connected; persistent for an hour when `keep`. */
async function raw(id: string, o: { keep?: boolean; at?: number } & Partial<ConnectFields> = {}): Promise<RawPeer> {
  const { keep, at, ...f } = o;
  const v = f.version ?? 5;
  const r = new RawPeer(at ?? port, v);
  r.send(buildConnect({
    version: v, clientId: id, keepAlive: 0, clean: keep !== true,
    ...(keep === true && v >= 5 ? { props: [{ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: 3600 }] } : {}), ...f,
  }));
  await r.wait(MQTT_CMD_CONNACK);
  return r;
}

async function sub(r: RawPeer, filters: [string, number][], id = 1): Promise<MqttPacket> {
  r.send(buildSubscribe(MQTT_CMD_SUBSCRIBE, r.version, id, filters.map(([topic, options]) => ({ topic, options }))));
  await waitFor(() => r.of(MQTT_CMD_SUBACK).some((m) => m.id === id), 5000, `SUBACK ${id}`);
  return r.of(MQTT_CMD_SUBACK).find((m) => m.id === id)!;
}

const userProps = (m: MqttPacket): [string, string][] => m.properties().filter((p) => p.id === MQTT_PROP_USER_PROPERTY).map((p) => [p.key!, p.val!]);

// ---- wills ------------------------------------------------------------------------

test("a will with Will Retain 1 is published retained [MQTT-3.1.2-15]; its User Properties keep their order [MQTT-3.1.3-10]", async () => {
  const watcher = await raw("will-watch");
  await sub(watcher, [["will/#", 0]]);
  const wp: MqttProperty[] = [["b", "1"], ["a", "2"], ["b", "3"]].map(([key, val]) => ({ id: MQTT_PROP_USER_PROPERTY, key, val }));
  const dying = await raw("will-r", { will: { topic: "will/r", message: "gone", qos: 0, retain: true, props: wp } });
  dying.end(); // no DISCONNECT: the will goes
  const [live] = await watcher.wait(MQTT_CMD_PUBLISH);
  assert.deepEqual(userProps(live!), [["b", "1"], ["a", "2"], ["b", "3"]]);
  await waitFor(() => broker.retainedTopics.includes("will/r"), 5000, "the will retained");
  const later = await raw("will-later");
  await sub(later, [["will/r", 0]]);
  const [kept] = await later.wait(MQTT_CMD_PUBLISH);
  assert.deepEqual([kept!.topic, kept!.text, kept!.retain], ["will/r", "gone", true]);
  broker.publish("will/r", "", { retain: true }); // clear it
  watcher.end();
  later.end();
});

// ---- a broker with a lower Maximum QoS and no retain -------------------------------

test("Maximum QoS 1: SUBSCRIBE at QoS 2 is granted 1 [MQTT-3.2.2-10]; a will at QoS 2 gets CONNACK 0x9B [MQTT-3.2.2-12]; without retain, a retained will gets 0x9A [MQTT-3.2.2-13]", async () => {
  const b = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0", maxQos: 1, retainAvailable: false });
  const at = b.listener.localAddr.port;
  const s = await raw("mq-sub", { at });
  const sa = await sub(s, [["mq/a", 2], ["mq/b", 1], ["mq/c", 0]]);
  assert.deepEqual([...sa.data], [1, 1, 0]);
  s.end();
  for (const [will, code] of [[{ topic: "w", message: "x", qos: 2, retain: false }, 0x9b], [{ topic: "w", message: "x", qos: 0, retain: true }, 0x9a]] as const) {
    const r = new RawPeer(at);
    r.send(buildConnect({ version: 5, clientId: `mq-will-${code}`, keepAlive: 0, clean: true, will }));
    const [ca] = await r.wait(MQTT_CMD_CONNACK);
    assert.equal(ca!.ack, code);
    await r.waitClosed();
  }
  b.close();
});

// ---- SUBSCRIBE / UNSUBSCRIBE with several filters ------------------------------------

test("several filters in one SUBSCRIBE: one SUBACK, each subscription made [MQTT-3.8.4-5]; in one UNSUBSCRIBE: one UNSUBACK [MQTT-3.10.4-6]", async () => {
  const r = await raw("multi");
  const sa = await sub(r, [["m/a", 0], ["m/b", 1], ["m/c", 2]]);
  assert.deepEqual([...sa.data], [0, 1, 2]);
  assert.equal(r.of(MQTT_CMD_SUBACK).length, 1);
  for (const t of ["m/a", "m/b", "m/c"]) broker.publish(t, t);
  await r.wait(MQTT_CMD_PUBLISH, 3);
  assert.deepEqual(r.of(MQTT_CMD_PUBLISH).map((m) => m.topic).sort(), ["m/a", "m/b", "m/c"]);
  r.send(buildSubscribe(MQTT_CMD_UNSUBSCRIBE, 5, 2, ["m/a", "m/none", "m/c"].map((topic) => ({ topic, options: 0 }))));
  const [ua] = await r.wait(MQTT_CMD_UNSUBACK);
  assert.deepEqual([ua!.id, [...ua!.data]], [2, [0x00, 0x11, 0x00]]);
  await sleep(50);
  assert.equal(r.of(MQTT_CMD_UNSUBACK).length, 1);
  assert.equal(broker.sessionInfo("multi")?.subscriptions, 1);
  r.end();
});

test("UNSUBSCRIBE: a QoS 2 delivery already started is completed (PUBREC still gets PUBREL) [MQTT-3.10.4-3]", async () => {
  const r = await raw("unsub-q2");
  await sub(r, [["uq/t", 2]]);
  broker.publish("uq/t", "x", { qos: 2 });
  const [p] = await r.wait(MQTT_CMD_PUBLISH);
  r.send(buildSubscribe(MQTT_CMD_UNSUBSCRIBE, 5, 2, [{ topic: "uq/t", options: 0 }]));
  await r.wait(MQTT_CMD_UNSUBACK);
  r.send(buildAck(MQTT_CMD_PUBREC, 5, p!.id));
  const [rel] = await r.wait(MQTT_CMD_PUBREL);
  assert.equal(rel!.id, p!.id);
  r.send(buildAck(MQTT_CMD_PUBCOMP, 5, p!.id));
  await waitFor(() => broker.sessionInfo("unsub-q2")?.inflight === 0, 5000, "the delivery completes");
  r.end();
});

// ---- packet identifiers reused after their flow ------------------------------------

test("after PUBACK the packet identifier is a new message: broker and client deliver both [MQTT-4.3.2-5]", async () => {
  const watcher = await raw("reuse-watch");
  await sub(watcher, [["re/#", 0]]);
  const p = await raw("reuse-pub");
  p.send(buildPublish(5, "re/a", "first", 1, false, false, 5));
  await p.wait(MQTT_CMD_PUBACK);
  p.send(buildPublish(5, "re/a", "second", 1, false, false, 5));
  await p.wait(MQTT_CMD_PUBACK, 2);
  await watcher.wait(MQTT_CMD_PUBLISH, 2);
  assert.deepEqual(watcher.of(MQTT_CMD_PUBLISH).map((m) => m.text), ["first", "second"]);
  p.end();
  watcher.end();
  // The client side: a server sending two QoS 1 PUBLISH with one identifier, the second after the PUBACK.
  let resent = false;
  const h: EventHandler = (c, ev, data) => {
    const m = data as MqttPacket;
    if (ev !== MG_EV_MQTT_CMD) return;
    if (m.cmd === MQTT_CMD_CONNECT) { c.mqttConnack(0); c.send(buildPublish(5, "t", "one", 1, false, false, 9)); }
    if (m.cmd === MQTT_CMD_PUBACK && m.id === 9 && !resent) { resent = true; c.send(buildPublish(5, "t", "two", 1, false, false, 9)); }
  };
  const l = manager.mqttListen("mqtt://127.0.0.1:0", h);
  const rec = new Recorder();
  const c = manager.mqttConnect(`mqtt://127.0.0.1:${l.localAddr.port}`, rec.handler, { version: 5, keepAlive: 0 });
  await rec.waitMsgs(2);
  assert.deepEqual(rec.msgs.map((m) => m.text), ["one", "two"]);
  c.mqttDisconnect();
  await waitFor(() => rec.closed, 5000, "close");
  l.close();
});

// ---- message expiry and flows in progress --------------------------------------------

test("a QoS 1/2 message already sent is not expired: resent after reconnect [MQTT-4.3.3-7]; its QoS 2 flow goes on after expiry [MQTT-4.3.3-13]", async () => {
  const expiring: MqttProperty[] = [{ id: MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, iv: 1 }];
  let r = await raw("exp-sub", { keep: true });
  await sub(r, [["ex/1", 1], ["ex/2", 2]]);
  const pub = await raw("exp-pub");
  pub.send(buildPublish(5, "ex/1", "q1", 1, false, false, 1, expiring));
  pub.send(buildPublish(5, "ex/2", "q2", 2, false, false, 2, expiring));
  await r.wait(MQTT_CMD_PUBLISH, 2);
  const [d1, d2] = r.of(MQTT_CMD_PUBLISH);
  r.end(); // neither acknowledged
  await sleep(1300); // past the Message Expiry Interval of 1 s
  r = await raw("exp-sub", { keep: true });
  assert.equal(r.of(MQTT_CMD_CONNACK)[0]!.sessionPresent, true);
  await r.wait(MQTT_CMD_PUBLISH, 2);
  const again = r.of(MQTT_CMD_PUBLISH);
  assert.deepEqual(again.map((m) => [m.id, m.dup, m.text]).sort(), [[d1!.id, true, "q1"], [d2!.id, true, "q2"]].sort());
  r.send(buildAck(MQTT_CMD_PUBACK, 5, d1!.id));
  r.send(buildAck(MQTT_CMD_PUBREC, 5, d2!.id));
  const [rel] = await r.wait(MQTT_CMD_PUBREL);
  assert.equal(rel!.id, d2!.id);
  r.send(buildAck(MQTT_CMD_PUBCOMP, 5, d2!.id));
  await waitFor(() => broker.sessionInfo("exp-sub")?.inflight === 0, 5000, "both flows complete");
  r.send(Buffer.from([0xe0, 0x02, 0x00, 0x00])); // DISCONNECT; the session stays (1 h): end it with a clean start
  r.end();
  (await raw("exp-sub")).end();
  pub.end();
});

// ---- shared subscriptions ------------------------------------------------------------

test("shared: a QoS 2 delivery to a member completes when it reconnects [MQTT-4.8.2-4]", async () => {
  let m = await raw("sh-q2", { keep: true });
  await sub(m, [["$share/g4/sh4/t", 2]]);
  broker.publish("sh4/t", "x", { qos: 2 });
  const [p] = await m.wait(MQTT_CMD_PUBLISH);
  m.end();
  m = await raw("sh-q2", { keep: true });
  const [again] = await m.wait(MQTT_CMD_PUBLISH);
  assert.deepEqual([again!.id, again!.dup, again!.text], [p!.id, true, "x"]);
  m.send(buildAck(MQTT_CMD_PUBREC, 5, p!.id));
  await m.wait(MQTT_CMD_PUBREL);
  m.send(buildAck(MQTT_CMD_PUBCOMP, 5, p!.id));
  await waitFor(() => broker.sessionInfo("sh-q2")?.inflight === 0, 5000, "completed");
  m.end();
  (await raw("sh-q2")).end(); // clean start ends the session
});

test("shared: a member's session ends, or it refuses with PUBACK 0x80: the message goes to no other member [MQTT-4.8.2-5] [MQTT-4.8.2-6]", async () => {
  for (const how of ["session ends", "PUBACK 0x80"] as const) {
    const a = await raw(`sh-a-${how}`); // Session Expiry 0: the session ends with the connection
    await sub(a, [["$share/g5/sh5/t", 1]]);
    broker.publish("sh5/t", how, { qos: 1 });
    const [p] = await a.wait(MQTT_CMD_PUBLISH);
    const b = await raw(`sh-b-${how}`);
    await sub(b, [["$share/g5/sh5/t", 1]]);
    if (how === "session ends") a.end();
    else a.send(buildAck(MQTT_CMD_PUBACK, 5, p!.id, 0x80));
    await sleep(200);
    assert.equal(b.of(MQTT_CMD_PUBLISH).length, 0, how);
    // The group still works: the next message goes to a member.
    broker.publish("sh5/t", "next", { qos: 1 });
    const nexts = (): number => [...a.of(MQTT_CMD_PUBLISH), ...b.of(MQTT_CMD_PUBLISH)].filter((m) => m.text === "next").length;
    await waitFor(() => nexts() === 1, 5000, "the next message at one member");
    assert.deepEqual(b.of(MQTT_CMD_PUBLISH).map((m) => m.text).filter((t) => t !== "next"), [], `${how}: B never got the first message`);
    a.end();
    b.end();
  }
});

// ---- enhanced authentication ---------------------------------------------------------

test("client: no AUTH without an Authentication Method in CONNECT [MQTT-4.12.0-7]", async () => {
  const seen: number[] = [];
  const l = manager.mqttListen("mqtt://127.0.0.1:0", (c, ev, data) => {
    if (ev !== MG_EV_MQTT_CMD) return;
    seen.push((data as MqttPacket).cmd);
    if ((data as MqttPacket).cmd === MQTT_CMD_CONNECT) c.mqttConnack(0);
  });
  const rec = new Recorder();
  const c = manager.mqttConnect(`mqtt://127.0.0.1:${l.localAddr.port}`, rec.handler, { version: 5, keepAlive: 0 });
  await rec.waitOpen();
  assert.throws(() => c.mqttAuth("data"), /authentication method/);
  assert.throws(() => c.mqttAuth(undefined, 0x18), /authentication method/);
  c.mqttDisconnect();
  await waitFor(() => rec.closed, 5000, "close");
  assert.deepEqual(seen.filter((x) => x !== MQTT_CMD_CONNECT && x !== 14), [], "nothing but CONNECT and DISCONNECT reached the server");
  l.close();
});

// ---- reason codes the building blocks accept ----------------------------------------

test("mqttConnack takes Connect Reason Codes only [MQTT-3.2.2-8]; mqttSuback Subscribe / Unsubscribe Reason Codes only [MQTT-3.9.3-2] [MQTT-3.11.3-2]", async () => {
  const thrown: string[] = [];
  const l = manager.mqttListen("mqtt://127.0.0.1:0", (c, ev, data) => {
    if (ev !== MG_EV_MQTT_CMD) return;
    const m = data as MqttPacket;
    const t = (f: () => void): void => { try { f(); } catch (e) { thrown.push((e as Error).message); } };
    if (m.cmd === MQTT_CMD_CONNECT) { t(() => c.mqttConnack(0x05)); c.mqttConnack(0); } // 0x05: a 3.1.1 return code only
    if (m.cmd === MQTT_CMD_SUBSCRIBE) { t(() => c.mqttSuback(m, [0x11])); t(() => c.mqttSuback(m, [0x03])); c.mqttSuback(m, [0x9e]); }
    if (m.cmd === MQTT_CMD_UNSUBSCRIBE) { t(() => c.mqttSuback(m, [0x01])); c.mqttSuback(m, [0x11]); }
  });
  const r = await raw("codes", { at: l.localAddr.port });
  assert.equal(r.of(MQTT_CMD_CONNACK)[0]!.ack, 0);
  const sa = await sub(r, [["c/t", 1]]);
  assert.deepEqual([...sa.data], [0x9e]);
  r.send(buildSubscribe(MQTT_CMD_UNSUBSCRIBE, 5, 2, [{ topic: "c/t", options: 0 }]));
  const [ua] = await r.wait(MQTT_CMD_UNSUBACK);
  assert.deepEqual([...ua!.data], [0x11]);
  assert.equal(thrown.length, 4, thrown.join("; "));
  assert.match(thrown[0]!, /not a CONNACK reason code/);
  assert.match(thrown[1]!, /0x11 is not a SUBACK reason code/);
  assert.match(thrown[3]!, /0x1 is not a UNSUBACK reason code/);
  r.end();
  l.close();
  // MqttBroker: an authorize hook's code that no SUBACK carries becomes 0x87 (not authorized).
  const b = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0", authorize: (_id, topic, action) => (action === "subscribe" && topic === "odd" ? 0x85 : action !== "subscribe" || topic !== "no" ? true : 0x97) });
  const r2 = await raw("hook-codes", { at: b.listener.localAddr.port });
  const sa2 = await sub(r2, [["odd", 0], ["no", 0], ["fine", 1]]);
  assert.deepEqual([...sa2.data], [0x87, 0x97, 1]);
  r2.end();
  b.close();
});

leakCheckAfterAll();
