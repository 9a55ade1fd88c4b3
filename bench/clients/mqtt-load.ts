// MQTT load generator over raw sockets, run in its own process, the same client for both
// brokers. Prints one line: RESULT {json} (see mqtt-load-types.ts).
//
// Mode "qos1": see qos1RoundTrips() below. Mode "fanout" (default): `subscribers` connections subscribe to `<prefix>/+` (QoS 0); `publishers` connections
// publish QoS 0 messages to `<prefix>/pNN`, so the broker sends every message to every
// subscriber. Each publisher keeps `window` messages in flight: it sends the next one when
// one of its messages has reached every subscriber, so no queue can grow without bound.
// The number is messages delivered to subscribers per second.
//
// As in ws-raw-load.ts, the packets sent are built once (mqtt-packets.ts) and what comes in
// is checked as it streams through one reused read buffer (net `onread`), without
// allocation per message: a wrong topic, a wrong payload, any packet other than a QoS 0
// PUBLISH, more messages than were published, or a connection closed by the broker
// disqualifies the side (in "qos1": anything but the expected PUBACK and QoS 1 PUBLISH).
import * as net from "node:net";
import { CONNACK_OK, connectPacket, pubackPacket, publishPacket, PublishChecker, publishQos1Packet, subackPacket, subscribePacket, topicOf } from "./mqtt-packets.js";
import { Qos1Checker } from "./mqtt-qos1-check.js";
import { payloadText } from "./ws-load-types.js";
import type { MqttLoadConfig } from "./mqtt-load-types.js";
import { problem, finish, measure, clientNote } from "./load-report.js";

const cfg = JSON.parse(process.argv[2] ?? "{}") as MqttLoadConfig;
const CONNECT_TIMEOUT_MS = 15_000;
const SUB_ID = 1;
const prefix = cfg.prefix ?? "bench";
const payload = Buffer.from(payloadText(cfg.payload));
const P = cfg.publishers;
const S = cfg.subscribers;
const RING = 1024;
let running = false;
/** Reads by fan-out subscriber sockets: how well the broker batches its writes. */
let subscriberReads = 0;

// One read buffer for every socket: each chunk is fully checked before the callback returns.
const readBuffer = Buffer.allocUnsafe(64 * 1024);



/** One MQTT connection: CONNECT (and SUBSCRIBE), then its expected answer, then `onStream`. */
class Conn {
  socket!: net.Socket;
  failed = false;
  private ready = false;
  private setup = Buffer.alloc(0);

  constructor(private readonly hello: Buffer, private readonly answer: Buffer,
    private readonly onStream: (buf: Buffer, start: number, end: number) => string | undefined, private readonly counted = false) {}

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket = net.connect({
        host: "127.0.0.1", port: cfg.port, noDelay: true,
        onread: { buffer: readBuffer, callback: (n: number, buf: Uint8Array) => { this.bytes(buf as Buffer, n, resolve, reject); return true; } },
      });
      this.socket.write(this.hello);
      this.socket.on("error", (e) => { if (!this.ready) reject(e); else if (!this.failed) problem(`socket error: ${e.message}`); });
      this.socket.once("close", () => {
        if (!this.ready) reject(new Error("connection closed before CONNACK/SUBACK"));
        else if (running && !this.failed) problem("connection closed by the broker");
      });
    });
  }

  private bytes(buf: Buffer, n: number, resolve: () => void, reject: (e: Error) => void): void {
    if (this.failed) return;
    if (this.counted) subscriberReads++;
    let start = 0;
    if (!this.ready) {
      // Setup answers (CONNACK, SUBACK) are collected in a copy: the read buffer is shared.
      const take = Math.min(n, this.answer.length - this.setup.length);
      this.setup = Buffer.concat([this.setup, buf.subarray(0, take)]);
      if (this.setup.length < this.answer.length) return;
      if (!this.setup.equals(this.answer)) {
        reject(new Error(`unexpected answer to CONNECT/SUBSCRIBE: ${this.setup.toString("hex")} (expected ${this.answer.toString("hex")})`));
        this.socket.destroy();
        return;
      }
      this.ready = true;
      resolve();
      start = take;
    }
    if (start === n) return;
    const err = this.onStream(buf, start, n);
    if (err !== undefined) {
      this.failed = true;
      problem(err);
      this.socket.destroy();
    }
  }
}

