// The benchmark's MQTT load client: its PUBLISH checkers for QoS 0 fan-out and QoS 1 round
// trips (packets split at any byte, several per read, wrong topics, payloads, packet ids and
// packet types), its packets, and whole runs against our MqttBroker and against a fake
// broker that delivers correctly or wrongly.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { Manager, MqttBroker } from "../../src/index.js";
import { CONNACK_OK, connectPacket, pubackPacket, publishPacket, PublishChecker, publishQos1Packet, subackPacket, subscribePacket, topicOf } from "../../bench/clients/mqtt-packets.js";
import { Qos1Checker } from "../../bench/clients/mqtt-qos1-check.js";
import { payloadText } from "../../bench/clients/ws-load-types.js";
import type { MqttLoadResult } from "../../bench/clients/mqtt-load-types.js";
import { run, startLoop, leakCheckAfterAll } from "../helpers.js";

const CLIENT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", "clients", "mqtt-load.js");
const p64 = Buffer.from(payloadText(64));

function feedAll(checker: PublishChecker, chunks: Buffer[]): { ok: boolean; from: number[] } {
  const from: number[] = [];
  let ok = true;
  for (const c of chunks) ok = checker.feed(c, 0, c.length, (p) => { from.push(p); }) && ok;
  return { ok, from };
}

describe("PublishChecker", () => {
  const stream = Buffer.concat([publishPacket(topicOf("bench", 0), p64), publishPacket(topicOf("bench", 7), p64), publishPacket(topicOf("bench", 12), p64)]);

  it("reads several packets in one read and tells who published each", () => {
    assert.deepEqual(feedAll(new PublishChecker("bench", 13, p64), [stream]), { ok: true, from: [0, 7, 12] });
  });

  it("reads packets split across reads at every byte", () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const r = feedAll(new PublishChecker("bench", 13, p64), [stream.subarray(0, cut), stream.subarray(cut)]);
      assert.deepEqual(r, { ok: true, from: [0, 7, 12] }, `cut at ${cut}`);
    }
    const bytes = Array.from(stream, (b) => Buffer.from([b]));
    assert.deepEqual(feedAll(new PublishChecker("bench", 13, p64), bytes), { ok: true, from: [0, 7, 12] });
  });

  it("checks a range of a buffer only", () => {
    const padded = Buffer.concat([Buffer.from("xx"), publishPacket(topicOf("bench", 3), p64), Buffer.from("yy")]);
    const from: number[] = [];
    assert.ok(new PublishChecker("bench", 4, p64).feed(padded, 2, padded.length - 2, (p) => { from.push(p); }));
    assert.deepEqual(from, [3]);
  });

  it("rejects a payload that differs from what was sent, whole or split", () => {
    for (const at of [0, 31, 63]) {
      const bad = Buffer.from(p64);
      bad[at] = bad[at]! ^ 1;
      const pkt = publishPacket(topicOf("bench", 1), bad);
      for (const chunks of [[pkt], [pkt.subarray(0, 20), pkt.subarray(20)]]) {
        const checker = new PublishChecker("bench", 2, p64);
        assert.deepEqual(feedAll(checker, [publishPacket(topicOf("bench", 0), p64), ...chunks]), { ok: false, from: [0] });
        assert.match(checker.error!, new RegExp(`payload differs from what was sent \\(byte ${at}\\)`));
      }
    }
  });

  it("rejects wrong topics, unknown publishers, other packets and other lengths", () => {
    const cases: [Buffer, RegExp][] = [
      [publishPacket("bexch/p00", p64), /topic differs.*byte 2 of the topic/],
      [publishPacket("bench/q00", p64), /topic differs/],
      [publishPacket("bench/p0x", p64), /topic differs/],
      [publishPacket(topicOf("bench", 5), p64), /topic index 5, but only 2 publishers/],
      [publishPacket("bench/p000", p64.subarray(0, 63)), /topic length differs/],
      [publishPacket(topicOf("bench", 0), p64.subarray(0, 63)), /remaining length/],
      [publishPacket(topicOf("bench", 0), Buffer.concat([p64, Buffer.from("!")])), /remaining length/],
      [Buffer.from([0x32, ...publishPacket(topicOf("bench", 0), p64).subarray(1)]), /PUBLISH with flags 0x2/],
      [Buffer.from([0x31, ...publishPacket(topicOf("bench", 0), p64).subarray(1)]), /PUBLISH with flags 0x1/],
      [Buffer.from([0xd0, 0x00]), /unexpected PINGRESP/],
      [Buffer.from([0xe0, 0x00]), /unexpected DISCONNECT/],
    ];
    for (const [bytes, why] of cases) {
      for (const chunks of [[bytes], Array.from(bytes, (b) => Buffer.from([b]))]) {
        const checker = new PublishChecker("bench", 2, p64);
        assert.deepEqual(feedAll(checker, chunks), { ok: false, from: [] }, String(why));
        assert.match(checker.error!, why);
        // Once failed, it stays failed.
        const good = publishPacket(topicOf("bench", 0), p64);
        assert.equal(checker.feed(good, 0, good.length, () => assert.fail("counted after failing")), false);
      }
    }
  });

  it("builds MQTT 3.1.1 packets", () => {
    // CONNECT: protocol name "MQTT", level 4, clean session, keep alive 0, client id "ab".
    assert.deepEqual([...connectPacket("ab")], [0x10, 14, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 0, 0, 2, 0x61, 0x62]);
    assert.deepEqual([...subscribePacket(1, "a/+", 0)], [0x82, 8, 0, 1, 0, 3, 0x61, 0x2f, 0x2b, 0]);
    assert.deepEqual([...subackPacket(1, 0)], [0x90, 3, 0, 1, 0]);
    assert.deepEqual([...CONNACK_OK], [0x20, 2, 0, 0]);
    const big = publishPacket("t", Buffer.alloc(200));
    assert.deepEqual([...big.subarray(0, 5)], [0x30, 203 & 0x7f | 0x80, 1, 0, 1]); // Remaining Length 203 in two bytes
  });
});

