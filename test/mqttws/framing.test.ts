// MQTT over WebSocket, the rules of MQTT 5.0 section 6: binary frames only (a text frame
// closes the connection) [MQTT-6.0.0-1], packets not aligned with frames
// [MQTT-6.0.0-2], the subprotocol "mqtt" offered by the client [MQTT-6.0.0-3] and
// selected by the server [MQTT-6.0.0-4]; and the MQTT layer's limits and lifecycle
// over WebSocket.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  Manager, MqttBroker, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_WS_MSG, WEBSOCKET_OP_BINARY, WEBSOCKET_OP_TEXT,
  MQTT_CMD_CONNACK, MQTT_CMD_CONNECT, MQTT_CMD_DISCONNECT, MQTT_CMD_PINGREQ, MQTT_CMD_PINGRESP, type EventHandler,
} from "../../src/index.js";
import { startLoop, waitFor, type Loop, leakCheckAfterAll } from "../helpers.js";
import { Recorder } from "../mqtt/peers.js";
import { RawWsPeer, CONNECT, CONNACK, SUBSCRIBE, SUBACK, PUBLISH, PINGREQ, PINGRESP } from "./raw.js";

let loop: Loop;
let broker: MqttBroker;
let url: string;
const serverErrors: string[] = [];
before(() => {
  loop = startLoop(new Manager(undefined, { errorHandler: () => undefined }));
  broker = new MqttBroker(loop.manager, { listen: "ws://127.0.0.1:0" });
  const inner = broker.listener.handler!;
  broker.listener.handler = (...args) => { if (args[1] === MG_EV_ERROR) serverErrors.push(args[2]); inner(...args); };
  url = `ws://127.0.0.1:${broker.listener.localAddr.port}/mqtt`;
});
after(async () => { broker.close(); await loop.stop(); });

// CONNECT, SUBSCRIBE, a PUBLISH the subscription gets back, PINGREQ; and the answers.
const SESSION = Buffer.concat([CONNECT, SUBSCRIBE, PUBLISH, PINGREQ]);
const ANSWERS = Buffer.concat([CONNACK, SUBACK, PUBLISH, PINGRESP]);

test("several MQTT packets in one binary frame are all parsed [MQTT-6.0.0-2]", async () => {
  const p = new RawWsPeer(loop.manager, url);
  await p.waitOpen();
  p.send(SESSION);
  assert.deepEqual(await p.waitBytes(ANSWERS.length), ANSWERS);
  assert.equal(p.nonBinary, 0); // our answers are binary frames [MQTT-6.0.0-1]
  p.conn.close();
});

test("packets split over frames at every byte are reassembled [MQTT-6.0.0-2]", async () => {
  for (const size of [1, 2, 3, 5, 7, 11]) {
    const p = new RawWsPeer(loop.manager, url);
    await p.waitOpen();
    p.send(SESSION, size);
    assert.deepEqual(await p.waitBytes(ANSWERS.length), ANSWERS, `frames of ${size} bytes`);
    p.conn.close();
  }
});

test("every split of CONNECT into two frames gets CONNACK [MQTT-6.0.0-2]", async () => {
  for (let k = 1; k < CONNECT.length; k++) {
    const p = new RawWsPeer(loop.manager, url);
    await p.waitOpen();
    p.send(CONNECT.subarray(0, k));
    p.send(CONNECT.subarray(k));
    assert.deepEqual(await p.waitBytes(CONNACK.length), CONNACK, `split at ${k}`);
    p.conn.close();
  }
});

test("a text frame closes the connection with 1003, before or after CONNECT [MQTT-6.0.0-1]", async () => {
  for (const before of [false, true]) {
    const p = new RawWsPeer(loop.manager, url);
    await p.waitOpen();
    if (before) { p.send(CONNECT); await p.waitBytes(CONNACK.length); }
    serverErrors.length = 0;
    p.conn.wsSend(Buffer.concat([PINGREQ]).toString("latin1"), WEBSOCKET_OP_TEXT);
    await waitFor(() => p.closed, 5000, "close");
    assert.deepEqual(p.closeCodes, [1003]);
    assert.ok(!p.stream.includes(PINGRESP), "the text frame was not taken as MQTT");
    assert.match(serverErrors.join("\n"), /binary messages only/);
  }
});