/** Opens every connection; rejects when one fails or they take too long. */
async function openAll(conns: Conn[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not all ${conns.length} connections got their CONNACK/SUBACK within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
  });
  try {
    await Promise.race([Promise.all(conns.map((c) => c.open())), timeout]);
  } finally {
    clearTimeout(timer);
  }
}


async function fanout(): Promise<never> {
  if (P < 1 || S < 1 || cfg.window < 1 || cfg.window >= RING) throw new Error("need publishers >= 1, subscribers >= 1, 1 <= window < 1024");
  // received[s * P + p]: messages subscriber s got from publisher p. Per topic the broker
  // keeps order, so that count is also the index of the next message; arrivals, a ring per
  // publisher indexed by message number, counts the subscribers that have each message.
  const received = new Int32Array(S * P);
  const arrivals = new Int32Array(P * RING);
  const sent = new Int32Array(P);
  let delivered = 0;
  let completed = 0;

  // When each message in flight was sent (same ring as arrivals), and the latency from
  // publish to the last subscriber of the messages completed while measuring.
  const sentAt = new Float64Array(P * RING);
  const latencies = new Float64Array(1 << 20);
  let nLat = 0;
  let measuring = false;
  const publishers: Conn[] = [];
  const publishPackets: Buffer[] = [];
  const publish = (p: number): void => { sentAt[p * RING + (sent[p]! % RING)] = performance.now(); sent[p]!++; publishers[p]!.socket.write(publishPackets[p]!); };
  for (let p = 0; p < P; p++) {
    publishPackets.push(publishPacket(topicOf(prefix, p), payload));
    publishers.push(new Conn(connectPacket(`bench-${process.pid}-pub-${p}`), CONNACK_OK, () => "a publisher received a packet (it subscribed to nothing)"));
  }
  const subscribers: Conn[] = [];
  for (let s = 0; s < S; s++) {
    const checker = new PublishChecker(prefix, P, payload);
    const base = s * P;
    const onPublish = (p: number): void => {
      const k = received[base + p]!++;
      if (k >= sent[p]!) { problem(`subscriber ${s} received more messages from publisher ${p} than were sent`); return; }
      delivered++;
      const slot = p * RING + (k % RING);
      if (++arrivals[slot]! === S) {
        arrivals[slot] = 0;
        completed++;
        if (measuring && nLat < latencies.length) latencies[nLat++] = performance.now() - sentAt[slot]!;
        if (running) publish(p);
      }
    };
    const hello = Buffer.concat([connectPacket(`bench-${process.pid}-sub-${s}`), subscribePacket(SUB_ID, `${prefix}/+`, 0)]);
    subscribers.push(new Conn(hello, Buffer.concat([CONNACK_OK, subackPacket(SUB_ID, 0)]),
      (buf, start, end) => (checker.feed(buf, start, end, onPublish) ? undefined : `subscriber ${s}: ${checker.error}`), true));
  }

  await openAll([...subscribers, ...publishers]);
  running = true;
  for (let p = 0; p < P; p++) for (let w = 0; w < cfg.window; w++) publish(p);
  const d0 = delivered;
  const c0 = completed;
  const r0 = subscriberReads;
  measuring = true;
  const { s, cpuPct } = await measure(cfg.seconds);
  measuring = false;
  const n = delivered - d0;
  const done = completed - c0;
  const reads = subscriberReads - r0;
  running = false;
  if (done === 0) problem("no message reached every subscriber");
  const lat = latencies.subarray(0, nLat).sort();
  const pct = (q: number): number => (nLat ? lat[Math.min(nLat - 1, Math.floor(nLat * q))]! : NaN);
  return finish({
    value: n / s, count: n, seconds: s, clientCpuPct: cpuPct, p99ms: pct(0.99),
    detail: `${P} publishers x ${cfg.window} in flight, ${S} subscribers, ${(done / s).toFixed(0)} publishes/s, ${cfg.payload} B QoS 0, ` +
      `publish-to-all-subscribers latency p50 ${pct(0.5).toFixed(2)} ms, p99 ${pct(0.99).toFixed(2)} ms, ` +
      `${reads > 0 ? (n / reads).toFixed(1) : "0"} messages per subscriber read, ${clientNote(cpuPct)}`,
  });
}

