// npm run soak [-- --seconds N]: minutes of mixed traffic against one tsmongoose process
// with faults mixed in, sampling the server's memory and handles; fails when they grow
// after the warm-up.
//
// The server (this file with --server, in a child process) serves HTTP (hello, a static
// file), WebSocket echo on the same listener, and an MQTT broker. The load (this process)
// runs at once: keep-alive HTTP clients, pipelining clients, static-file downloads, WebSocket
// echo clients (the `ws` package), MQTT publishers and a subscriber (our MQTT client), and
// faults: connections reset mid-request / mid-download / mid-frame, slow readers that give
// up, malformed HTTP, WebSocket and MQTT input. Every few seconds the server reports its
// RSS, heap, active handles (process.getActiveResourcesInfo) and open connections.
// Verdict: after the first quarter (warm-up), the median of the last quarter may exceed
// the median of the second quarter by at most RSS_TOLERANCE (ratio + slack) and
// HANDLE_SLACK handles.
import { fork, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocket } from "ws";
import {
  Manager, MqttBroker, MG_EV_HTTP_MSG, MG_EV_WS_MSG, MG_EV_MQTT_OPEN, MG_EV_MQTT_MSG, MG_EV_CLOSE,
  type HttpMessage, type WsMessage, type Connection,
} from "../src/index.js";

const SAMPLE_EVERY_MS = 5000;
const RSS_RATIO = 1.15;
const RSS_SLACK = 24 * 1024 * 1024;
const HANDLE_SLACK = 40;
const FILE_SIZE = 256 * 1024;
// MQTT messages published but not yet received by the subscriber, at most.
const MQTT_WINDOW = 2000;

interface Sample { t: number; rss: number; heap: number; handles: number; conns: number }

// ---- the server --------------------------------------------------------------------

async function server(file: string): Promise<void> {
  const m = new Manager((c, ev, d) => {
    if (ev === MG_EV_HTTP_MSG) {
      const msg = d as HttpMessage;
      if (msg.uri === "/ws") { c.wsUpgrade(msg); return; }
      if (msg.uri === "/file") { c.serveFile(msg, file); return; }
      c.reply(200, "Hello, World!");
    } else if (ev === MG_EV_WS_MSG) {
      const w = d as WsMessage;
      c.wsSend(w.data, w.flags & 0x0f);
    }
  }, { errorHandler: (e) => { process.stderr.write(`server handler error: ${String(e)}\n`); } });
  const http = m.listen("http://127.0.0.1:0");
  const broker = new MqttBroker(m, { listen: "mqtt://127.0.0.1:0" });
  process.on("message", (msg: unknown) => {
    if (msg !== "sample") return;
    const mu = process.memoryUsage();
    const s: Sample = { t: 0, rss: mu.rss, heap: mu.heapUsed, handles: process.getActiveResourcesInfo().length, conns: m.connections.length };
    process.send!(s);
  });
  process.send!({ http: http.localAddr.port, mqtt: broker.listener.localAddr.port });
  await m.run();
  process.exit(0);
}

// ---- the load ------------------------------------------------------------------------

interface Counts { http: number; pipelined: number; files: number; ws: number; mqtt: number; faults: number; errors: string[] }

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A keep-alive HTTP connection: writes requests, counts complete Content-Length responses. */
function httpConn(port: number, onResponse: (body: Buffer) => void): net.Socket {
  const sock = net.connect(port, "127.0.0.1");
  let buf: Buffer = Buffer.alloc(0);
  sock.on("data", (d: Buffer) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    for (;;) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const m = /\r\ncontent-length: *(\d+)/i.exec(buf.subarray(0, end).toString("latin1"));
      const len = m === null ? 0 : Number(m[1]);
      if (buf.length < end + 4 + len) return;
      const body = buf.subarray(end + 4, end + 4 + len);
      buf = buf.subarray(end + 4 + len);
      onResponse(body);
    }
  });
  sock.on("error", () => { /* faults and the end of the run */ });
  return sock;
}