test("the server selects mqtt when offered, mqttv3.1 for MQTT 3.1 clients, and refuses a client that offers neither [MQTT-6.0.0-4]", async () => {
  const cases: [string[] | null, string | undefined][] = [
    [["mqtt"], "mqtt"], [["foo", "mqtt"], "mqtt"], [["mqttv3.1", "mqtt"], "mqtt"], [["mqttv3.1"], "mqttv3.1"],
    [null, undefined], [["foo"], undefined],
  ];
  for (const [offer, want] of cases) {
    const p = new RawWsPeer(loop.manager, url, offer);
    await p.waitOpen();
    if (want === undefined) {
      await waitFor(() => p.closed, 5000, "close");
      assert.equal(p.opened, false, `offer ${String(offer)}`);
      assert.match(p.errors.join("\n"), /400/);
    } else {
      assert.equal(p.protocol, want, `offer ${String(offer)}`);
      p.send(CONNECT);
      assert.deepEqual(await p.waitBytes(CONNACK.length), CONNACK);
      p.conn.close();
    }
  }
});

test("mqttConnect over ws:// offers the subprotocol mqtt [MQTT-6.0.0-3]; conn.mqttWsUpgrade serves MQTT beside HTTP pages", async () => {
  const offered: string[] = [];
  const h: EventHandler = (c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) {
      if (data.uri === "/mqtt") { offered.push(data.header("Sec-WebSocket-Protocol") ?? ""); c.mqttWsUpgrade(data); }
      else c.reply(200, "a page\n");
    } else if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_CONNECT) c.mqttConnack(0);
    else if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_PINGREQ) c.mqttPong();
  };
  const lsn = loop.manager.listen("http://127.0.0.1:0", h);
  const port = lsn.localAddr.port;
  const page = await loop.manager.httpRequest(`http://127.0.0.1:${port}/`);
  assert.equal(page.body.toString(), "a page\n");
  const rec = new Recorder();
  const c = loop.manager.mqttConnect(`ws://127.0.0.1:${port}/mqtt`, rec.handler, { keepAlive: 1 });
  await rec.waitOpen();
  assert.deepEqual(offered, ["mqtt"]);
  assert.equal(c.wsProtocol, "mqtt");
  // Keep alive goes on over WebSocket: a PINGREQ after a second idle, answered.
  await rec.waitCmd(MQTT_CMD_PINGRESP, undefined, "PINGRESP");
  c.mqttDisconnect();
  await waitFor(() => rec.closed);
  lsn.close();
});

test("a listen URL with a path serves MQTT only there; listen(ws://, { mqtt: true }) is MQTT over WebSocket too", async () => {
  const h: EventHandler = (c, ev, data) => { if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_CONNECT) c.mqttConnack(0); };
  const a = loop.manager.mqttListen("ws://127.0.0.1:0/mqtt", h);
  const other = new Recorder();
  loop.manager.mqttConnect(`ws://127.0.0.1:${a.localAddr.port}/other`, other.handler);
  await waitFor(() => other.closed);
  assert.match(other.errors.join("\n"), /404/);
  const ok = new Recorder();
  const okc = loop.manager.mqttConnect(`ws://127.0.0.1:${a.localAddr.port}/mqtt`, ok.handler);
  await ok.waitOpen();
  okc.close();
  const b = loop.manager.listen("ws://127.0.0.1:0", h, { mqtt: true });
  const viaListen = new Recorder();
  const c = loop.manager.mqttConnect(`ws://127.0.0.1:${b.localAddr.port}/`, viaListen.handler);
  await viaListen.waitOpen();
  assert.deepEqual(viaListen.opens, [0]);
  c.close();
  a.close();
  b.close();
});

test("over WebSocket: mqttMaxPacketSize refuses a large packet, a throwing handler gets DISCONNECT 0x83", async () => {
  const h: EventHandler = (c, ev, data) => {
    if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_CONNECT) c.mqttConnack(0);
    if (ev === MG_EV_MQTT_MSG && data.topic === "boom") throw new Error("handler bug");
  };
  const lsn = loop.manager.mqttListen("ws://127.0.0.1:0", h, { mqttMaxPacketSize: 1000 });
  const u = `ws://127.0.0.1:${lsn.localAddr.port}`;
  const big = new Recorder();
  const c1 = loop.manager.mqttConnect(u, big.handler, { version: 5 });
  await big.waitOpen();
  c1.mqttPub("big", Buffer.alloc(2000));
  await waitFor(() => big.closed);
  assert.ok(big.cmds.some((m) => m.cmd === MQTT_CMD_DISCONNECT && m.ack === 0x95), "DISCONNECT 0x95 packet too large");
  const boom = new Recorder();
  const c2 = loop.manager.mqttConnect(u, boom.handler, { version: 5 });
  await boom.waitOpen();
  c2.mqttPub("boom", "x");
  await waitFor(() => boom.closed);
  assert.ok(boom.cmds.some((m) => m.cmd === MQTT_CMD_DISCONNECT && m.ack === 0x83), "DISCONNECT 0x83");
  lsn.close();
});

