// MqttBroker flow control and limits: the client's Receive Maximum and Maximum Packet
// Size, our Receive Maximum, Server Keep Alive, and bounded memory for a subscriber that
// does not read.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import {
  Manager, MqttBroker, MQTT_CMD_CONNACK, MQTT_CMD_DISCONNECT, MQTT_CMD_PUBLISH, MQTT_CMD_PUBACK, MQTT_CMD_PUBREC, MQTT_CMD_PUBREL, MQTT_CMD_SUBACK,
  MQTT_CMD_SUBSCRIBE, MQTT_PROP_RECEIVE_MAXIMUM, MQTT_PROP_MAXIMUM_PACKET_SIZE, MQTT_PROP_SERVER_KEEP_ALIVE,
  type MqttPacket,
} from "../../src/index.js";
import { buildAck, buildConnect, buildPublish, buildSubscribe } from "../../src/mqtt/builder.js";
import { startLoop, waitFor, run, leakCheckAfterAll } from "../helpers.js";
import { Recorder } from "./peers.js";
import { RawPeer, prop, sleep } from "./broker-raw.js";

const manager = new Manager();
const broker = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0" });
const port = broker.listener.localAddr.port;
const QUEUED_BYTES = 256 * 1024, SEND_QUEUE = 64 * 1024;
const tight = new MqttBroker(manager, {
  listen: "mqtt://127.0.0.1:0", receiveMaximum: 3, maxKeepAlive: 5, maxQueuedBytes: QUEUED_BYTES, maxSendQueueBytes: SEND_QUEUE,
});
const tightPort = tight.listener.localAddr.port;
const loop = startLoop(manager);
after(() => loop.stop());

async function rawSubscriber(p: number, clientId: string, filter: string, props: { id: number; iv: number }[] = [], version = 5): Promise<RawPeer> {
  const r = new RawPeer(p, version);
  r.send(buildConnect({ version, clientId, keepAlive: 0, clean: true, props: version === 5 ? props : undefined }));
  await r.wait(MQTT_CMD_CONNACK);
  r.send(buildSubscribe(MQTT_CMD_SUBSCRIBE, version, 1, [{ topic: filter, options: 1 }]));
  await r.wait(MQTT_CMD_SUBACK);
  return r;
}

test("never more unacknowledged QoS 1 PUBLISH than the client's Receive Maximum; the rest waits [MQTT-4.9.0-2]", async () => {
  const r = await rawSubscriber(port, "rm-2", "rm/#", [{ id: MQTT_PROP_RECEIVE_MAXIMUM, iv: 2 }]);
  for (let i = 1; i <= 5; i++) broker.publish("rm/t", `m${i}`, { qos: 1 });
  await r.wait(MQTT_CMD_PUBLISH, 2);
  await sleep(300);
  assert.equal(r.of(MQTT_CMD_PUBLISH).length, 2);
  assert.equal(broker.sessionInfo("rm-2")!.queued, 3);
  r.send(buildAck(MQTT_CMD_PUBACK, 5, r.of(MQTT_CMD_PUBLISH)[0]!.id));
  await r.wait(MQTT_CMD_PUBLISH, 3);
  await sleep(200);
  assert.equal(r.of(MQTT_CMD_PUBLISH).length, 3, "one acknowledgement, one more message");
  for (const p of r.of(MQTT_CMD_PUBLISH).slice(1)) r.send(buildAck(MQTT_CMD_PUBACK, 5, p.id));
  await r.wait(MQTT_CMD_PUBLISH, 5);
  assert.deepEqual(r.of(MQTT_CMD_PUBLISH).map((p) => p.text), ["m1", "m2", "m3", "m4", "m5"]);
  r.end();
});

test("a message over the client's Maximum Packet Size is dropped for that client only [MQTT-3.1.2-25]", async () => {
  const r = await rawSubscriber(port, "mps", "mps/#", [{ id: MQTT_PROP_MAXIMUM_PACKET_SIZE, iv: 64 }]);
  const sub = run("mosquitto_sub", ["-h", "127.0.0.1", "-p", String(port), "-V", "mqttv5", "-D", "connect", "maximum-packet-size", "80", "-t", "mps/#", "-C", "2", "-v"], { timeoutMs: 10000 });
  await waitFor(() => broker.subscriptionCount >= 2, 5000, "mosquitto_sub subscribed");
  const big = "x".repeat(100);
  broker.publish("mps/a", "small", { qos: 1 });
  broker.publish("mps/b", big, { qos: 1 });
  broker.publish("mps/c", "small too", { qos: 1 });
  await r.wait(MQTT_CMD_PUBLISH, 2);
  await sleep(300);
  assert.deepEqual(r.of(MQTT_CMD_PUBLISH).map((p) => p.topic), ["mps/a", "mps/c"]);
  assert.equal(broker.sessionInfo("mps")!.dropped, 1);
  assert.equal(broker.sessionInfo("mps")!.inflight, 2, "the dropped one is not waiting for an acknowledgement");
  const out = await sub;
  assert.deepEqual(out.stdout.trim().split("\n"), ["mps/a small", "mps/c small too"]);
  r.end();
});