describe("Qos1Checker", () => {
  const topic = topicOf("bench", 4);
  const events = (checker: Qos1Checker, chunks: Buffer[]): { ok: boolean; got: string[] } => {
    const got: string[] = [];
    let ok = true;
    for (const c of chunks) ok = checker.feed(c, 0, c.length, () => { got.push("puback"); }, (id) => { got.push(`publish ${id}`); }) && ok;
    return { ok, got };
  };
  const stream = Buffer.concat([pubackPacket(1), publishQos1Packet(topic, 0x1234, p64), publishQos1Packet(topic, 9, p64), pubackPacket(1)]);

  it("reads PUBACKs and QoS 1 PUBLISHes in either order, split at every byte", () => {
    const want = { ok: true, got: ["puback", "publish 4660", "publish 9", "puback"] };
    assert.deepEqual(events(new Qos1Checker(topic, 1, p64), [stream]), want);
    for (let cut = 1; cut < stream.length; cut++) {
      assert.deepEqual(events(new Qos1Checker(topic, 1, p64), [stream.subarray(0, cut), stream.subarray(cut)]), want, `cut at ${cut}`);
    }
    assert.deepEqual(events(new Qos1Checker(topic, 1, p64), Array.from(stream, (b) => Buffer.from([b]))), want);
  });

  it("rejects wrong PUBACKs, topics, payloads, QoS, packet id 0 and other packets", () => {
    const bad = Buffer.from(p64);
    bad[63] = 0x21;
    const cases: [Buffer, RegExp][] = [
      [pubackPacket(2), /PUBACK for a packet id that was not sent/],
      [publishQos1Packet(topicOf("bench", 5), 3, p64), /topic differs/],
      [publishQos1Packet(topic, 3, bad), /payload differs from what was sent \(byte 63\)/],
      [publishQos1Packet(topic, 3, p64.subarray(1)), /remaining length differs/],
      [publishPacket(topic, p64), /PUBLISH with flags 0x0 \(expected QoS 1/],
      [publishQos1Packet(topic, 0, p64), /packet id 0/],
      [Buffer.from([0xd0, 0x00]), /unexpected PINGRESP/],
    ];
    for (const [bytes, why] of cases) {
      const checker = new Qos1Checker(topic, 1, p64);
      const r = events(checker, [bytes]);
      assert.equal(r.ok, false, String(why));
      assert.deepEqual(r.got, []);
      assert.match(checker.error!, why);
    }
  });
});

async function runClient(port: number, config: Record<string, unknown> = {}): Promise<MqttLoadResult> {
  const r = await run(process.execPath, [CLIENT, JSON.stringify({ port, publishers: 2, subscribers: 3, payload: 64, window: 4, seconds: 0.5, ...config })], { timeoutMs: 30_000 });
  const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  assert.ok(line, `no RESULT line: ${r.stderr}`);
  return JSON.parse(line.slice(7)) as MqttLoadResult;
}

/**
 * A minimal fan-out broker over raw TCP for the client's own packets (all shorter than 128
 * bytes): CONNACK to CONNECT (`connack` replaces it), SUBACK to SUBSCRIBE, and every PUBLISH
 * passed through `deliver` to every subscriber.
 */
async function fakeBroker(opts: { connack?: Buffer; deliver: (publish: Buffer) => Buffer }): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const subscribers = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    let buf = Buffer.alloc(0);
    s.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf[1]!) {
        const pkt = buf.subarray(0, 2 + buf[1]!);
        buf = buf.subarray(pkt.length);
        const type = pkt[0]! >> 4;
        if (type === 1) s.write(opts.connack ?? CONNACK_OK);
        else if (type === 8) { subscribers.add(s); s.write(subackPacket(pkt.readUInt16BE(2), pkt[pkt.length - 1] as 0 | 1)); }
        else if (pkt[0] === 0x32) {
          // QoS 1 (the round-trip mode): PUBACK, then the message back under the broker's id 7.
          const copy = Buffer.from(pkt);
          const idAt = 4 + copy.readUInt16BE(2);
          s.write(pubackPacket(copy.readUInt16BE(idAt)));
          copy.writeUInt16BE(7, idAt);
          s.write(opts.deliver(copy));
        } else if (type === 3) { const out = opts.deliver(Buffer.from(pkt)); for (const sub of subscribers) sub.write(out); }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as net.AddressInfo).port, close: () => { for (const s of sockets) s.destroy(); server.close(); } };
}