test("over WebSocket: parsing pauses while the send queue is over mqttSendHighWater and resumes, nothing lost", async () => {
  const h: EventHandler = (c, ev, data) => {
    if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_CONNECT) c.mqttConnack(0);
    else if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_PINGREQ) c.mqttPong();
  };
  const lsn = loop.manager.mqttListen("ws://127.0.0.1:0", h, { mqttSendHighWater: 64 });
  const p = new RawWsPeer(loop.manager, `ws://127.0.0.1:${lsn.localAddr.port}`);
  await p.waitOpen();
  const n = 5000;
  p.send(Buffer.concat([CONNECT, ...Array<Buffer>(n).fill(PINGREQ)]), 4096);
  const got = await p.waitBytes(CONNACK.length + n * PINGRESP.length);
  assert.equal(got.length, CONNACK.length + n * PINGRESP.length);
  assert.deepEqual(got.subarray(CONNACK.length), Buffer.concat(Array<Buffer>(n).fill(PINGRESP)));
  p.conn.close();
  lsn.close();
});

test("client side: packets split over frames are reassembled, a text frame closes; a 101 without subprotocol is accepted", async () => {
  // A WebSocket server of ours that plays the MQTT server byte by byte.
  let mode = "split";
  const h: EventHandler = (c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
    else if (ev === MG_EV_WS_MSG && data.op === WEBSOCKET_OP_BINARY && data.data[0] === 0x10) {
      if (mode === "text") { c.wsSend("\u0020\u0002\u0000\u0000", WEBSOCKET_OP_TEXT); return; }
      // CONNACK and a PUBLISH in frames of one byte.
      for (const b of Buffer.concat([CONNACK, PUBLISH])) c.wsSend(Buffer.from([b]), WEBSOCKET_OP_BINARY);
    }
  };
  const lsn = loop.manager.listen("http://127.0.0.1:0", h);
  const u = `ws://127.0.0.1:${lsn.localAddr.port}/`;
  const split = new Recorder();
  const c1 = loop.manager.mqttConnect(u, split.handler);
  await split.waitOpen();
  assert.equal(c1.wsProtocol, "");
  await split.waitMsgs(1);
  assert.equal(split.msgs[0]!.text, "hi");
  c1.close();
  mode = "text";
  const text = new Recorder();
  loop.manager.mqttConnect(u, text.handler);
  await waitFor(() => text.closed);
  assert.deepEqual(text.opens, []);
  assert.match(text.errors.join("\n"), /binary messages only/);
  lsn.close();
});

test("mqttSendHeader + mqttSend write a packet by hand over WebSocket", async () => {
  const h: EventHandler = (c, ev, data) => {
    if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_CONNECT) { c.mqttSendHeader(MQTT_CMD_CONNACK, 0, 2); c.mqttSend(Buffer.from([0, 0])); }
  };
  const lsn = loop.manager.mqttListen("ws://127.0.0.1:0", h);
  const rec = new Recorder();
  const c = loop.manager.mqttConnect(`ws://127.0.0.1:${lsn.localAddr.port}`, rec.handler);
  await rec.waitOpen();
  assert.deepEqual(rec.opens, [0]);
  assert.throws(() => c.wsSend("x"), { code: "ERR_WRONG_CONN" });
  c.close();
  lsn.close();
});

test("manager.close(): an MQTT 5 client over WebSocket gets DISCONNECT 0x8B", async () => {
  const mgr = new Manager();
  const side = startLoop(mgr);
  const b = new MqttBroker(mgr, { listen: "ws://127.0.0.1:0" });
  const rec = new Recorder();
  loop.manager.mqttConnect(`ws://127.0.0.1:${b.listener.localAddr.port}`, rec.handler, { version: 5 });
  await rec.waitOpen();
  void side.stop();
  await waitFor(() => rec.closed);
  assert.ok(rec.cmds.some((m) => m.cmd === MQTT_CMD_DISCONNECT && m.ack === 0x8b), "DISCONNECT 0x8B");
});

leakCheckAfterAll();
