// WebSocket load generator over raw sockets, run in its own process, the same client for
// both servers. Prints one line: RESULT {json} (see ws-load-types.ts).
//   echo:      `conns` clients each keep one message in flight: send, wait for the echo,
//              send again (no pipelining: the number is round trips per second). With
//              `depth` > 1, each keeps that many in flight instead (pipelined echo: the
//              echoes that arrive in one read are answered with one write).
//   broadcast: `conns` clients listen; client 0 publishes, keeping `window` broadcasts in
//              flight; a broadcast is complete when every client has it. Counts deliveries.
//
// Why raw: the `ws` package as a client costs about as much CPU per message as a server,
// so one client process capped both servers near the same rate. Here the upgrade is done
// by hand (ws-upgrade.ts), every frame sent is one pre-built buffer (a zero mask key, see
// ws-frame-check.ts), and received frames are checked as they stream through one reused
// read buffer (net `onread`), so a message costs no allocation in this code: what is left
// per message is Node's socket write and read paths.
import * as net from "node:net";
import * as tls from "node:tls";
import { FrameChecker, maskedTextFrames } from "./ws-frame-check.js";
import { checkUpgradeResponse, MAX_UPGRADE_HEAD, newKey, upgradeRequest } from "./ws-upgrade.js";
import { payloadText, type WsLoadConfig } from "./ws-load-types.js";
import { problem, finish, measure, clientNote } from "./load-report.js";

const cfg = JSON.parse(process.argv[2] ?? "{}") as WsLoadConfig;
const CONNECT_TIMEOUT_MS = 30_000;
const payload = Buffer.from(payloadText(cfg.payload));
const depth = cfg.depth ?? 1;
// sendBatch[k]: k frames back to back, one write (views of one buffer, made once).
const frames = maskedTextFrames(payload, depth);
const frameLen = frames.length / depth;
const sendBatch = Array.from({ length: depth + 1 }, (_, k) => frames.subarray(0, k * frameLen));
let running = false;

// One read buffer for every socket: libuv reads one socket at a time and calls back
// synchronously, and each chunk is fully checked before the callback returns.
const readBuffer = Buffer.allocUnsafe(64 * 1024);



function noMessageExpected(): void {
  problem("a message arrived before any was sent");
}

class Client {
  readonly checker = new FrameChecker(payload);
  socket!: net.Socket;
  isOpen = false;
  failed = false;
  /** Messages sent and not yet answered (echo). */
  inFlight = 0;
  /** Messages to send once the current read is checked (echo). */
  due = 0;
  /** Called once per correct message; set per mode. */
  onMessage: () => void = noMessageExpected;
  private head: Buffer | undefined;
  private readonly key = newKey();

  /** Connects and completes the upgrade; resolves when the server's 101 checked out. */
  connect(url: URL): Promise<void> {
    return new Promise((resolve, reject) => {
      const port = Number(url.port || (url.protocol === "wss:" ? 443 : 80));
      const host = url.hostname;
      const request = upgradeRequest(url, this.key);
      const onBytes = (buf: Buffer, n: number): void => {
        if (this.isOpen) { this.frames(buf, n); return; }
        const err = this.handshakeBytes(buf, n);
        if (err !== undefined) { reject(new Error(err)); this.socket.destroy(); } else if (this.isOpen) resolve();
      };
      if (url.protocol === "wss:") {
        // TLS sockets deliver their plaintext as 'data' chunks (allocation per read,
        // negligible beside the crypto).
        this.socket = tls.connect({ host, port, servername: "localhost", ...(cfg.ca !== undefined ? { ca: cfg.ca } : {}) }, () => this.socket.write(request));
        this.socket.on("data", (d: Buffer) => onBytes(d, d.length));
      } else {
        this.socket = net.connect({ host, port, noDelay: true, onread: { buffer: readBuffer, callback: (n: number, buf: Uint8Array) => { onBytes(buf as Buffer, n); return true; } } });
        this.socket.write(request);
      }
      this.socket.on("error", (e) => { if (!this.isOpen) reject(e); else if (!this.failed) problem(`socket error: ${e.message}`); });
      this.socket.once("close", () => {
        if (!this.isOpen) reject(new Error("connection closed during the upgrade"));
        else if (running && !this.failed) problem("connection closed by the server");
      });
    });
  }