test("our Receive Maximum: a client with more unreleased QoS 2 messages gets DISCONNECT 0x93", async () => {
  const r = new RawPeer(tightPort);
  r.send(buildConnect({ version: 5, clientId: "rm-over", keepAlive: 0, clean: true }));
  const [ack] = await r.wait(MQTT_CMD_CONNACK);
  assert.equal(prop(ack!.properties(), MQTT_PROP_RECEIVE_MAXIMUM)?.iv, 3);
  for (let id = 1; id <= 4; id++) r.send(buildPublish(5, "rm/over", "x", 2, false, false, id));
  const [d] = await r.wait(MQTT_CMD_DISCONNECT);
  assert.equal(d!.ack, 0x93);
  await r.waitClosed();
});

test("DISCONNECT 0x93 reaches a client that keeps writing: the broker lingers instead of resetting (Paho test_flow_control2)", async () => {
  const r = new RawPeer(tightPort);
  r.send(buildConnect({ version: 5, clientId: "rm-linger", keepAlive: 0, clean: true }));
  await r.wait(MQTT_CMD_CONNACK);
  // Like Paho: a burst over the limit, read nothing for a while, then answer the PUBRECs
  // (bytes that reach a socket already destroyed come back as a reset, which makes the
  // kernel drop what this side had not read yet: the DISCONNECT).
  r.sock.pause();
  for (let id = 1; id <= 4; id++) r.send(buildPublish(5, "rm/linger", "x", 2, false, false, id));
  await sleep(300);
  for (let id = 1; id <= 3; id++) r.send(buildAck(MQTT_CMD_PUBREL, 5, id));
  await sleep(100);
  r.sock.resume();
  const [d] = await r.wait(MQTT_CMD_DISCONNECT);
  assert.equal(d!.ack, 0x93);
  assert.equal(r.of(MQTT_CMD_PUBREC).length, 3);
  r.sock.end(); // our FIN ends the broker's linger
  await r.waitClosed();
});

test("Server Keep Alive: an MQTT 5 client asking more than maxKeepAlive (or 0) is told the maximum", async () => {
  for (const keepAlive of [100, 0]) {
    const rec = new Recorder();
    const c = manager.mqttConnect(`mqtt://127.0.0.1:${tightPort}`, rec.handler, { version: 5, keepAlive });
    await rec.waitOpen();
    const ack = rec.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK) as MqttPacket;
    assert.equal(prop(ack.properties(), MQTT_PROP_SERVER_KEEP_ALIVE)?.iv, 5);
    c.mqttDisconnect();
  }
  const rec = new Recorder();
  const c = manager.mqttConnect(`mqtt://127.0.0.1:${tightPort}`, rec.handler, { version: 5, keepAlive: 3 });
  await rec.waitOpen();
  assert.equal(prop((rec.cmds[0] as MqttPacket).properties(), MQTT_PROP_SERVER_KEEP_ALIVE), undefined);
  c.mqttDisconnect();
});

test("a subscriber that does not read: queued bytes and the socket's send queue stay bounded", async () => {
  for (const version of [4, 5]) {
    const id = `slow-v${version}`;
    const r = await rawSubscriber(tightPort, id, "slow/#", [], version);
    r.sock.pause(); // reads nothing from here on
    const payload = Buffer.alloc(16 * 1024, 0x61);
    for (let round = 0; round < 60; round++) {
      for (let i = 0; i < 10; i++) {
        tight.publish("slow/q1", payload, { qos: 1 });
        tight.publish("slow/q0", payload, { qos: 0 });
      }
      await sleep(5);
    }
    const info = tight.sessionInfo(id)!;
    // 20 MB were published: the broker holds what its limits allow.
    assert.ok(info.queuedBytes <= QUEUED_BYTES, `queued ${info.queuedBytes} bytes`);
    assert.ok(info.sendQueueBytes <= SEND_QUEUE + payload.length + 64, `send queue ${info.sendQueueBytes} bytes`);
    assert.ok(info.inflight <= 100, `in flight ${info.inflight}`);
    assert.ok(info.dropped > 0, "messages were dropped");
    assert.ok(info.queuedBytes > QUEUED_BYTES / 2, "the queue did fill up to its bound");
    r.end();
    await waitFor(() => tight.sessionInfo(id) === undefined);
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
