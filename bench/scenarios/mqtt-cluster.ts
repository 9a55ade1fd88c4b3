// MQTT fan-out across a cluster: publishers on one broker, subscribers on another, the two
// brokers nodes of a cluster on a redis-server (Debian's, started here on a free loopback
// port, no persistence), against the same load on one broker alone. Messages delivered
// per second (QoS 0, 64 B). The cost measured is the hop through Redis (encode, PUBLISH,
// Redis fan-out to the other node, decode): a cluster is for more clients than one process
// can hold, not for faster delivery between two clients.
//
// This file is also the server program of both sides (the harness starts it with a JSON
// config, lib/child.ts): "cluster" runs redis-server, one node in this process and the
// other in a child process; "single" runs one broker. It writes the subscribers' port
// (the other node's, or its own) to `portFile`. "aedes" does the same with two aedes
// brokers on mqemitter-redis (aedes's own way to cluster, a devDependency here).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as net from "node:net";
import { fileURLToPath } from "node:url";
import { Aedes } from "aedes";
import MQEmitterRedis from "mqemitter-redis";
import { Manager, MqttBroker, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN, MG_EV_ERROR, MG_EV_MQTT_CMD, MQTT_CMD_SUBACK, type Connection } from "../../src/index.js";
import type { Measurement, Prepared, Scenario } from "../lib/types.js";
import { announce } from "../lib/child.js";

const PUBLISHERS = 5, SUBSCRIBERS = 20, PAYLOAD = 64, WINDOW = 8;
const SELF = fileURLToPath(import.meta.url);

export const mqttCluster: Scenario = {
  id: "mqtt-cluster",
  title: `MQTT cross-node fan-out, ${PUBLISHERS} pub x ${SUBSCRIBERS} sub, 64 B QoS 0, 2 brokers on Redis (vs 1 broker)`,
  unit: "msg/s",
  target: 0.5,
  needs: ["redis-server"],
  async prepare(fx) {
    const portFile = (side: string): string => join(fx.dir, `mqtt-cluster-${side}.port`);
    const server = (role: string): { script: string; config: Record<string, unknown> } => ({ script: "../scenarios/mqtt-cluster.js", config: { role, portFile: portFile(role) } });
    const subPort = (role: string): number => Number(readFileSync(portFile(role), "utf8").split(" ")[0]);
    // The harness tells load() the port it was given: the port file says which side it is.
    const sideOf = (port: number): string => (readPort(portFile("cluster")) === port ? "cluster" : readPort(portFile("aedes")) === port ? "aedes" : "single");
    const p: Prepared = {
      ours: { label: "2 brokers on Redis", server: server("cluster") },
      peer: { label: "1 broker", server: server("single") },
      more: [{ label: "2 aedes on mqemitter-redis", server: server("aedes") }],
      probe: async (port) => { await fanOut(port, subPort(sideOf(port)), 0.2); },
      load: (port, seconds) => fanOut(port, subPort(sideOf(port)), seconds),
    };
    return p;
  },
};

function readPort(file: string): number | undefined {
  try { return Number(readFileSync(file, "utf8").split(" ")[1]); } catch { return undefined; }
}

/**
 * Publishers on `pubPort`, subscribers on `subPort` (all on `bench/+`); each publisher keeps
 * WINDOW messages in flight (sent and not yet at every subscriber). Deliveries per second.
 */
async function fanOut(pubPort: number, subPort: number, seconds: number): Promise<Measurement> {
  const manager = new Manager();
  const errors: string[] = [];
  let delivered = 0, subacks = 0;
  const payload = Buffer.alloc(PAYLOAD, 0x61);
  const onErr = (_c: Connection, ev: number, data: unknown): void => { if (ev === MG_EV_ERROR && errors.length < 5) errors.push(String(data)); };
  try {
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const c = manager.mqttConnect(`mqtt://127.0.0.1:${subPort}`, (cc, ev, data) => {
        if (ev === MG_EV_MQTT_MSG) delivered++;
        else if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_SUBACK) subacks++;
        else onErr(cc, ev, data);
      }, { keepAlive: 0 });
      c.mqttSub("bench/+", { qos: 0 });
    }
    const pubs: Connection[] = [];
    let opened = 0;
    for (let i = 0; i < PUBLISHERS; i++) {
      pubs.push(manager.mqttConnect(`mqtt://127.0.0.1:${pubPort}`, (cc, ev, data) => { if (ev === MG_EV_MQTT_OPEN) opened++; else onErr(cc, ev, data); }, { keepAlive: 0 }));
    }
    const deadline = Date.now() + 10_000;
    while (subacks < SUBSCRIBERS || opened < PUBLISHERS) { if (Date.now() > deadline) throw new Error(`no SUBACK for every subscriber (${subacks} SUBACKs, ${opened} publishers open, pub port ${pubPort}, sub port ${subPort})`); await manager.poll(5); }
    // The subscriptions are known across the cluster once a message reaches every subscriber.
    while (delivered < SUBSCRIBERS) {
      if (Date.now() > deadline) throw new Error(`a message reached ${delivered} of ${SUBSCRIBERS} subscribers`);
      pubs[0]!.mqttPub("bench/p0", payload);
      await manager.poll(20);
    }
    delivered = 0;
    let sent = 0;
    const t0 = process.hrtime.bigint();
    const end = t0 + BigInt(Math.round(seconds * 1e9));
    let now = t0;
    while (now < end && errors.length === 0) {
      // In flight: messages sent and not yet at every subscriber (in deliveries).
      while ((sent * SUBSCRIBERS - delivered) < WINDOW * PUBLISHERS * SUBSCRIBERS) {
        const i = sent % PUBLISHERS;
        pubs[i]!.mqttPub(`bench/p${i}`, payload);
        sent++;
      }
      await manager.poll(1);
      now = process.hrtime.bigint();
    }
    const secs = Number(now - t0) / 1e9;
    return { value: delivered / secs, seconds: secs, errors, detail: `${sent} published, ${delivered} delivered` };
  } finally {
    await manager.close();
  }
}

