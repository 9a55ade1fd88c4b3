// Idle connections cost nothing: with 10,000 idle keep-alive connections open (each has
// made one request), how fast is a new request answered, and how much CPU does the
// server burn doing nothing? vs node:http. The value is requests per second with one in
// flight (1 / p50 latency), so higher is better like every other scenario; the detail
// line has p50/p99, the server's idle CPU and how long opening the 10k connections took.
//
// The load runs in the bench process (no external tool). Each load() connects from its own
// loopback address (127.0.0.2, .3, ...) so that the TIME_WAIT ports of one round never
// exhaust the ephemeral ports of the next. Needs `ulimit -n` above 10,100 in both the
// bench process and the server (the servers inherit the bench's limit).
import * as net from "node:net";
import type { Measurement, Scenario, ServerHandle } from "../lib/types.js";

const IDLE_CONNECTIONS = 10_000;
// Connects in flight at once while opening (the listen backlog is 511).
const OPEN_PARALLEL = 256;

let sourceAddr = 1;

interface Resp { status: number; body: string }

/** One keep-alive connection that sends a request and waits for its Content-Length response. */
class KeepAlive {
  readonly sock: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: Resp) => void; reject: (e: Error) => void } | undefined;
  readonly ready: Promise<void>;

  constructor(port: number, localAddress: string) {
    this.sock = net.connect({ port, host: "127.0.0.1", localAddress, noDelay: true });
    this.ready = new Promise((resolve, reject) => {
      this.sock.once("connect", () => resolve());
      this.sock.once("error", reject);
    });
    this.sock.on("data", (d: Buffer) => { this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]); this.parse(); });
    this.sock.on("error", (e) => { this.waiting?.reject(e); this.waiting = undefined; });
    this.sock.on("close", () => { this.waiting?.reject(new Error("connection closed by the server")); this.waiting = undefined; });
  }

  request(path: string): Promise<Resp> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    });
  }

  private parse(): void {
    const end = this.buf.indexOf("\r\n\r\n");
    if (end < 0 || this.waiting === undefined) return;
    const head = this.buf.subarray(0, end).toString("latin1");
    const m = /\r\ncontent-length: *(\d+)/i.exec(head);
    const len = m === null ? 0 : Number(m[1]);
    if (this.buf.length < end + 4 + len) return;
    const body = this.buf.subarray(end + 4, end + 4 + len).toString();
    this.buf = this.buf.subarray(end + 4 + len);
    const w = this.waiting;
    this.waiting = undefined;
    w.resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), body });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function load(port: number, seconds: number, server: ServerHandle): Promise<Measurement> {
  const errors: string[] = [];
  const rss0 = server.rssBytes();
  sourceAddr = sourceAddr >= 250 ? 2 : sourceAddr + 1;
  const from = `127.0.0.${sourceAddr}`;
  const idle: KeepAlive[] = [];
  const t0 = performance.now();
  try {
    // Open the idle connections; each makes one request so that it is a keep-alive connection between requests.
    for (let i = 0; i < IDLE_CONNECTIONS; i += OPEN_PARALLEL) {
      const batch: KeepAlive[] = [];
      for (let j = i; j < Math.min(IDLE_CONNECTIONS, i + OPEN_PARALLEL); j++) batch.push(new KeepAlive(port, from));
      idle.push(...batch);
      const rs = await Promise.all(batch.map(async (k) => { await k.ready; return k.request("/"); }));
      if (rs.some((r) => r.status !== 200)) { errors.push("an opening request was not answered 200"); break; }
    }
    const openSeconds = (performance.now() - t0) / 1000;
    // The server's resident set per idle connection (see also the mem-* scenarios).
    const perConn = (server.rssBytes() - rss0) / IDLE_CONNECTIONS / 1024;
    const probe = new KeepAlive(port, from);
    await probe.ready;
    await sleep(500); // let the opening settle
    // Idle CPU: nothing but the 10k idle connections for half the time.
    const idleMs = Math.max(1000, (seconds * 1000) / 2);
    const c0 = Number((await probe.request("/cpu")).body);
    const w0 = performance.now();
    await sleep(idleMs);
    const c1 = Number((await probe.request("/cpu")).body);
    const idleCpuPct = ((c1 - c0) / 1000 / (performance.now() - w0)) * 100;
    // New-request latency: sequential requests on one more keep-alive connection.
    const lat: number[] = [];
    const until = performance.now() + Math.max(1000, (seconds * 1000) / 2);
    while (performance.now() < until) {
      const s = performance.now();
      const r = await probe.request("/");
      lat.push(performance.now() - s);
      if (r.status !== 200 || r.body !== "Hello, World!") { errors.push(`bad answer ${r.status}`); break; }
    }
    probe.sock.destroy();
    const alive = idle.filter((k) => !k.sock.destroyed).length;
    if (alive < IDLE_CONNECTIONS) errors.push(`${IDLE_CONNECTIONS - alive} idle connections were closed by the server (opening took ${openSeconds.toFixed(1)} s)`);
    lat.sort((a, b) => a - b);
    const p50 = percentile(lat, 0.5);
    return {
      value: 1000 / p50,
      seconds: (performance.now() - t0) / 1000,
      errors,
      detail: `p50 ${p50.toFixed(3)} ms, p99 ${percentile(lat, 0.99).toFixed(3)} ms, idle CPU ${idleCpuPct.toFixed(2)} % with ${IDLE_CONNECTIONS} idle conns, opened in ${openSeconds.toFixed(2)} s, server RSS +${perConn.toFixed(1)} KiB per idle conn (after a warm-up that opened as many: see mem-http)`,
    };
  } catch (e) {
    errors.push((e as Error).message);
    return { value: 0, seconds: (performance.now() - t0) / 1000, errors, detail: "" };
  } finally {
    for (const k of idle) k.sock.destroy();
    await sleep(200);
  }
}

export const httpIdle: Scenario = {
  id: "http-idle",
  title: "HTTP new-request rate with 10k idle keep-alive conns",
  unit: "req/s",
  // "new-request latency within 1.5x of node:http": 1 / 1.5.
  target: 0.67,
  cpuBound: false,
  // Opening 10,000 connections twice per side (warm-up and measured) is most of its time.
  maxRounds: 1,
  needs: [],
  async prepare() {
    return {
      ours: { label: "tsmongoose", server: { script: "ours-idle.js", config: {} } },
      peer: { label: "node:http", server: { script: "node-idle.js", config: {} } },
      async probe(port: number) {
        const k = new KeepAlive(port, "127.0.0.1");
        try {
          await k.ready;
          const r = await k.request("/");
          if (r.status !== 200 || r.body !== "Hello, World!") throw new Error(`expected 200 "Hello, World!", got ${r.status} ${JSON.stringify(r.body)}`);
        } finally {
          k.sock.destroy();
        }
      },
      load,
    };
  },
};
