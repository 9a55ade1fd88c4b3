// Acknowledgements and other answers within the peer's Maximum Packet Size (MQTT 5
// sections 3.1.2.11.4 and 3.2.2.3.6): the Reason String goes first, then the User
// Properties ([MQTT-3.2.2-19/20] CONNACK, [MQTT-3.4.2-2/3] PUBACK, [MQTT-3.5.2-2/3]
// PUBREC, [MQTT-3.9.2-1/2] SUBACK, [MQTT-3.11.2-1/2] UNSUBACK, [MQTT-3.14.2-3/4]
// DISCONNECT); what is still too large is never sent [MQTT-3.1.2-24]. And a client
// without session state refuses Session Present 1 [MQTT-3.2.2-4].
import { test, after } from "node:test";
import assert from "node:assert/strict";
import {
  Manager, MqttBroker, MqttClientSession, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MQTT_CMD_CONNACK, MQTT_CMD_CONNECT,
  MQTT_CMD_DISCONNECT, MQTT_CMD_PUBACK, MQTT_CMD_PUBREC, MQTT_CMD_SUBACK, MQTT_CMD_SUBSCRIBE, MQTT_CMD_UNSUBACK,
  MQTT_CMD_UNSUBSCRIBE, MQTT_PROP_MAXIMUM_PACKET_SIZE, MQTT_PROP_REASON_STRING, MQTT_PROP_USER_PROPERTY,
  type Connection, type EventHandler, type MqttPacket, type MqttProperty,
} from "../../src/index.js";
import { buildConnect, buildPublish, buildSubscribe } from "../../src/mqtt/builder.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";
import { Recorder } from "./peers.js";
import { RawPeer, sleep } from "./broker-raw.js";

const manager = new Manager();
const loop = startLoop(manager);
after(() => loop.stop());

const REASON: MqttProperty = { id: MQTT_PROP_REASON_STRING, val: "r".repeat(40) };
const USER: MqttProperty = { id: MQTT_PROP_USER_PROPERTY, key: "k", val: "v" }; // 7 bytes on the wire
const ids = (m: MqttPacket): number[] => m.properties().map((p) => p.id);

/** A server layer whose handler answers each packet with `answer`; records what it gets and what throws. */
function server(answer: (c: Connection, m: MqttPacket) => void): { port: number; got: MqttPacket[]; thrown: string[]; close(): void } {
  const got: MqttPacket[] = [], thrown: string[] = [];
  const h: EventHandler = (c, ev, data) => {
    if (ev !== MG_EV_MQTT_CMD) return;
    got.push(data as MqttPacket);
    try { answer(c, data as MqttPacket); } catch (e) { thrown.push((e as Error).message); }
  };
  const l = manager.mqttListen("mqtt://127.0.0.1:0", h);
  return { port: l.localAddr.port, got, thrown, close: () => l.close() };
}

/** A raw MQTT 5 client that announces Maximum Packet Size `max` (none when undefined). */
async function rawClient(port: number, max: number | undefined, id: string): Promise<RawPeer> {
  const r = new RawPeer(port);
  r.send(buildConnect({ version: 5, clientId: id, keepAlive: 0, clean: true, props: max === undefined ? undefined : [{ id: MQTT_PROP_MAXIMUM_PACKET_SIZE, iv: max }] }));
  await r.wait(MQTT_CMD_CONNACK);
  return r;
}

test("server: SUBACK and UNSUBACK drop the Reason String, then User Properties, to fit the client's limit [MQTT-3.9.2-1/2] [MQTT-3.11.2-1/2]", async () => {
  const srv = server((c, m) => {
    if (m.cmd === MQTT_CMD_CONNECT) c.mqttConnack(0);
    if (m.cmd === MQTT_CMD_SUBSCRIBE || m.cmd === MQTT_CMD_UNSUBSCRIBE) c.mqttSuback(m, [0], [REASON, USER]);
  });
  // SUBACK with both: 2 + 2 + 1 + (43 + 7) + 1 = 56 bytes; without the Reason String 13; bare 6.
  for (const [max, want] of [[56, [MQTT_PROP_REASON_STRING, MQTT_PROP_USER_PROPERTY]], [55, [MQTT_PROP_USER_PROPERTY]], [12, []]] as const) {
    const r = await rawClient(srv.port, max, `sa-${max}`);
    r.send(buildSubscribe(MQTT_CMD_SUBSCRIBE, 5, 1, [{ topic: "t", options: 0 }]));
    const [sa] = await r.wait(MQTT_CMD_SUBACK);
    assert.deepEqual(ids(sa!), want, `SUBACK, max ${max}`);
    assert.ok(sa!.dgram.length <= (max ?? Infinity));
    r.send(buildSubscribe(MQTT_CMD_UNSUBSCRIBE, 5, 2, [{ topic: "t", options: 0 }]));
    const [ua] = await r.wait(MQTT_CMD_UNSUBACK);
    assert.deepEqual(ids(ua!), want, `UNSUBACK, max ${max}`);
    r.end();
  }
  srv.close();
});

