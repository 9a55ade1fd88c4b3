// WebSocket load generator using the `ws` package as client (the same client for both
// servers). Kept as a cross-check of the raw-socket client (ws-raw-load.ts), which the
// bench uses by default: select this one with BENCH_WS_CLIENT=ws. It costs about as much
// CPU per message as a server, so in one process it caps both servers near the same rate.
// Prints one line: RESULT {json}.
//   echo:      `conns` clients each keep one message in flight: send, wait for the echo, send again.
//   broadcast: `conns` clients listen; client 0 publishes, keeping `window` broadcasts in flight;
//              a broadcast is complete when every client has it. Counts deliveries.
import { WebSocket } from "ws";
import { payloadText as makePayloadText, type WsLoadConfig } from "./ws-load-types.js";
import { problem, finish } from "./load-report.js";

const cfg = JSON.parse(process.argv[2] ?? "{}") as WsLoadConfig;
const CONNECT_TIMEOUT_MS = 15_000;
const payloadText = makePayloadText(cfg.payload);
const payload = Buffer.from(payloadText);
let running = false;



function open(): Promise<WebSocket[]> {
  const list: WebSocket[] = [];
  return new Promise((resolve, reject) => {
    let opened = 0;
    const timer = setTimeout(() => reject(new Error(`only ${opened} of ${cfg.conns} connections opened within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
    for (let i = 0; i < cfg.conns; i++) {
      const ws = new WebSocket(cfg.url, {
        perMessageDeflate: false,
        // A zero mask: RFC 6455 needs a mask, not a costly one; keeps the client's CPU for the load.
        generateMask: () => {},
        ...(cfg.ca !== undefined ? { ca: cfg.ca, servername: "localhost" } : {}),
      });
      ws.binaryType = "nodebuffer";
      ws.once("open", () => { if (++opened === cfg.conns) { clearTimeout(timer); resolve(list); } });
      ws.once("unexpected-response", (_req, res) => { clearTimeout(timer); reject(new Error(`upgrade refused: status ${res.statusCode}`)); });
      ws.once("error", (e) => { if (opened < cfg.conns) { clearTimeout(timer); reject(e); } else problem(`socket error: ${e.message}`); });
      ws.once("close", (code) => { if (running) problem(`connection closed by the server (code ${code})`); });
      list.push(ws);
    }
  });
}

function cpuPctSince(cpu0: NodeJS.CpuUsage, seconds: number): number {
  const cpu = process.cpuUsage(cpu0);
  return ((cpu.user + cpu.system) / 1e6 / seconds) * 100;
}

function sameAsPayload(data: Buffer): boolean {
  return data.length === payload.length && data.equals(payload);
}

async function echo(clients: WebSocket[]): Promise<void> {
  let count = 0;
  for (const ws of clients) {
    ws.on("message", (data: Buffer) => {
      if (!sameAsPayload(data)) problem(`wrong echo: ${data.length} bytes`);
      count++;
      if (running) ws.send(payloadText);
    });
  }
  running = true;
  for (const ws of clients) ws.send(payloadText);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, cfg.seconds * 1000));
  const n = count;
  const s = (performance.now() - t0) / 1000;
  const cpuPct = cpuPctSince(cpu0, s);
  running = false;
  finish({ value: n / s, count: n, seconds: s, clientCpuPct: cpuPct, detail: `${cfg.conns} clients, ${cfg.payload} B text, ws client CPU ${cpuPct.toFixed(0)}%` });
}

async function broadcast(clients: WebSocket[]): Promise<void> {
  const n = clients.length;
  const window = cfg.window ?? 16;
  // The k-th message a client receives is broadcast k (TCP keeps order), so a ring of
  // arrival counters indexed by k finds when each broadcast has reached everyone.
  const RING = 4096;
  const arrivals = new Int32Array(RING);
  const received = new Int32Array(n);
  let sent = 0;
  let completed = 0;
  const publisher = clients[0]!;
  const publish = (): void => { sent++; publisher.send(payloadText); };
  clients.forEach((ws, i) => {
    ws.on("message", (data: Buffer) => {
      if (!sameAsPayload(data)) problem(`wrong broadcast: ${data.length} bytes`);
      const k = received[i]!++;
      if (k >= sent) { problem("received more broadcasts than were sent"); return; }
      const slot = k % RING;
      if (++arrivals[slot]! === n) {
        arrivals[slot] = 0;
        completed++;
        if (running) publish();
      }
    });
  });
  running = true;
  for (let i = 0; i < window; i++) publish();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const c0 = completed;
  await new Promise((r) => setTimeout(r, cfg.seconds * 1000));
  const done = completed - c0;
  const s = (performance.now() - t0) / 1000;
  const cpuPct = cpuPctSince(cpu0, s);
  running = false;
  finish({
    value: (done * n) / s, count: done * n, seconds: s, clientCpuPct: cpuPct,
    detail: `${n} clients, ${(done / s).toFixed(0)} broadcasts/s, ${window} in flight, ${cfg.payload} B text, ws client CPU ${cpuPct.toFixed(0)}%`,
  });
}

try {
  const clients = await open();
  if (cfg.mode === "echo") await echo(clients); else await broadcast(clients);
} catch (e) {
  problem((e as Error).message);
  finish({ value: 0, count: 0, seconds: 0, detail: "" });
}