const REQ = "GET / HTTP/1.1\r\nHost: soak\r\n\r\n";

async function keepAliveClient(port: number, until: number, n: Counts): Promise<void> {
  while (Date.now() < until) {
    let waiting: (() => void) | undefined;
    const sock = httpConn(port, () => { n.http++; waiting?.(); });
    await new Promise((r) => sock.once("connect", r));
    // 200 requests per connection, then a new connection.
    for (let i = 0; i < 200 && Date.now() < until && !sock.destroyed; i++) {
      await new Promise<void>((resolve) => { waiting = resolve; sock.write(REQ); setTimeout(resolve, 2000); });
    }
    sock.end();
  }
}

async function pipelinedClient(port: number, until: number, n: Counts): Promise<void> {
  const batch = REQ.repeat(16);
  while (Date.now() < until) {
    let got = 0;
    let done: (() => void) | undefined;
    const sock = httpConn(port, () => { n.pipelined++; if (++got % 16 === 0) done?.(); });
    await new Promise((r) => sock.once("connect", r));
    for (let i = 0; i < 50 && Date.now() < until && !sock.destroyed; i++) {
      await new Promise<void>((resolve) => { done = resolve; sock.write(batch); setTimeout(resolve, 3000); });
    }
    sock.destroy();
  }
}

async function fileClient(port: number, until: number, n: Counts): Promise<void> {
  while (Date.now() < until) {
    let waiting: (() => void) | undefined;
    const sock = httpConn(port, (body) => { if (body.length === FILE_SIZE) n.files++; else n.errors.push(`file of ${body.length} bytes`); waiting?.(); });
    await new Promise((r) => sock.once("connect", r));
    for (let i = 0; i < 20 && Date.now() < until && !sock.destroyed; i++) {
      await new Promise<void>((resolve) => { waiting = resolve; sock.write("GET /file HTTP/1.1\r\nHost: soak\r\n\r\n"); setTimeout(resolve, 5000); });
    }
    sock.end();
  }
}

async function wsClient(port: number, until: number, n: Counts): Promise<void> {
  while (Date.now() < until) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    await new Promise<void>((resolve) => {
      let sent = 0;
      const next = (): void => {
        if (Date.now() >= until || sent >= 500) { ws.close(1000); return; }
        sent++;
        ws.send(sent % 2 === 0 ? `message ${sent}` : Buffer.alloc(512 + (sent % 1024), sent & 0xff));
      };
      ws.on("open", next);
      ws.on("message", () => { n.ws++; next(); });
      ws.on("close", () => resolve());
      ws.on("error", () => resolve());
    });
  }
}

/** MQTT: one subscriber, two publishers (QoS 0 and 1), all our own client, polled here. */
async function mqttLoad(port: number, until: number, n: Counts): Promise<void> {
  const m = new Manager();
  const url = `mqtt://127.0.0.1:${port}`;
  let subReady = false;
  const pubs: Connection[] = [];
  let openPubs = 0;
  m.mqttConnect(url, (c, ev, _d) => {
    if (ev === MG_EV_MQTT_OPEN) { c.mqttSub("soak/#", { qos: 1 }); subReady = true; }
    else if (ev === MG_EV_MQTT_MSG) n.mqtt++;
  }, { clientId: "soak-sub" });
  for (const qos of [0, 1]) {
    pubs.push(m.mqttConnect(url, (_c, ev, _d) => { if (ev === MG_EV_MQTT_OPEN) openPubs++; else if (ev === MG_EV_CLOSE) openPubs--; }, { clientId: `soak-pub-${qos}` }));
  }
  let i = 0;
  let published = 0;
  const received = (): number => n.mqtt;
  let lastReceived = 0;
  let lastMove = Date.now();
  while (Date.now() < until) {
    await m.poll(5);
    if (!subReady || openPubs < 2) continue;
    // QoS 0 may be dropped by a broker under pressure: a window that stops moving is reset.
    if (received() !== lastReceived) { lastReceived = received(); lastMove = Date.now(); }
    else if (Date.now() - lastMove > 1000) { published = received(); lastMove = Date.now(); }
    // Closed loop: at most MQTT_WINDOW messages between the publishers and the subscriber,
    // so the load measures the broker, not a queue growing in it.
    for (const [k, p] of pubs.entries()) {
      if (p.isClosed || p.isClosing) continue;
      for (let j = 0; j < 8 && published - received() < MQTT_WINDOW; j++, published++) p.mqttPub(`soak/${k}/${i++ % 10}`, `payload ${i}`, { qos: k });
    }
  }
  await m.close({ timeoutMs: 2000 });
}

