// The MQTT 5 client against our own servers: MqttBroker (topic aliases both ways, session
// expiry, enhanced AUTH, refused publishes, Maximum Packet Size) and small mqttListen
// servers that check what the client sends (Receive Maximum, aliases on the wire) or send
// what a broker should not (a bad topic alias, AUTH without a method).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import {
  Manager, MqttBroker, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MQTT_CMD_AUTH, MQTT_CMD_CONNACK, MQTT_CMD_CONNECT,
  MQTT_CMD_DISCONNECT, MQTT_CMD_PUBACK, MQTT_CMD_PUBCOMP, MQTT_CMD_PUBLISH, MQTT_CMD_PUBREC, MQTT_CMD_SUBACK,
  MQTT_CMD_SUBSCRIBE, MQTT_PROP_AUTHENTICATION_DATA, MQTT_PROP_AUTHENTICATION_METHOD, MQTT_PROP_MAXIMUM_PACKET_SIZE,
  MQTT_PROP_REASON_STRING, MQTT_PROP_RECEIVE_MAXIMUM, MQTT_PROP_TOPIC_ALIAS, MQTT_PROP_TOPIC_ALIAS_MAXIMUM,
  MQTT_PROP_USER_PROPERTY, type Connection, type EventHandler, type MqttConnectOptions, type MqttMessage,
  type MqttPacket, type MqttProperty, type MqttAuthRequest,
} from "../../src/index.js";
import { buildPublish, buildSimple } from "../../src/mqtt/builder.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";
import { Recorder } from "./peers.js";

const manager = new Manager();
const loop = startLoop(manager);
after(() => loop.stop());

/** Finds the auth hook's answer from a 2-step challenge: the client must send back "resp:" + the challenge. */
const authHook = (req: MqttAuthRequest) => {
  if (req.method !== "challenge") return undefined;
  if (req.step === 0) { req.state = `nonce-${req.reauth ? "re" : "first"}`; return { status: "continue" as const, data: Buffer.from(String(req.state)) }; }
  return req.data !== undefined && Buffer.from(req.data).toString() === `resp:${String(req.state)}` ? { status: "success" as const } : { status: "fail" as const };
};
const broker = new MqttBroker(manager, {
  listen: "mqtt://127.0.0.1:0",
  mqttMaxPacketSize: 2048,
  authorize: (_id, topic, action) => action === "subscribe" || !topic.startsWith("deny/"),
  auth: authHook,
});
const url = `mqtt://127.0.0.1:${broker.listener.localAddr.port}`;

async function client(opts: MqttConnectOptions = {}, where = url): Promise<[Connection, Recorder]> {
  const rec = new Recorder();
  const c = manager.mqttConnect(where, rec.handler, { version: 5, ...opts });
  await rec.waitOpen();
  assert.deepEqual(rec.opens, [0], `CONNACK: ${rec.errors.join(", ")}`);
  return [c, rec];
}

async function subscribed(opts: MqttConnectOptions, filter: string, qos = 1): Promise<[Connection, Recorder]> {
  const [c, rec] = await client(opts);
  const id = c.mqttSub(filter, { qos });
  await rec.waitCmd(MQTT_CMD_SUBACK, id);
  return [c, rec];
}

async function bye(...cs: [Connection, Recorder][]): Promise<void> {
  for (const [c, r] of cs) if (!c.isClosing && !r.closed) c.mqttDisconnect();
  await waitFor(() => cs.every(([, r]) => r.closed), 5000, "close");
}

/** The topic length field of a received PUBLISH as it was on the wire (before alias resolution). */
const wireTopicLen = (m: MqttMessage): number => {
  const d = (m as MqttPacket).dgram;
  let i = 1;
  while (d[i]! & 0x80) i++;
  return d.readUInt16BE(i + 1);
};
const prop = (m: MqttMessage, id: number): MqttProperty | undefined => m.properties().find((p) => p.id === id);

// ---- a scripted server --------------------------------------------------------------

interface Scripted { url: string; got: MqttPacket[]; conns: Connection[]; listener: Connection }

