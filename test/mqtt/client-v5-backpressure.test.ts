// Receive-side backpressure (issue 9): a client that publishes QoS 1 as fast as it can and
// never reads its PUBACKs. The server's MQTT layer stops parsing while the connection's
// send queue is above `mqttSendHighWater`, the receive buffer fills, reading pauses, and
// TCP pushes back on the client: the server's memory for the connection stays bounded.
// Once the client reads again, everything is acknowledged.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import {
  Manager, MqttBroker, MG_EV_MQTT_MSG, MG_EV_POLL, MG_EV_READ, MG_EV_WRITE, MQTT_PROP_REASON_STRING,
  type Connection, type EventHandler,
} from "../../src/index.js";
import { buildConnect, buildPublish, buildSubscribe } from "../../src/mqtt/builder.js";
import { parseFixedHeader } from "../../src/mqtt/parser.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";

const manager = new Manager();
const loop = startLoop(manager);
after(() => loop.stop());

const HIGH_WATER = 128 * 1024;
const MAX_PACKET = 4096;
const RECV = 64 * 1024; // the receive buffer (by default as large as mqttMaxPacketSize, at least 1 MiB)

/** Writes `count` QoS 1 PUBLISH packets on a socket that does not read; resolves with the socket once connected. */
async function flood(port: number, version: 4 | 5, count: number, payload = "x", subscribe = false): Promise<net.Socket> {
  const sock = net.connect(port, "127.0.0.1");
  await new Promise<void>((r, j) => { sock.once("connect", r); sock.once("error", j); });
  sock.pause(); // never read: PUBACKs pile up on the server's side
  sock.write(buildConnect({ version, clientId: `flood-${version}`, keepAlive: 0, clean: true }));
  if (subscribe) sock.write(buildSubscribe(8, version, 1, [{ topic: "f/t", options: 0 }]));
  const one = buildPublish(version, "f/t", payload, 1, false, false, 1, undefined);
  const h = parseFixedHeader(one) as { headerLen: number };
  const idAt = h.headerLen + 2 + 3; // after the fixed header and the topic "f/t"
  const batch = Buffer.alloc(one.length * 1000);
  for (let i = 0; i < 1000; i++) one.copy(batch, i * one.length);
  for (let i = 0; i < count / 1000; i++) {
    // Packet ids 1..1000 repeat: a QoS 1 id is free again once acknowledged, and the server acks in order.
    for (let k = 0; k < 1000; k++) batch.writeUInt16BE(k + 1, k * one.length + idAt);
    sock.write(batch);
  }
  return sock;
}

/** Counts the PUBACKs in what the socket receives (its reading resumed). */
function countAcks(sock: net.Socket): { n: number } {
  const acc = { n: 0 };
  let pending: Buffer = Buffer.alloc(0);
  sock.on("data", (d: Buffer) => {
    pending = pending.length === 0 ? d : Buffer.concat([pending, d]);
    let at = 0;
    for (;;) {
      const h = parseFixedHeader(pending.subarray(at));
      if (h === 0 || typeof h === "string" || pending.length - at < h.total) break;
      if (h.cmd === 4) acc.n++;
      at += h.total;
    }
    pending = pending.subarray(at);
  });
  sock.resume();
  return acc;
}