  /** Sends `k` messages in one write. */
  send(k = 1): void {
    this.inFlight += k;
    this.socket.write(sendBatch[k]!);
  }

  private frames(buf: Buffer, n: number): void {
    if (this.failed) return;
    if (!this.checker.feed(buf, 0, n, this.onMessage)) {
      this.failed = true;
      problem(this.checker.error!);
      this.socket.destroy();
      return;
    }
    if (this.due > 0) { const k = this.due; this.due = 0; this.send(k); }
  }

  /** Collects the response head (a copy: the read buffer is shared); returns an error or undefined. */
  private handshakeBytes(buf: Buffer, n: number): string | undefined {
    const chunk = Buffer.from(buf.subarray(0, n));
    this.head = this.head === undefined ? chunk : Buffer.concat([this.head, chunk]);
    const end = this.head.indexOf("\r\n\r\n");
    if (end < 0) return this.head.length > MAX_UPGRADE_HEAD ? `no end of the response head within ${MAX_UPGRADE_HEAD} bytes` : undefined;
    const err = checkUpgradeResponse(this.head.toString("latin1", 0, end), this.key);
    if (err !== undefined) return err;
    const rest = this.head.subarray(end + 4);
    this.head = undefined;
    this.isOpen = true;
    // Frames that came in the same read as the head (none expected before we send).
    if (rest.length > 0) this.frames(rest, rest.length);
    return undefined;
  }
}

async function open(url: URL): Promise<Client[]> {
  const clients = Array.from({ length: cfg.conns }, () => new Client());
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not all ${cfg.conns} connections opened within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
  });
  try {
    await Promise.race([Promise.all(clients.map((c) => c.connect(url))), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return clients;
}


async function echo(clients: Client[]): Promise<void> {
  let count = 0;
  for (const c of clients) {
    c.onMessage = () => {
      if (c.inFlight === 0) { problem("an echo arrived with no message in flight"); return; }
      c.inFlight--;
      count++;
      if (running) c.due++;
    };
  }
  running = true;
  for (const c of clients) c.send(depth);
  const c0 = count;
  const { s, cpuPct } = await measure(cfg.seconds);
  const n = count - c0;
  running = false;
  const inFlight = depth > 1 ? `, ${depth} in flight each` : "";
  finish({ value: n / s, count: n, seconds: s, clientCpuPct: cpuPct, detail: `${cfg.conns} clients${inFlight}, ${cfg.payload} B text, ${clientNote(cpuPct)}` });
}

async function broadcast(clients: Client[]): Promise<void> {
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
  const publish = (): void => { sent++; publisher.send(); };
  clients.forEach((c, i) => {
    c.onMessage = () => {
      const k = received[i]!++;
      if (k >= sent) { problem("received more broadcasts than were sent"); return; }
      const slot = k % RING;
      if (++arrivals[slot]! === n) {
        arrivals[slot] = 0;
        completed++;
        if (running) publish();
      }
    };
  });
  running = true;
  for (let i = 0; i < window; i++) publish();
  const c0 = completed;
  const { s, cpuPct } = await measure(cfg.seconds);
  const done = completed - c0;
  running = false;
  finish({
    value: (done * n) / s, count: done * n, seconds: s, clientCpuPct: cpuPct,
    detail: `${n} clients, ${(done / s).toFixed(0)} broadcasts/s, ${window} in flight, ${cfg.payload} B text, ${clientNote(cpuPct)}`,
  });
}

try {
  const clients = await open(new URL(cfg.url));
  if (cfg.mode === "echo") await echo(clients); else await broadcast(clients);
} catch (e) {
  problem((e as Error).message);
  finish({ value: 0, count: 0, seconds: 0, detail: "" });
}