/** An mqttListen server: answers CONNECT with `connackProps`, records every packet, and lets `extra` act on it. */
function scripted(connackProps: MqttProperty[], extra?: (c: Connection, m: MqttPacket) => void, opts: object = {}): Scripted {
  const s: Scripted = { url: "", got: [], conns: [], listener: undefined as unknown as Connection };
  const h: EventHandler = (c, ev, data) => {
    if (ev !== MG_EV_MQTT_CMD) return;
    const m = data as MqttPacket;
    s.got.push(m);
    if (m.cmd === MQTT_CMD_CONNECT) { s.conns.push(c); c.mqttConnack(0, { props: connackProps }); }
    extra?.(c, m);
  };
  s.listener = manager.mqttListen("mqtt://127.0.0.1:0", h, opts);
  s.url = `mqtt://127.0.0.1:${s.listener.localAddr.port}`;
  return s;
}

// ---- topic aliases ------------------------------------------------------------------

test("incoming topic aliases from MqttBroker are resolved within the Topic Alias Maximum we announce", async () => {
  const [sub, rs] = await subscribed({ topicAliasMaximum: 2 }, "ta/#");
  const [pub, rp] = await client();
  for (const t of ["ta/a", "ta/a", "ta/b", "ta/b", "ta/c", "ta/c", "ta/a"]) pub.mqttPub(t, t, { qos: 1 });
  await rs.waitMsgs(7);
  assert.deepEqual(rs.msgs.map((m) => m.topic), ["ta/a", "ta/a", "ta/b", "ta/b", "ta/c", "ta/c", "ta/a"]);
  assert.deepEqual(rs.msgs.map((m) => m.text), rs.msgs.map((m) => m.topic));
  // The broker used aliases 1 and 2 (the first two topics), sending the second PUBLISH of each with an empty topic.
  assert.deepEqual(rs.msgs.map((m) => prop(m, MQTT_PROP_TOPIC_ALIAS)?.iv), [1, 1, 2, 2, undefined, undefined, 1]);
  assert.deepEqual(rs.msgs.map(wireTopicLen), [4, 0, 4, 0, 4, 4, 0]);
  assert.deepEqual(rs.errors, []);
  await bye([sub, rs], [pub, rp]);
});

test("useTopicAliases: the client publishes with aliases up to the server's CONNACK maximum", async () => {
  const srv = scripted([{ id: MQTT_PROP_TOPIC_ALIAS_MAXIMUM, iv: 2 }]);
  const [c, rec] = await client({ useTopicAliases: true }, srv.url);
  for (const t of ["x/1", "x/1", "x/2", "x/3", "x/2", "x/3"]) c.mqttPub(t, "p");
  await waitFor(() => srv.got.filter((m) => m.cmd === MQTT_CMD_PUBLISH).length === 6, 5000, "6 PUBLISH");
  const pubs = srv.got.filter((m) => m.cmd === MQTT_CMD_PUBLISH);
  assert.deepEqual(pubs.map((m) => m.topic), ["x/1", "", "x/2", "x/3", "", "x/3"]);
  assert.deepEqual(pubs.map((m) => prop(m, MQTT_PROP_TOPIC_ALIAS)?.iv), [1, 1, 2, undefined, 2, undefined]);
  await bye([c, rec]);
  srv.listener.close();
});

test("useTopicAliases through MqttBroker: subscribers get the full topics", async () => {
  const [sub, rs] = await subscribed({}, "al/#");
  const [pub, rp] = await client({ useTopicAliases: true });
  for (let i = 0; i < 5; i++) pub.mqttPub(i % 2 === 0 ? "al/even" : "al/odd", String(i), { qos: i % 3 });
  await rs.waitMsgs(5);
  assert.deepEqual(rs.msgs.map((m) => `${m.topic}=${m.text}`), ["al/even=0", "al/odd=1", "al/even=2", "al/odd=3", "al/even=4"]);
  assert.deepEqual(rp.errors, []);
  await bye([sub, rs], [pub, rp]);
});

for (const [name, alias, topic] of [["alias over our maximum", 3, "t"], ["alias 0", 0, "t"], ["alias never set", 1, ""]] as const) {
  test(`a PUBLISH from the server with ${name}: DISCONNECT 0x94, MG_EV_ERROR`, async () => {
    const srv = scripted([], (c, m) => {
      if (m.cmd === MQTT_CMD_CONNECT) c.send(buildPublish(5, topic, "x", 0, false, false, 0, [{ id: MQTT_PROP_TOPIC_ALIAS, iv: alias }]));
    });
    const rec = new Recorder();
    manager.mqttConnect(srv.url, rec.handler, { version: 5, topicAliasMaximum: 2 });
    await waitFor(() => rec.closed, 5000, "close");
    assert.equal(rec.msgs.length, 0);
    assert.match(rec.errors.join(), /topic alias/);
    await waitFor(() => srv.got.some((m) => m.cmd === MQTT_CMD_DISCONNECT), 5000, "DISCONNECT");
    assert.equal(srv.got.find((m) => m.cmd === MQTT_CMD_DISCONNECT)!.ack, 0x94);
    srv.listener.close();
  });
}

