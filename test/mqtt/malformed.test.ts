// The client against a fake server that sends broken, slow or oversized input.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { Manager, type MqttConnectOptions } from "../../src/index.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";
import { Recorder } from "./peers.js";

const loop = startLoop(new Manager());
after(() => loop.stop());

const CONNACK = Buffer.from([0x20, 0x02, 0x00, 0x00]);

/** A server that answers the first bytes it gets (the CONNECT) with `reply`, in pieces `gapMs` apart. */
async function fakeServer(reply: Buffer[], opts: { gapMs?: number; end?: boolean } = {}): Promise<{ port: number; server: net.Server; got: Buffer[] }> {
  const got: Buffer[] = [];
  const server = net.createServer((sock) => {
    let answered = false;
    sock.on("error", () => {});
    sock.on("data", async (d) => {
      got.push(d);
      if (answered) return;
      answered = true;
      for (const part of reply) {
        if (sock.destroyed) return;
        sock.write(part);
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
      if (opts.end) sock.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  after(() => server.close());
  return { port: (server.address() as net.AddressInfo).port, server, got };
}

async function against(reply: Buffer[], opts: MqttConnectOptions = {}, sopts: { gapMs?: number; end?: boolean } = {}): Promise<Recorder> {
  const { port } = await fakeServer(reply, sopts);
  const rec = new Recorder();
  loop.manager.mqttConnect(`mqtt://127.0.0.1:${port}`, rec.handler, opts);
  return rec;
}

function publish(topic: Buffer, payload: Buffer, extra: number[] = []): Buffer {
  const body = Buffer.concat([Buffer.from([topic.length >> 8, topic.length & 255]), topic, Buffer.from(extra), payload]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

async function expectError(rec: Recorder, pattern: RegExp): Promise<void> {
  await waitFor(() => rec.closed, 5000, "close");
  assert.equal(rec.errors.length, 1, `errors: ${JSON.stringify(rec.errors)}`);
  assert.match(rec.errors[0]!, pattern);
}

test("remaining length with a fifth byte: error and close", async () => {
  const rec = await against([CONNACK, Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])]);
  await expectError(rec, /remaining length longer than 4 bytes/);
  assert.deepEqual(rec.opens, [0]);
  assert.equal(rec.msgs.length, 0);
});

test("a packet over mqttMaxPacketSize is refused from its header", async () => {
  const rec = await against([CONNACK, Buffer.from([0x30, 0xa0, 0x8d, 0x06])], { mqttMaxPacketSize: 1000 }); // 100000 bytes announced
  await expectError(rec, /over the limit of 1000/);
});

test("a truncated packet followed by close delivers nothing and does not crash", async () => {
  const p = publish(Buffer.from("a/b"), Buffer.from("payload"));
  const rec = await against([CONNACK, p.subarray(0, 6)], {}, { end: true });
  await waitFor(() => rec.closed, 5000, "close");
  assert.equal(rec.msgs.length, 0);
});

test("a topic length past the end of the packet is malformed", async () => {
  const rec = await against([CONNACK, Buffer.from([0x30, 0x04, 0x00, 0x10, 0x61, 0x62])]);
  await expectError(rec, /malformed packet: truncated topic/);
});

test("a topic that is not UTF-8, or has a wildcard, is malformed", async () => {
  const r1 = await against([CONNACK, publish(Buffer.from([0xc3, 0x28]), Buffer.from("x"))]);
  await expectError(r1, /not valid UTF-8/);
  const r2 = await against([CONNACK, publish(Buffer.from("a/+"), Buffer.from("x"))]);
  await expectError(r2, /wildcard/);
  const r3 = await against([CONNACK, publish(Buffer.from([0x61, 0x00]), Buffer.from("x"))]);
  await expectError(r3, /not valid UTF-8/);
});

test("bad fixed header flags, QoS 3, reserved type 0", async () => {
  await expectError(await against([Buffer.from([0x21, 0x02, 0, 0])]), /bad flags/);
  await expectError(await against([CONNACK, Buffer.from([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01])]), /QoS 3/);
  await expectError(await against([CONNACK, Buffer.from([0x00, 0x00])]), /reserved packet type/);
});

test("packets out of order: PUBLISH before CONNACK, CONNECT sent to a client", async () => {
  await expectError(await against([publish(Buffer.from("a"), Buffer.from("b"))]), /before CONNACK/);
  await expectError(await against([CONNACK, Buffer.from([0x10, 0x00])]), /protocol error|malformed/);
});

test("v5: an unknown property identifier is malformed", async () => {
  // CONNACK with properties: length 2, id 0x7f (unknown), 0.
  const rec = await against([Buffer.from([0x20, 0x05, 0x00, 0x00, 0x02, 0x7f, 0x00])], { version: 5 });
  await expectError(rec, /unknown property identifier 127/);
});

test("a packet that arrives one byte at a time is parsed once complete", async () => {
  const all = Buffer.concat([CONNACK, publish(Buffer.from("slow/topic"), Buffer.from("slow payload"))]);
  const parts = [...all].map((b) => Buffer.from([b]));
  const rec = await against(parts, {}, { gapMs: 2 });
  await rec.waitMsgs(1);
  assert.equal(rec.msgs[0]!.topic, "slow/topic");
  assert.equal(rec.msgs[0]!.text, "slow payload");
  assert.deepEqual(rec.errors, []);
});

test("no PINGRESP within the keep alive interval: error", async () => {
  const { port, got } = await fakeServer([CONNACK]);
  const rec = new Recorder();
  loop.manager.mqttConnect(`mqtt://127.0.0.1:${port}`, rec.handler, { keepAlive: 1 });
  await waitFor(() => rec.closed, 6000, "close");
  assert.match(rec.errors[0] ?? "", /no PINGRESP/);
  assert.ok(got.some((d) => d.includes(Buffer.from([0xc0, 0x00]))), "a PINGREQ was sent");
});

test("no CONNACK in time: error", async () => {
  const { port } = await fakeServer([]);
  const rec = new Recorder();
  loop.manager.mqttConnect(`mqtt://127.0.0.1:${port}`, rec.handler, { connectTimeoutMs: 200 });
  await expectError(rec, /no CONNACK/);
});

test("v5: the server's keep alive (CONNACK property) replaces ours", async () => {
  const { port, got } = await fakeServer([Buffer.from([0x20, 0x06, 0x00, 0x00, 0x03, 0x13, 0x00, 0x01])]);
  const rec = new Recorder();
  loop.manager.mqttConnect(`mqtt://127.0.0.1:${port}`, rec.handler, { version: 5, keepAlive: 600 });
  await waitFor(() => rec.closed, 6000, "close");
  assert.deepEqual(rec.opens, [0]);
  assert.match(rec.errors[0] ?? "", /no PINGRESP/);
  assert.ok(got.some((d) => d.includes(Buffer.from([0xc0, 0x00]))), "a PINGREQ was sent after 1 s");
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
