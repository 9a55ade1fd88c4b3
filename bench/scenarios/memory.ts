// Memory per idle connection: the server's resident set (VmRSS from /proc, read by the
// harness) before and after opening N connections that each did one exchange and then sit
// idle, divided by N, in KiB per connection (lower is better), vs the usual peer:
//   mem-http        keep-alive HTTP after one GET / (vs node:http)
//   mem-ws          WebSocket after one 64 B echo, no compression (vs ws)
//   mem-ws-deflate  WebSocket with permessage-deflate as browsers offer it (context
//                   takeover, the `ws` client's default offer), after one 2 KiB compressed echo (vs ws)
//   mem-mqtt        MQTT 3.1.1 after CONNECT and SUBSCRIBE to its own topic (vs mosquitto)
// No warm-up: each reading is in a freshly started server (the harness starts one per
// round), since memory freed by a warm-up is kept by the process and would hide the cost.
// The reading is taken 1 s after the last connection opened, without forcing a GC, so
// short-lived garbage of the opening counts too (as it does in a real server's RSS).
import * as net from "node:net";
import { WebSocket } from "ws";
import type { Measurement, Scenario, ServerHandle, Side } from "../lib/types.js";
import { CONNACK_OK, connectPacket, subackPacket, subscribePacket } from "../clients/mqtt-packets.js";
import { realisticText } from "../clients/ws-load-types.js";
import { HELLO } from "../servers/app-logic.js";

const N = 4000;
// zlib contexts cost ~250 KiB per connection in `ws` (and as much again in the bench's own
// `ws` clients): fewer connections keep the run far from the machine's memory limit.
const N_DEFLATE = 1000;
const count = (kind: Kind): number => (kind === "ws-deflate" ? N_DEFLATE : N);
const PARALLEL = 200;
const SETTLE_MS = 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Idle { close(): void }

/** One raw TCP connection that sends `hello` and resolves once `answer` (checked by `ok`) has fully arrived. */
function rawExchange(port: number, hello: Buffer, ok: (got: Buffer) => boolean | string): Promise<Idle> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: "127.0.0.1" });
    let got = Buffer.alloc(0);
    let done = false;
    const t = setTimeout(() => { sock.destroy(); reject(new Error("no answer within 20 s")); }, 20_000);
    sock.on("data", (d: Buffer) => {
      if (done) { reject(new Error("data on an idle connection")); return; }
      got = Buffer.concat([got, d]);
      const v = ok(got);
      if (v === false) return;
      clearTimeout(t);
      done = true;
      if (typeof v === "string") { sock.destroy(); reject(new Error(v)); return; }
      resolve({ close: () => sock.destroy() });
    });
    sock.on("error", (e) => { clearTimeout(t); reject(e); });
    sock.write(hello);
  });
}

const HTTP_GET = Buffer.from("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
function httpAnswer(got: Buffer): boolean | string {
  const end = got.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const head = got.toString("latin1", 0, end);
  if (!head.startsWith("HTTP/1.1 200")) return `status line ${JSON.stringify(head.split("\r\n")[0])}`;
  if (got.length < end + 4 + HELLO.length) return false;
  return got.toString("latin1", end + 4) === HELLO ? true : "wrong body";
}

function wsExchange(port: number, deflate: boolean, text: string): Promise<Idle> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: deflate });
    const t = setTimeout(() => { ws.terminate(); reject(new Error("no echo within 20 s")); }, 20_000);
    ws.once("open", () => {
      if (deflate && !ws.extensions.includes("permessage-deflate")) { clearTimeout(t); reject(new Error("permessage-deflate not agreed")); return; }
      ws.send(text);
    });
    ws.once("message", (d: Buffer) => {
      clearTimeout(t);
      if (d.toString() !== text) { reject(new Error("wrong echo")); return; }
      resolve({ close: () => ws.terminate() });
    });
    ws.once("error", (e) => { clearTimeout(t); reject(e); });
  });
}