// ---- Receive Maximum, Maximum Packet Size ---------------------------------------------

test("never more unacknowledged QoS 1/2 PUBLISH than the server's Receive Maximum; the rest waits in order", async () => {
  let held: [Connection, MqttMessage][] = [];
  let maxOutstanding = 0;
  const srv = scripted([{ id: MQTT_PROP_RECEIVE_MAXIMUM, iv: 3 }], undefined, { mqttManualAcks: true });
  srv.listener.setHandler(((c, ev, data) => {
    if (ev === MG_EV_MQTT_MSG) { held.push([c, data]); maxOutstanding = Math.max(maxOutstanding, held.length); return; }
    if (ev === MG_EV_MQTT_CMD) { srv.got.push(data as MqttPacket); if (data.cmd === MQTT_CMD_CONNECT) c.mqttConnack(0, { props: [{ id: MQTT_PROP_RECEIVE_MAXIMUM, iv: 3 }] }); }
  }) as EventHandler);
  const rec = new Recorder();
  const c = manager.mqttConnect(srv.url, rec.handler, { version: 5 });
  // Published before CONNACK: held until the server has said its Receive Maximum.
  const ids = Array.from({ length: 10 }, (_, i) => c.mqttPub("rm/t", String(i), { qos: i % 2 === 0 ? 1 : 2 }));
  await rec.waitOpen();
  let acked = 0;
  while (acked < 10) {
    await waitFor(() => held.length > 0, 5000, "a PUBLISH");
    // Nothing more arrives while 3 are unacknowledged.
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(held.length <= 3, `${held.length} in flight`);
    const [sc, m] = held.shift()!;
    sc.mqttAck(m);
    if (m.qos === 1) acked++;
    else { await waitFor(() => srv.got.some((p) => p.cmd === 6 && p.id === m.id), 5000, "PUBREL"); acked++; }
  }
  await waitFor(() => rec.cmds.filter((m) => m.cmd === MQTT_CMD_PUBACK || m.cmd === MQTT_CMD_PUBCOMP).length === 10, 5000, "10 acks");
  assert.equal(maxOutstanding, 3);
  const pubs = srv.got.filter((m) => m.cmd === MQTT_CMD_PUBLISH);
  assert.deepEqual(pubs.map((m) => m.id), ids, "in order");
  assert.deepEqual(pubs.map((m) => m.text), ids.map((_, i) => String(i)));
  held = [];
  await bye([c, rec]);
  srv.listener.close();
});

test("maxQueuedPublishes bounds what waits for the Receive Maximum", async () => {
  const rec = new Recorder();
  const srv = scripted([]); // never reached: the client has not connected yet when it publishes
  const c = manager.mqttConnect(srv.url, rec.handler, { version: 5, maxQueuedPublishes: 2 });
  c.mqttPub("q/t", "1", { qos: 1 });
  c.mqttPub("q/t", "2", { qos: 1 });
  assert.throws(() => c.mqttPub("q/t", "3", { qos: 1 }), (e: Error & { code?: string }) => e.code === "ERR_MQTT_PROTOCOL" && /maxQueuedPublishes/.test(e.message));
  assert.equal(c.mqttPub("q/t", "qos 0 is not queued"), 0);
  await rec.waitOpen();
  await bye([c, rec]);
  srv.listener.close();
});

test("the server's Maximum Packet Size: a larger publish throws, nothing is sent", async () => {
  const [c, rec] = await client();
  const connack = rec.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK)!;
  assert.equal(prop(connack, MQTT_PROP_MAXIMUM_PACKET_SIZE)?.iv, 2048);
  assert.throws(() => c.mqttPub("big/t", Buffer.alloc(4000), { qos: 1 }), /Maximum Packet Size of 2048/);
  assert.throws(() => c.mqttPub("big/t", Buffer.alloc(4000)), /Maximum Packet Size/);
  c.mqttPub("big/t", Buffer.alloc(1000), { qos: 1 });
  await rec.waitCmd(MQTT_CMD_PUBACK);
  assert.deepEqual(rec.errors, []);
  await bye([c, rec]);
});