test("mqttListen: a client that never reads its PUBACKs: send queue and receive buffer stay bounded, nothing is lost", async () => {
  const COUNT = 40_000;
  // Large acks (a 1000-byte Reason String) make 40 MB of PUBACKs out of 0.4 MB of PUBLISH:
  // far more than the kernel's socket buffers hold, so without backpressure sendLen would grow.
  const reason = [{ id: MQTT_PROP_REASON_STRING, val: "r".repeat(1000) }];
  let server: Connection | undefined;
  let received = 0, maxSend = 0, maxRecv = 0;
  const h: EventHandler = (c, ev, data) => {
    if (c.isListening) return;
    server = c;
    if (ev === MG_EV_MQTT_MSG) { received++; c.mqttAck(data, 0x10, reason); }
    if (ev === MG_EV_MQTT_MSG || ev === MG_EV_READ || ev === MG_EV_POLL || ev === MG_EV_WRITE) {
      maxSend = Math.max(maxSend, c.sendLen);
      maxRecv = Math.max(maxRecv, c.recvLen);
    }
  };
  const l = manager.mqttListen("mqtt://127.0.0.1:0", h, { mqttSendHighWater: HIGH_WATER, mqttMaxPacketSize: MAX_PACKET, maxRecvSize: RECV });
  const sock = await flood(l.localAddr.port, 5, COUNT);
  // Backpressure engaged: the receive buffer is full (reading paused) while the client still has publishes to send.
  await waitFor(() => server !== undefined && server.isFull, 20000, "the server's receive buffer to fill");
  assert.ok(received < COUNT, `parsing stopped (${received} of ${COUNT} parsed)`);
  assert.ok(maxSend <= HIGH_WATER + 2048, `send queue bounded: ${maxSend} bytes`);
  // The socket hands over up to 64 KiB at a time: the buffer may pass its size by one read.
  assert.ok(maxRecv <= server!.recvSize + 64 * 1024, `receive buffer bounded: ${maxRecv} bytes`);
  // The client reads again: parsing resumes and every publish gets its PUBACK.
  const acks = countAcks(sock);
  await waitFor(() => acks.n === COUNT, 60000, `${COUNT} PUBACKs`);
  assert.equal(received, COUNT);
  assert.ok(maxSend <= HIGH_WATER + 2048, `send queue stayed bounded: ${maxSend} bytes`);
  sock.destroy();
  l.close();
});

test("MqttBroker: a client that publishes QoS 1 to itself and never reads costs bounded memory", async () => {
  // Each 1 KB PUBLISH comes back to the client (its own QoS 0 subscription) with a PUBACK:
  // 20 MB each way. maxSendQueueBytes is set high so that the layer's high-water mark, not
  // the broker's QoS 0 dropping, is what holds the send queue.
  const COUNT = 20_000;
  const HW = 16 * 1024;
  const broker = new MqttBroker(manager, {
    listen: "mqtt://127.0.0.1:0", mqttSendHighWater: HW, mqttMaxPacketSize: MAX_PACKET, maxRecvSize: RECV, maxSendQueueBytes: 256 * 1024 * 1024,
  });
  const port = broker.listener.localAddr.port;
  const sock = await flood(port, 4, COUNT, "p".repeat(1000), true);
  let conn: Connection | undefined;
  let maxSend = 0;
  const sample = (): void => {
    conn ??= manager.connections.find((c) => !c.isListening && !c.isClient && c.localAddr.port === port);
    if (conn !== undefined) maxSend = Math.max(maxSend, conn.sendLen);
  };
  await waitFor(() => { sample(); return conn !== undefined && conn.isFull; }, 60000, "the broker's receive buffer to fill");
  // Watch it for a while: without backpressure the broker would go on parsing and queueing megabytes.
  for (let i = 0; i < 50; i++) { await new Promise((r) => setTimeout(r, 20)); sample(); }
  assert.ok(sock.writableLength > 0, "the client still has publishes it cannot send");
  // One packet past the mark at most: the PUBLISH forwarded and the PUBACK of the last one parsed.
  assert.ok(maxSend <= HW + 2 * 1024, `send queue bounded: ${maxSend} bytes`);
  assert.ok(conn!.recvLen <= conn!.recvSize + 64 * 1024);
  assert.equal(broker.sessionInfo("flood-4")!.dropped, 0, "nothing dropped");
  const acks = countAcks(sock);
  await waitFor(() => { sample(); return acks.n === COUNT; }, 60000, `${COUNT} PUBACKs`);
  assert.ok(maxSend <= HW + 2 * 1024, `send queue stayed bounded: ${maxSend} bytes`);
  sock.destroy();
  broker.close();
});

leakCheckAfterAll();