describe("load runs", () => {
  it("counts deliveries to every subscriber against our MqttBroker", async () => {
    const manager = new Manager();
    const broker = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0" });
    const loop = startLoop(manager);
    try {
      const r = await runClient(broker.listener.localAddr.port);
      assert.deepEqual(r.errors, []);
      assert.ok(r.ok && r.count > 0 && r.value > 0, JSON.stringify(r));
      assert.match(r.detail, /2 publishers x 4 in flight, 3 subscribers/);
    } finally {
      await loop.stop();
    }
  });

  it("passes against a fake broker that delivers correctly", async () => {
    const srv = await fakeBroker({ deliver: (p) => p });
    try {
      const r = await runClient(srv.port);
      assert.deepEqual(r.errors, []);
      assert.ok(r.ok && r.count > 0, JSON.stringify(r));
    } finally {
      srv.close();
    }
  });

  it("fails the run when the broker delivers a different payload or topic", async () => {
    const flips: [number, RegExp][] = [[-1, /payload differs/], [4, /topic differs/]];
    for (const [at, why] of flips) {
      const srv = await fakeBroker({ deliver: (p) => { const i = at < 0 ? p.length + at : at; p[i] = p[i]! ^ 0x01; return p; } });
      try {
        const r = await runClient(srv.port);
        assert.equal(r.ok, false);
        assert.match(r.errors.join("; "), why);
      } finally {
        srv.close();
      }
    }
  });

  it("fails the run when the broker delivers a message twice", async () => {
    const srv = await fakeBroker({ deliver: (p) => Buffer.concat([p, p]) });
    try {
      const r = await runClient(srv.port, { window: 1 });
      assert.equal(r.ok, false);
      assert.match(r.errors.join("; "), /more messages from publisher \d than were sent/);
    } finally {
      srv.close();
    }
  });

  it("counts QoS 1 round trips against our MqttBroker", async () => {
    const manager = new Manager();
    const broker = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0" });
    const loop = startLoop(manager);
    try {
      const r = await runClient(broker.listener.localAddr.port, { mode: "qos1", publishers: 4 });
      assert.deepEqual(r.errors, []);
      assert.ok(r.ok && r.count > 0 && r.value > 0, JSON.stringify(r));
      assert.match(r.detail, /4 clients, 1 QoS 1 message in flight each/);
    } finally {
      await loop.stop();
    }
  });

  it("QoS 1: passes against a correct fake broker, fails when it changes the payload", async () => {
    const good = await fakeBroker({ deliver: (p) => p });
    try {
      const r = await runClient(good.port, { mode: "qos1" });
      assert.deepEqual(r.errors, []);
      assert.ok(r.ok && r.count > 0, JSON.stringify(r));
    } finally {
      good.close();
    }
    const bad = await fakeBroker({ deliver: (p) => { p[p.length - 1] = p[p.length - 1]! ^ 0x01; return p; } });
    try {
      const r = await runClient(bad.port, { mode: "qos1" });
      assert.equal(r.ok, false);
      assert.match(r.errors.join("; "), /payload differs/);
    } finally {
      bad.close();
    }
  });

  it("fails before measuring when CONNECT is refused", async () => {
    const srv = await fakeBroker({ connack: Buffer.from([0x20, 0x02, 0x00, 0x05]), deliver: (p) => p });
    try {
      const r = await runClient(srv.port);
      assert.equal(r.ok, false);
      assert.equal(r.count, 0);
      assert.match(r.errors.join("; "), /unexpected answer to CONNECT\/SUBSCRIBE: 20020005/);
    } finally {
      srv.close();
    }
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