// ---- session expiry -------------------------------------------------------------------

test("sessionExpiry with clean: false: a reconnect resumes the session and gets what was queued", async () => {
  const [a, ra] = await subscribed({ clientId: "resume-me", clean: false, sessionExpiry: 60 }, "se/#", 1);
  assert.equal((ra.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK)! as MqttPacket).sessionPresent, false);
  await bye([a, ra]);
  const [p, rp] = await client();
  p.mqttPub("se/x", "while away", { qos: 1 });
  await rp.waitCmd(MQTT_CMD_PUBACK);
  const [b, rb] = await client({ clientId: "resume-me", clean: false, sessionExpiry: 60 });
  assert.equal((rb.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK)! as MqttPacket).sessionPresent, true);
  await rb.waitMsgs(1);
  assert.equal(rb.msgs[0]!.text, "while away");
  await bye([b, rb], [p, rp]);
  // Without sessionExpiry (0) the session ends with the connection.
  const [d, rd] = await client({ clientId: "resume-me", clean: false });
  assert.equal((rd.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK)! as MqttPacket).sessionPresent, true);
  await bye([d, rd]);
  const [e, re] = await client({ clientId: "resume-me", clean: false });
  assert.equal((re.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK)! as MqttPacket).sessionPresent, false);
  await bye([e, re]);
});

// ---- enhanced authentication -------------------------------------------------------------

test("enhanced AUTH: the auth callback answers the broker's challenge before CONNACK, and on re-authentication", async () => {
  const seen: string[] = [];
  const [c, rec] = await client({
    authMethod: "challenge",
    auth: (req) => { seen.push(`${req.reauth ? "re" : "first"}:${req.data?.toString()}:${req.reason}`); return `resp:${req.data?.toString()}`; },
  });
  assert.deepEqual(seen, ["first:nonce-first:24"]);
  assert.ok(rec.has(MQTT_CMD_AUTH), "AUTH reported as MG_EV_MQTT_CMD");
  c.mqttAuth();
  await waitFor(() => rec.cmds.filter((m) => m.cmd === MQTT_CMD_AUTH).length === 3, 5000, "AUTH 0x00");
  assert.deepEqual(seen, ["first:nonce-first:24", "re:nonce-re:24"]);
  assert.deepEqual(rec.cmds.filter((m) => m.cmd === MQTT_CMD_AUTH).map((m) => m.ack), [0x18, 0x18, 0]);
  assert.deepEqual(rec.errors, []);
  await bye([c, rec]);
});

test("enhanced AUTH: a wrong answer is refused with CONNACK 0x87", async () => {
  const rec = new Recorder();
  manager.mqttConnect(url, rec.handler, { version: 5, authMethod: "challenge", auth: () => "wrong" });
  await waitFor(() => rec.closed, 5000, "close");
  assert.deepEqual(rec.opens, [0x87]);
});

test("AUTH from a server although CONNECT had no Authentication Method: DISCONNECT 0x82", async () => {
  const srv = scripted([], undefined);
  srv.listener.setHandler(((c, ev, data) => {
    if (ev === MG_EV_MQTT_CMD) {
      srv.got.push(data as MqttPacket);
      if (data.cmd === MQTT_CMD_CONNECT) c.send(buildSimple(MQTT_CMD_AUTH, 5, 0x18, [{ id: MQTT_PROP_AUTHENTICATION_METHOD, val: "x" }]));
    }
  }) as EventHandler);
  const rec = new Recorder();
  manager.mqttConnect(srv.url, rec.handler, { version: 5 });
  await waitFor(() => rec.closed, 5000, "close");
  assert.match(rec.errors.join(), /AUTH without an Authentication Method/);
  await waitFor(() => srv.got.some((m) => m.cmd === MQTT_CMD_DISCONNECT), 5000, "DISCONNECT");
  assert.equal(srv.got.find((m) => m.cmd === MQTT_CMD_DISCONNECT)!.ack, 0x82);
  srv.listener.close();
});