test("server: a SUBACK too large even bare is not sent: mqttSuback throws [MQTT-3.1.2-24]", async () => {
  const srv = server((c, m) => {
    if (m.cmd === MQTT_CMD_CONNECT) c.mqttConnack(0);
    if (m.cmd === MQTT_CMD_SUBSCRIBE) c.mqttSuback(m, m.filters!.map(() => 0));
  });
  const r = await rawClient(srv.port, 10, "sa-big");
  r.send(buildSubscribe(MQTT_CMD_SUBSCRIBE, 5, 1, ["a", "b", "c", "d", "e", "f"].map((topic) => ({ topic, options: 0 })))); // SUBACK of 11 bytes
  await waitFor(() => srv.thrown.length > 0, 5000, "mqttSuback throws");
  assert.match(srv.thrown[0]!, /11 bytes is over the client's Maximum Packet Size of 10/);
  await sleep(50);
  assert.equal(r.of(MQTT_CMD_SUBACK).length, 0);
  r.end();
  srv.close();
});

test("server: PUBACK and PUBREC from mqttAck drop the Reason String, then User Properties [MQTT-3.4.2-2/3] [MQTT-3.5.2-2/3]", async () => {
  const l = manager.mqttListen("mqtt://127.0.0.1:0", (c, ev, data) => {
    if (ev === MG_EV_MQTT_CMD && (data as MqttPacket).cmd === MQTT_CMD_CONNECT) c.mqttConnack(0);
    if (ev === MG_EV_MQTT_MSG) c.mqttAck(data as MqttPacket, 0x10, [REASON, USER]);
  });
  // PUBACK with both: 2 + 2 + 1 + 1 + 50 = 56 bytes; without the Reason String 13; bare 6.
  for (const [max, want] of [[undefined, [MQTT_PROP_REASON_STRING, MQTT_PROP_USER_PROPERTY]], [55, [MQTT_PROP_USER_PROPERTY]], [12, []]] as const) {
    const r = await rawClient(l.localAddr.port, max, `ack-${max}`);
    r.send(buildPublish(5, "t", "x", 1, false, false, 3));
    r.send(buildPublish(5, "t", "x", 2, false, false, 4));
    const [pa] = await r.wait(MQTT_CMD_PUBACK);
    const [pr] = await r.wait(MQTT_CMD_PUBREC);
    assert.deepEqual([pa!.id, pa!.ack, ids(pa!)], [3, 0x10, want], `PUBACK, max ${max}`);
    assert.deepEqual([pr!.id, pr!.ack, ids(pr!)], [4, 0x10, want], `PUBREC, max ${max}`);
    r.end();
  }
  l.close();
});

test("client: mqttAck and mqttDisconnect keep within the server's Maximum Packet Size [MQTT-3.4.2-2] [MQTT-3.14.2-3/4]", async () => {
  const srv = server((c, m) => {
    if (m.cmd !== MQTT_CMD_CONNECT) return;
    c.mqttConnack(0, { props: [{ id: MQTT_PROP_MAXIMUM_PACKET_SIZE, iv: 20 }] });
    c.mqttPub("t", "x", { qos: 1 });
  });
  const got: MqttPacket[] = [];
  const c = manager.mqttConnect(`mqtt://127.0.0.1:${srv.port}`, (cc, ev, data) => {
    if (ev === MG_EV_MQTT_MSG) { got.push(data as MqttPacket); cc.mqttAck(data as MqttPacket, 0, [REASON, USER]); }
  }, { version: 5, keepAlive: 0 });
  await waitFor(() => srv.got.some((m) => m.cmd === MQTT_CMD_PUBACK), 5000, "PUBACK at the server");
  assert.deepEqual(ids(srv.got.find((m) => m.cmd === MQTT_CMD_PUBACK)!), [MQTT_PROP_USER_PROPERTY]);
  c.mqttDisconnect(0x04, [REASON, USER, USER]);
  await waitFor(() => srv.got.some((m) => m.cmd === MQTT_CMD_DISCONNECT), 5000, "DISCONNECT at the server");
  const d = srv.got.find((m) => m.cmd === MQTT_CMD_DISCONNECT)!;
  assert.deepEqual([d.ack, ids(d)], [0x04, [MQTT_PROP_USER_PROPERTY, MQTT_PROP_USER_PROPERTY]]);
  assert.ok(d.dgram.length <= 20);
  srv.close();
});

test("server: CONNACK drops the Reason String and User Properties to fit the client's limit [MQTT-3.2.2-19] [MQTT-3.2.2-20]", async () => {
  const srv = server((c, m) => { if (m.cmd === MQTT_CMD_CONNECT) c.mqttConnack(0, { props: [REASON, USER] }); });
  for (const [max, want] of [[undefined, [MQTT_PROP_REASON_STRING, MQTT_PROP_USER_PROPERTY]], [30, [MQTT_PROP_USER_PROPERTY]], [10, []]] as const) {
    const r = new RawPeer(srv.port);
    r.send(buildConnect({ version: 5, clientId: `ca-${max}`, keepAlive: 0, clean: true, props: max === undefined ? undefined : [{ id: MQTT_PROP_MAXIMUM_PACKET_SIZE, iv: max }] }));
    const [ca] = await r.wait(MQTT_CMD_CONNACK);
    assert.deepEqual(ids(ca!), want, `max ${max}`);
    r.end();
  }
  srv.close();
});

test("broker: a SUBSCRIBE or UNSUBSCRIBE whose SUBACK would exceed the client's limit: DISCONNECT 0x95, nothing subscribed [MQTT-3.1.2-24]", async () => {
  const broker = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0" });
  const port = broker.listener.localAddr.port;
  const filters = (n: number): { topic: string; options: number }[] => Array.from({ length: n }, (_, i) => ({ topic: `f/${i}`, options: 0 }));
  // SUBACK with n codes: 5 + n bytes. A limit of 30 takes 25 filters, not 26.
  const ok = await rawClient(port, 30, "many-ok");
  ok.send(buildSubscribe(MQTT_CMD_SUBSCRIBE, 5, 1, filters(25)));
  const [sa] = await ok.wait(MQTT_CMD_SUBACK);
  assert.equal(sa!.data.length, 25);
  ok.send(buildSubscribe(MQTT_CMD_UNSUBSCRIBE, 5, 2, filters(26)));
  const [d1] = await ok.wait(MQTT_CMD_DISCONNECT);
  assert.equal(d1!.ack, 0x95);
  assert.equal(broker.sessionInfo("many-ok")?.subscriptions ?? 0, 0, "clean start: the session ended with the connection");
  ok.end();
  const big = await rawClient(port, 30, "many-big");
  big.send(buildSubscribe(MQTT_CMD_SUBSCRIBE, 5, 1, filters(26)));
  const [d2] = await big.wait(MQTT_CMD_DISCONNECT);
  assert.equal(d2!.ack, 0x95);
  assert.equal(big.of(MQTT_CMD_SUBACK).length, 0);
  big.end();
  broker.close();
});

test("client: Session Present 1 to a Clean Start 0 client with a new session object (no session state): DISCONNECT 0x82 [MQTT-3.2.2-4]", async () => {
  let present = true;
  const srv = server((c, m) => { if (m.cmd === MQTT_CMD_CONNECT) c.mqttConnack(0, { sessionPresent: present }); });
  const url = `mqtt://127.0.0.1:${srv.port}`;
  const session = new MqttClientSession();
  const rec = new Recorder();
  manager.mqttConnect(url, rec.handler, { version: 5, keepAlive: 0, clean: false, session });
  await waitFor(() => rec.closed, 5000, "the client closes");
  assert.deepEqual(rec.opens, []);
  assert.ok(rec.errors.some((e) => /no session state/.test(e)), rec.errors.join("; "));
  await waitFor(() => srv.got.some((m) => m.cmd === MQTT_CMD_DISCONNECT), 5000, "DISCONNECT");
  assert.equal(srv.got.find((m) => m.cmd === MQTT_CMD_DISCONNECT)!.ack, 0x82);
  // Once a connection with the object was accepted (Session Present 0), the client has state: 1 is fine next time.
  present = false;
  const rec2 = new Recorder();
  const c2 = manager.mqttConnect(url, rec2.handler, { version: 5, keepAlive: 0, clean: false, session });
  await rec2.waitOpen();
  c2.mqttDisconnect();
  await waitFor(() => rec2.closed, 5000, "close");
  present = true;
  const rec3 = new Recorder();
  const c3 = manager.mqttConnect(url, rec3.handler, { version: 5, keepAlive: 0, clean: false, session });
  await rec3.waitOpen();
  assert.deepEqual(rec3.errors, []);
  c3.mqttDisconnect();
  await waitFor(() => rec3.closed, 5000, "close");
  // Without a session object the application holds the session state: Session Present 1 is reported, not refused.
  const rec4 = new Recorder();
  const c4 = manager.mqttConnect(url, rec4.handler, { version: 5, keepAlive: 0, clean: false });
  await rec4.waitOpen();
  assert.equal((rec4.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK) as MqttPacket | undefined)?.sessionPresent, true);
  c4.mqttDisconnect();
  await waitFor(() => rec4.closed, 5000, "close");
  srv.close();
});

leakCheckAfterAll();