/** Faults: resets, slow readers, malformed input, one every ~50 ms. */
async function faults(httpPort: number, mqttPort: number, until: number, n: Counts): Promise<void> {
  const kinds = [
    // HTTP reset mid-request.
    () => rawThenReset(httpPort, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc", 20),
    // Reset mid-download.
    () => rawThenReset(httpPort, "GET /file HTTP/1.1\r\nHost: x\r\n\r\n", 5, true),
    // Malformed HTTP.
    () => rawThenReset(httpPort, "GET /\x00bad HTTP/9.9\r\n\r\n", 100),
    () => rawThenReset(httpPort, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 100),
    // WebSocket: upgrade, then half a frame and a reset; or a frame the server must refuse (unmasked).
    () => rawThenReset(httpPort, wsUpgradeRequest() + "\x81\xfe\x10", 50),
    () => rawThenReset(httpPort, wsUpgradeRequest() + "\x81\x05hello", 100),
    // MQTT: CONNECT cut short; garbage; a reserved packet type.
    () => rawThenReset(mqttPort, "\x10\x20\x00\x04MQTT\x04", 20),
    () => rawThenReset(mqttPort, "\xff\xff\xff\xff\xff", 100),
    () => rawThenReset(mqttPort, "\x00\x00", 100),
    // A slow reader: downloads at a trickle, then gives up.
    () => slowReader(httpPort),
  ];
  let k = 0;
  const running = new Set<Promise<void>>();
  while (Date.now() < until) {
    const p = kinds[k++ % kinds.length]!().then(() => { n.faults++; }, () => { n.faults++; });
    running.add(p);
    void p.finally(() => running.delete(p));
    await sleep(50);
  }
  await Promise.all(running);
}

function wsUpgradeRequest(): string {
  return "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

function rawThenReset(port: number, data: string, afterMs: number, waitForData = false): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    let done = false;
    const finish = (): void => { if (done) return; done = true; s.resetAndDestroy(); resolve(); };
    s.on("error", finish);
    s.on("close", finish);
    s.on("connect", () => {
      s.write(Buffer.from(data, "latin1"));
      if (waitForData) s.once("data", () => setTimeout(finish, afterMs));
      else setTimeout(finish, afterMs);
    });
    setTimeout(finish, 5000);
  });
}

function slowReader(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("error", () => resolve());
    s.on("connect", () => {
      s.write("GET /file HTTP/1.1\r\nHost: x\r\n\r\n");
      s.on("data", () => { s.pause(); setTimeout(() => s.resume(), 100); });
      setTimeout(() => { s.destroy(); resolve(); }, 1500);
    });
  });
}