test("the Authentication Data of CONNECT goes to the broker's hook", async () => {
  let first: string | undefined;
  const m2 = new Manager();
  const b2 = new MqttBroker(m2, {
    listen: "mqtt://127.0.0.1:0",
    auth: (req) => { first = req.data === undefined ? undefined : Buffer.from(req.data).toString(); return { status: "success" }; },
  });
  const l2 = startLoop(m2);
  const rec = new Recorder();
  m2.mqttConnect(`mqtt://127.0.0.1:${b2.listener.localAddr.port}`, rec.handler, { version: 5, authMethod: "token", authData: "secret-token" });
  await rec.waitOpen();
  assert.deepEqual(rec.opens, [0]);
  assert.equal(first, "secret-token");
  b2.close();
  await l2.stop();
});

// ---- acks after the application decides ------------------------------------------------

test("MqttBroker refuses an unauthorized publish with PUBACK / PUBREC 0x87; the flows end and others go on", async () => {
  const [sub, rs] = await subscribed({}, "#", 2);
  const [c, rec] = await client();
  const a = c.mqttPub("deny/x", "no", { qos: 1 });
  const b = c.mqttPub("deny/y", "no", { qos: 2 });
  const ok = c.mqttPub("allow/z", "yes", { qos: 2 });
  await rec.waitCmd(MQTT_CMD_PUBACK, a);
  await rec.waitCmd(MQTT_CMD_PUBREC, b);
  await rec.waitCmd(MQTT_CMD_PUBCOMP, ok);
  assert.equal(rec.cmds.find((m) => m.cmd === MQTT_CMD_PUBACK && m.id === a)!.ack, 0x87);
  assert.equal(rec.cmds.find((m) => m.cmd === MQTT_CMD_PUBREC && m.id === b)!.ack, 0x87);
  assert.equal(rec.cmds.find((m) => m.cmd === MQTT_CMD_PUBREC && m.id === ok)!.ack, 0);
  assert.ok(!rec.has(MQTT_CMD_PUBCOMP, b), "a refused QoS 2 flow ends at PUBREC");
  await rs.waitMsgs(1);
  assert.deepEqual(rs.msgs.map((m) => m.topic), ["allow/z"]);
  // 3.1.1 has no reason codes: the refused publish is acknowledged (0) and dropped.
  const r4 = new Recorder();
  const c4 = manager.mqttConnect(url, r4.handler, {});
  await r4.waitOpen();
  const d = c4.mqttPub("deny/v4", "no", { qos: 1 });
  await r4.waitCmd(MQTT_CMD_PUBACK, d);
  assert.equal(r4.cmds.find((m) => m.cmd === MQTT_CMD_PUBACK)!.ack, 0);
  await bye([sub, rs], [c, rec], [c4, r4]);
});

test("mqttAck inside MG_EV_MQTT_MSG sets the reason code and properties; the layer acks everything else", async () => {
  const reasonProps: MqttProperty[] = [{ id: MQTT_PROP_REASON_STRING, val: "over quota" }, { id: MQTT_PROP_USER_PROPERTY, key: "k", val: "v" }];
  const srv = scripted([]);
  const prev = srv.listener.handler! as (c: Connection, ev: number, data: unknown) => void;
  srv.listener.setHandler(((c, ev, data) => {
    if (ev === MG_EV_MQTT_MSG && data.topic === "quota") { c.mqttAck(data, 0x97, reasonProps); assert.throws(() => c.mqttAck(data), /acknowledged already/); }
    prev(c, ev, data);
  }) as EventHandler);
  const [c, rec] = await client({}, srv.url);
  const q = c.mqttPub("quota", "x", { qos: 1 });
  const q2 = c.mqttPub("quota", "x", { qos: 2 });
  const fine = c.mqttPub("fine", "x", { qos: 1 });
  await rec.waitCmd(MQTT_CMD_PUBACK, fine);
  await rec.waitCmd(MQTT_CMD_PUBACK, q);
  await rec.waitCmd(MQTT_CMD_PUBREC, q2);
  const ack = rec.cmds.find((m) => m.cmd === MQTT_CMD_PUBACK && m.id === q)!;
  assert.equal(ack.ack, 0x97);
  assert.deepEqual(ack.properties(), [{ id: MQTT_PROP_REASON_STRING, val: "over quota" }, { id: MQTT_PROP_USER_PROPERTY, key: "k", val: "v" }]);
  assert.equal(rec.cmds.find((m) => m.cmd === MQTT_CMD_PUBREC && m.id === q2)!.ack, 0x97);
  assert.equal(rec.cmds.find((m) => m.cmd === MQTT_CMD_PUBACK && m.id === fine)!.ack, 0);
  // mqttAck needs a QoS 1/2 PUBLISH.
  assert.throws(() => c.mqttAck(rec.cmds[0]!), /QoS 1 or 2 PUBLISH/);
  await bye([c, rec]);
  srv.listener.close();
});