function mqttExchange(port: number, i: number): Promise<Idle> {
  const hello = Buffer.concat([connectPacket(`mem-${process.pid}-${i}`), subscribePacket(1, `mem/${i}`, 0)]);
  const answer = Buffer.concat([CONNACK_OK, subackPacket(1, 0)]);
  return rawExchange(port, hello, (got) => (got.length < answer.length ? false : got.equals(answer) ? true : `answer ${got.toString("hex")}, expected ${answer.toString("hex")}`));
}

type Kind = "http" | "ws" | "ws-deflate" | "mqtt";
const WS_TEXT = realisticText(64);
const WS_DEFLATE_TEXT = realisticText(2048);

function open(kind: Kind, port: number, i: number): Promise<Idle> {
  switch (kind) {
    case "http": return rawExchange(port, HTTP_GET, httpAnswer);
    case "ws": return wsExchange(port, false, WS_TEXT);
    case "ws-deflate": return wsExchange(port, true, WS_DEFLATE_TEXT);
    case "mqtt": return mqttExchange(port, i);
  }
}

async function load(kind: Kind, port: number, server: ServerHandle): Promise<Measurement> {
  const t0 = performance.now();
  const idle: Idle[] = [];
  try {
    await sleep(300);
    const rss0 = server.rssBytes();
    const n = count(kind);
    for (let i = 0; i < n; i += PARALLEL) {
      const batch = await Promise.all(Array.from({ length: Math.min(PARALLEL, n - i) }, (_, j) => open(kind, port, i + j)));
      idle.push(...batch);
    }
    const openS = (performance.now() - t0) / 1000;
    await sleep(SETTLE_MS);
    const rss1 = server.rssBytes();
    const per = (rss1 - rss0) / n / 1024;
    return {
      value: per, seconds: (performance.now() - t0) / 1000, errors: [],
      detail: `RSS ${(rss0 / (1 << 20)).toFixed(1)} -> ${(rss1 / (1 << 20)).toFixed(1)} MiB with ${n} idle connections (opened in ${openS.toFixed(1)} s)`,
    };
  } catch (e) {
    return { value: 0, seconds: (performance.now() - t0) / 1000, errors: [(e as Error).message], detail: "" };
  } finally {
    for (const k of idle) k.close();
    await sleep(300);
  }
}

function memScenario(id: string, kind: Kind, title: string, ours: Side, peer: Side, needs: string[] = []): Scenario {
  return {
    id, title, unit: "KiB/conn", better: "lower", cpuBound: false, warmup: false, maxRounds: 1, needs,
    async prepare() {
      return {
        ours, peer,
        async probe(port) { (await open(kind, port, 999_999)).close(); },
        load: (port, _seconds, server) => load(kind, port, server),
      };
    },
  };
}

const wsOurs = { label: "tsmongoose", server: { script: "ours-ws.js", config: { mode: "echo", scheme: "ws" } } };
export const memHttp = memScenario("mem-http", "http", `Memory per idle HTTP keep-alive connection (${N} conns)`,
  { label: "tsmongoose", server: { script: "ours-http.js", config: { mode: "hello", scheme: "http" } } },
  { label: "node:http", server: { script: "node-http.js", config: { mode: "hello", scheme: "http" } } });
export const memWs = memScenario("mem-ws", "ws", `Memory per idle WebSocket connection (${N} conns)`,
  wsOurs, { label: "ws", server: { script: "ws-peer.js", config: { mode: "echo", scheme: "ws" } } });
export const memWsDeflate = memScenario("mem-ws-deflate", "ws-deflate", `Memory per idle WebSocket connection with permessage-deflate (${N_DEFLATE} conns)`,
  wsOurs, { label: "ws", server: { script: "ws-peer.js", config: { mode: "echo", scheme: "ws", deflate: true } } });
export const memMqtt = memScenario("mem-mqtt", "mqtt", `Memory per idle MQTT connection with a subscription (${N} conns)`,
  { label: "tsmongoose", server: { script: "ours-mqtt.js", config: {} } },
  { label: "mosquitto", server: { script: "mosquitto-peer.js", config: { nodelay: false } } }, ["mosquitto"]);