/**
 * QoS 1 round trips: each of `publishers` clients subscribes to its own topic at QoS 1 and
 * publishes QoS 1 messages to it, one at a time. A round trip ends when both the broker's
 * PUBACK and the broker's PUBLISH of the message have arrived; the client then sends its
 * PUBACK for that PUBLISH and the next PUBLISH in one write.
 */
async function qos1RoundTrips(): Promise<never> {
  if (P < 1 || P > 100) throw new Error("need 1 <= publishers <= 100");
  const OWN_ID = 1;
  let roundTrips = 0;
  const clients: Conn[] = [];
  const kickoff: (() => void)[] = [];
  for (let i = 0; i < P; i++) {
    const topic = topicOf(prefix, i);
    const checker = new Qos1Checker(topic, OWN_ID, payload);
    // [PUBACK for the broker's PUBLISH | our next PUBLISH]: one buffer per client, reused.
    // Safe because it is rewritten only after the broker answered the previous write,
    // which it can only do once that write has left this process.
    const out = Buffer.concat([pubackPacket(0), publishQos1Packet(topic, OWN_ID, payload)]);
    const firstPublish = out.subarray(4);
    let acked = false;
    let deliveredId = 0;
    let inFlight = false;
    const sendFirst = (): void => { inFlight = true; conn.socket.write(firstPublish); };
    const complete = (): void => {
      roundTrips++;
      out[2] = deliveredId >> 8;
      out[3] = deliveredId & 0xff;
      acked = false;
      deliveredId = 0;
      inFlight = running;
      // After the run, still acknowledge the last delivery (the broker would resend it).
      conn.socket.write(running ? out : out.subarray(0, 4));
    };
    const onPuback = (): void => {
      if (!inFlight || acked) { problem(`client ${i}: a PUBACK with no PUBLISH in flight`); return; }
      acked = true;
      if (deliveredId !== 0) complete();
    };
    const onPublish = (id: number): void => {
      if (!inFlight || deliveredId !== 0) { problem(`client ${i}: a delivery with no message in flight`); return; }
      deliveredId = id;
      if (acked) complete();
    };
    const hello = Buffer.concat([connectPacket(`bench-${process.pid}-rt-${i}`), subscribePacket(SUB_ID, topic, 1)]);
    const conn: Conn = new Conn(hello, Buffer.concat([CONNACK_OK, subackPacket(SUB_ID, 1)]),
      (buf, start, end) => (checker.feed(buf, start, end, onPuback, onPublish) ? undefined : `client ${i}: ${checker.error}`));
    clients.push(conn);
    kickoff.push(sendFirst);
  }
  await openAll(clients);
  running = true;
  for (const k of kickoff) k();
  const n0 = roundTrips;
  const { s, cpuPct } = await measure(cfg.seconds);
  const n = roundTrips - n0;
  running = false;
  if (n === 0) problem("no round trip completed");
  return finish({
    value: n / s, count: n, seconds: s, clientCpuPct: cpuPct,
    detail: `${P} clients, 1 QoS 1 message in flight each, ${cfg.payload} B, ${clientNote(cpuPct)}`,
  });
}

try {
  await (cfg.mode === "qos1" ? qos1RoundTrips() : fanout());
} catch (e) {
  problem((e as Error).message);
  finish({ value: 0, count: 0, seconds: 0, detail: "" });
}