test("mqttManualAcks: the application acknowledges later; nothing goes out before", async () => {
  const held: [Connection, MqttMessage][] = [];
  const srv = scripted([], undefined, { mqttManualAcks: true });
  const prev = srv.listener.handler! as (c: Connection, ev: number, data: unknown) => void;
  srv.listener.setHandler(((c, ev, data) => { if (ev === MG_EV_MQTT_MSG) held.push([c, data]); prev(c, ev, data); }) as EventHandler);
  const [c, rec] = await client({}, srv.url);
  const id = c.mqttPub("later", "x", { qos: 1 });
  await waitFor(() => held.length === 1, 5000, "PUBLISH");
  await new Promise((r) => setTimeout(r, 30));
  assert.ok(!rec.has(MQTT_CMD_PUBACK), "no PUBACK before mqttAck");
  const [sc, m] = held[0]!;
  sc.mqttAck(m, 0x10); // 0x10: no matching subscribers
  await rec.waitCmd(MQTT_CMD_PUBACK, id);
  assert.equal(rec.cmds.find((x) => x.cmd === MQTT_CMD_PUBACK)!.ack, 0x10);
  assert.throws(() => sc.mqttAck(m), /acknowledged already/);
  await bye([c, rec]);
  srv.listener.close();
});

test("SUBSCRIBE, UNSUBSCRIBE and DISCONNECT carry properties; the broker's SUBACK reason codes reach the client", async () => {
  const srv = scripted([], (c, m) => {
    if (m.cmd === MQTT_CMD_SUBSCRIBE) c.mqttSuback(m, [0x87], [{ id: MQTT_PROP_REASON_STRING, val: "no" }]);
  });
  const [c, rec] = await client({}, srv.url);
  const up: MqttProperty[] = [{ id: MQTT_PROP_USER_PROPERTY, key: "who", val: "me" }];
  const id = c.mqttSub("s/t", { qos: 1, props: up });
  await rec.waitCmd(MQTT_CMD_SUBACK, id);
  const suback = rec.cmds.find((m) => m.cmd === MQTT_CMD_SUBACK)!;
  assert.equal(suback.ack, 0x87);
  assert.equal(prop(suback, MQTT_PROP_REASON_STRING)?.val, "no");
  c.mqttUnsub("s/t", up);
  c.mqttDisconnect(0x04, [{ id: MQTT_PROP_REASON_STRING, val: "bye with will" }]);
  await waitFor(() => srv.got.some((m) => m.cmd === MQTT_CMD_DISCONNECT), 5000, "DISCONNECT");
  assert.deepEqual(srv.got.find((m) => m.cmd === MQTT_CMD_SUBSCRIBE)!.properties(), up);
  assert.deepEqual(srv.got.find((m) => m.cmd === 10)!.properties(), up);
  const disc = srv.got.find((m) => m.cmd === MQTT_CMD_DISCONNECT)!;
  assert.equal(disc.ack, 0x04);
  assert.equal(prop(disc, MQTT_PROP_REASON_STRING)?.val, "bye with will");
  await waitFor(() => rec.closed, 5000, "close");
  srv.listener.close();
});

test("MQTT 5 client options need version 5 and are checked", () => {
  assert.throws(() => manager.mqttConnect(url, { topicAliasMaximum: 3 }), /need version 5/);
  assert.throws(() => manager.mqttConnect(url, { version: 5, topicAliasMaximum: 70000 }), /topicAliasMaximum/);
  assert.throws(() => manager.mqttConnect(url, { version: 5, authData: "x" }), /authData needs authMethod/);
  assert.throws(() => manager.mqttConnect(url, { version: 5, auth: "no" as never }), /auth/);
  assert.equal(MQTT_PROP_AUTHENTICATION_DATA, 0x16);
});

after(() => broker.close());
leakCheckAfterAll();
