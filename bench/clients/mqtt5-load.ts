// MQTT 5 load generator: tsmongoose's own MQTT client (the same for both brokers), run in
// its own process. Prints one line: RESULT {json} (see load-report.ts).
//
// `workers` MQTT 5 clients share one subscription `$share/workers/<prefix>/+` (each
// message goes to one of them) and announce a Topic Alias Maximum, so a broker that uses
// aliases towards clients may; `publishers` MQTT 5 clients publish QoS 0 messages with
// `useTopicAliases` over `topics` long topic names each (`<prefix>/site-…-pNN-tMM`), so
// after the first round only aliases go out. Each publisher keeps `window` messages in
// flight: the next one goes when one of its messages has reached a worker. The number is
// messages delivered per second. A message delivered twice, to no one (in the end), with
// a wrong topic or payload, or any MG_EV_ERROR, disqualifies the side.
import {
  Manager, MG_EV_ERROR, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN, MQTT_CMD_SUBACK, type Connection,
} from "../../src/index.js";
import { problem, finish, measure, clientNote } from "./load-report.js";

interface Mqtt5LoadConfig {
  port: number;
  publishers: number;
  workers: number;
  topics: number;
  payload: number;
  window: number;
  seconds: number;
  prefix?: string;
  /** For experiments: turn off the aliases or the sharing (default all on). */
  noAliases?: boolean;
  noShare?: boolean;
}

const cfg = JSON.parse(process.argv[2] ?? "{}") as Mqtt5LoadConfig;
const prefix = cfg.prefix ?? "bench5";
const P = cfg.publishers, W = cfg.workers, T = cfg.topics;
const copies = cfg.noShare === true ? W : 1;
const url = `mqtt://127.0.0.1:${cfg.port}`;
const manager = new Manager();
const topicName = (p: number, t: number): string => `${prefix}/site-0042-building-07-floor-03-sensor-p${p}-t${t}`;

let running = false;
let delivered = 0;
const sent = new Int32Array(P);
const got = new Int32Array(P);
const next = new Int32Array(P);
const pubs: Connection[] = [];
const payloads: Buffer[] = [];
const topics: string[][] = [];

/** The payload carries the publisher's index (2 bytes), then filler. */
for (let p = 0; p < P; p++) {
  const b = Buffer.alloc(Math.max(2, cfg.payload), 0x61);
  b.writeUInt16BE(p, 0);
  payloads.push(b);
  topics.push(Array.from({ length: T }, (_, t) => topicName(p, t)));
}

function publish(p: number): void {
  const c = pubs[p]!;
  if (c.isClosing) return;
  const t = next[p]!;
  next[p] = (t + 1) % T;
  sent[p]!++;
  c.mqttPub(topics[p]![t]!, payloads[p]!, { qos: 0 });
}

let opened = 0, subacked = 0;
for (let w = 0; w < W; w++) {
  const c = manager.mqttConnect(url, (_c, ev, data) => {
    if (ev === MG_EV_MQTT_OPEN) { if (data === 0) opened++; else problem(`worker ${w}: CONNACK ${data}`); }
    else if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_SUBACK) { if (data.ack <= 2) subacked++; else problem(`worker ${w}: SUBACK 0x${data.ack.toString(16)} (no shared subscriptions?)`); }
    else if (ev === MG_EV_MQTT_MSG) {
      if (data.data.length !== payloads[0]!.length || !data.topic.startsWith(`${prefix}/site-`)) { problem(`worker ${w}: wrong message ${data.topic}`); return; }
      const p = data.data.readUInt16BE(0);
      // Shared: each message goes to one worker; not shared: to every one of the W.
      if (p >= P || ++got[p]! > sent[p]! * copies) { problem(`worker ${w}: a message delivered twice or never sent (publisher ${p})`); return; }
      delivered++;
      // The next message once this one has (about) reached everyone: W deliveries per message when not shared.
      if (running && got[p]! % copies === 0) publish(p);
    } else if (ev === MG_EV_ERROR) problem(`worker ${w}: ${data}`);
  }, { version: 5, clientId: `b5-w${w}-${process.pid}`, keepAlive: 0, topicAliasMaximum: cfg.noAliases === true ? 0 : T * P });
  c.mqttSub(cfg.noShare === true ? `${prefix}/+` : `$share/workers/${prefix}/+`, { qos: 0 });
}
for (let p = 0; p < P; p++) {
  pubs.push(manager.mqttConnect(url, (_c, ev, data) => {
    if (ev === MG_EV_MQTT_OPEN) { if (data === 0) opened++; else problem(`publisher ${p}: CONNACK ${data}`); }
    else if (ev === MG_EV_ERROR) problem(`publisher ${p}: ${data}`);
  }, { version: 5, clientId: `b5-p${p}-${process.pid}`, keepAlive: 0, useTopicAliases: cfg.noAliases !== true }));
}

let stop = false;
const loop = (async () => { while (!stop) await manager.poll(1); })();
const deadline = Date.now() + 15000;
while (opened < P + W || subacked < W) {
  if (Date.now() > deadline) { problem(`only ${opened} CONNACK and ${subacked} SUBACK of ${P + W} / ${W}`); break; }
  await new Promise((r) => setTimeout(r, 10));
}
running = true;
for (let p = 0; p < P; p++) for (let k = 0; k < cfg.window; k++) publish(p);
const d0 = delivered;
const { s, cpuPct } = await measure(cfg.seconds);
const n = delivered - d0;
running = false;
stop = true;
await loop;
await manager.close();
if (n === 0) problem("no message reached a worker");
finish({
  value: n / s, count: n, seconds: s, clientCpuPct: cpuPct,
  detail: `MQTT 5, ${P} publishers x ${cfg.window} in flight over ${T} ${cfg.noAliases === true ? "" : "aliased "}topics each, ${W} ${cfg.noShare === true ? "subscribers on one filter" : "workers in one shared subscription"}, ` +
    `${cfg.payload} B QoS 0, ${clientNote(cpuPct)}`,
});