// ---- the server program ------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

/** Resolves with the first line of `child`'s stdout that matches `re`. */
function lineOf(child: ChildProcess, re: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => { out += d.toString(); const m = out.match(re); if (m) resolve(m); });
    child.once("exit", () => reject(new Error(`exited before ${re}: ${out}`)));
  });
}

/** Starts redis-server on a free loopback port in a temp dir; its URL, process and dir. */
async function startRedis(): Promise<{ url: string; port: number; proc: ChildProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "bench-redis-"));
  const port = await freePort();
  const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: ["ignore", "pipe", "inherit"] });
  await lineOf(proc, /Ready to accept connections/);
  return { url: `redis://127.0.0.1:${port}`, port, proc, dir };
}

/** aedes on mqemitter-redis: "aedes" starts Redis, one node here and one in a child ("aedes-node"). */
async function serveAedes(cfg: { role: string; portFile?: string; redisPort?: number }): Promise<void> {
  const children: ChildProcess[] = [];
  let dir: string | undefined;
  let redisPort = cfg.redisPort ?? 0;
  if (cfg.role === "aedes") {
    const r = await startRedis();
    children.push(r.proc);
    dir = r.dir;
    redisPort = r.port;
  }
  const mq = MQEmitterRedis({ host: "127.0.0.1", port: redisPort });
  // Listen only once both of mqemitter-redis's Redis connections are up: subscriptions made
  // before that are answered for the first client only.
  const conns = mq as unknown as { subConn?: { status: string }; pubConn?: { status: string } };
  for (let i = 0; i < 500 && (conns.subConn?.status !== "ready" || conns.pubConn?.status !== "ready"); i++) await new Promise((r) => setTimeout(r, 10));
  const aedes = await Aedes.createBroker({ mq });
  const server = net.createServer((socket) => { aedes.handle(socket); });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  let subPort = port;
  if (cfg.role === "aedes") {
    const n = spawn(process.execPath, [SELF, JSON.stringify({ role: "aedes-node", redisPort })], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(n);
    subPort = Number((await lineOf(n, /NODE (\d+)/))[1]);
  }
  const stop = (): void => {
    for (const c of children) c.kill("SIGKILL");
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    server.close();
    aedes.close(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  if (cfg.role === "aedes-node") process.stdout.write(`NODE ${port}\n`);
  else {
    writeFileSync(cfg.portFile!, `${subPort} ${port}`);
    announce(port, ...children.map((c) => c.pid));
  }
}

async function serve(cfg: { role: string; portFile?: string; redis?: string; redisPort?: number }): Promise<void> {
  if (cfg.role.startsWith("aedes")) return serveAedes(cfg);
  const manager = new Manager();
  const children: ChildProcess[] = [];
  let dir: string | undefined;
  let redis = cfg.redis;
  if (cfg.role === "cluster") {
    const r = await startRedis();
    children.push(r.proc);
    dir = r.dir;
    redis = r.url;
  }
  const broker = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0", ...(redis === undefined ? {} : { cluster: { redis } }) });
  await broker.ready;
  const port = broker.listener.localAddr.port;
  let subPort = port;
  if (cfg.role === "cluster") {
    const n = spawn(process.execPath, [SELF, JSON.stringify({ role: "node", redis })], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(n);
    subPort = Number((await lineOf(n, /NODE (\d+)/))[1]);
  }
  const stop = (): void => {
    for (const c of children) c.kill("SIGKILL");
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    void manager.close().then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  if (cfg.role === "node") {
    process.stdout.write(`NODE ${port}\n`);
  } else {
    // "SUBPORT PUBPORT": load() finds its side by the port the harness gives it.
    writeFileSync(cfg.portFile!, `${subPort} ${port}`);
    announce(port, ...children.map((c) => c.pid));
  }
  await manager.run({ pollMs: 100 });
}

if (process.argv[1] === SELF && process.argv[2] !== undefined) await serve(JSON.parse(process.argv[2]) as { role: string; portFile?: string; redis?: string });