// ---- sampling and the verdict ----------------------------------------------------------

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function mib(b: number): string { return (b / 1048576).toFixed(1); }

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const i = args.indexOf("--seconds");
  const seconds = i >= 0 ? Number(args[i + 1]) : 120;
  if (!Number.isFinite(seconds) || seconds < 20) { console.error("soak: --seconds must be a number >= 20"); process.exit(2); }
  const dir = mkdtempSync(join(tmpdir(), "mg-soak-"));
  const file = join(dir, "file.bin");
  writeFileSync(file, Buffer.alloc(FILE_SIZE, 0x5a));
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--server", file], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ports = await new Promise<{ http: number; mqtt: number }>((resolve, reject) => {
    child.once("message", (m) => resolve(m as { http: number; mqtt: number }));
    child.once("exit", (code) => reject(new Error(`the server exited (${code})`)));
  });
  const samples: Sample[] = [];
  const t0 = Date.now();
  const until = t0 + seconds * 1000;
  const n: Counts = { http: 0, pipelined: 0, files: 0, ws: 0, mqtt: 0, faults: 0, errors: [] };
  const sample = (): Promise<Sample> => new Promise((resolve) => {
    child.once("message", (m) => resolve({ ...(m as Sample), t: (Date.now() - t0) / 1000 }));
    child.send("sample");
  });
  console.log(`# soak: ${seconds} s of HTTP (keep-alive, pipelined, static file), WebSocket echo and MQTT pub/sub with faults; server pid ${child.pid}`);
  console.log("| t (s) | RSS (MiB) | heap (MiB) | handles | conns | HTTP req | pipelined | files | WS msgs | MQTT msgs | faults |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  const sampler = (async () => {
    while (Date.now() < until) {
      await sleep(SAMPLE_EVERY_MS);
      const s = await sample();
      samples.push(s);
      console.log(`| ${s.t.toFixed(0)} | ${mib(s.rss)} | ${mib(s.heap)} | ${s.handles} | ${s.conns} | ${n.http} | ${n.pipelined} | ${n.files} | ${n.ws} | ${n.mqtt} | ${n.faults} |`);
    }
  })();
  const load: Promise<void>[] = [];
  for (let k = 0; k < 8; k++) load.push(keepAliveClient(ports.http, until, n));
  for (let k = 0; k < 3; k++) load.push(pipelinedClient(ports.http, until, n));
  for (let k = 0; k < 3; k++) load.push(fileClient(ports.http, until, n));
  for (let k = 0; k < 4; k++) load.push(wsClient(ports.http, until, n));
  load.push(mqttLoad(ports.mqtt, until, n));
  load.push(faults(ports.http, ports.mqtt, until, n));
  await Promise.all([...load, sampler]);
  // After the load: everything the faults and clients opened must be gone.
  await sleep(3000);
  const last = await sample();
  console.log(`| after (${last.t.toFixed(0)}) | ${mib(last.rss)} | ${mib(last.heap)} | ${last.handles} | ${last.conns} | | | | | | |`);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  rmSync(dir, { recursive: true, force: true });

  const q = Math.max(1, Math.floor(samples.length / 4));
  const base = samples.slice(q, 2 * q);
  const end = samples.slice(samples.length - q);
  const rss0 = median(base.map((s) => s.rss)), rss1 = median(end.map((s) => s.rss));
  const h0 = median(base.map((s) => s.handles)), h1 = median(end.map((s) => s.handles));
  const problems: string[] = [];
  if (rss1 > rss0 * RSS_RATIO + RSS_SLACK) problems.push(`RSS grew from ${mib(rss0)} to ${mib(rss1)} MiB after the warm-up`);
  if (h1 > h0 + HANDLE_SLACK) problems.push(`handles grew from ${h0} to ${h1} after the warm-up`);
  if (last.conns > 2) problems.push(`${last.conns} connections still open after the load (expected the 2 listeners)`);
  if (n.http === 0 || n.pipelined === 0 || n.files === 0 || n.ws === 0 || n.mqtt === 0) problems.push("a kind of traffic made no progress");
  if (n.errors.length > 0) problems.push(`${n.errors.length} wrong answers, e.g. ${n.errors[0]}`);
  console.log(`\n# after warm-up: RSS median ${mib(rss0)} -> ${mib(rss1)} MiB, handles median ${h0} -> ${h1}; after the load: ${last.conns} connections, ${last.handles} handles`);
  console.log(problems.length === 0 ? "# soak: PASS" : `# soak: FAIL: ${problems.join("; ")}`);
  process.exit(problems.length === 0 ? 0 : 1);
}

if (process.argv[2] === "--server") await server(process.argv[3]!);
else await main();
