// WebSocket burst echo, run in its own process, the same client for both servers. One
// connection; a burst is `count` messages of `size` bytes (text when empty, else binary)
// sent in one write, and it is over when every echo is back, checked byte by byte. Bursts
// follow each other for the measured seconds. Prints RESULT {json}: messages per second
// (empty messages) or MiB per second echoed (large ones), the burst times, and the
// server's memory, which the bench servers report when asked with a "\0stats" text
// message (see servers/ours-ws.ts, ws-peer.ts: `stats: true`).
//   100,000 empty messages: per-message overhead (framing, events, small writes).
//   one 16 MiB binary message: the large-payload path (unmasking, copies, buffers).
import * as net from "node:net";
import { FrameChecker, maskedTextFrames } from "./ws-frame-check.js";
import { checkUpgradeResponse, MAX_UPGRADE_HEAD, newKey, upgradeRequest } from "./ws-upgrade.js";
import { problem, finish, clientNote, type LoadResult } from "./load-report.js";

export interface WsBurstConfig {
  url: string;
  seconds: number;
  /** Messages per burst. */
  count: number;
  /** Bytes per message (0: empty text messages; otherwise binary). */
  size: number;
}

/** The RESULT of this client: besides the rate, the first burst's time and the server's memory. */
export interface WsBurstResult extends LoadResult {
  /** The first burst's time, ms (with `seconds: 0` the only burst: on a fresh server, the issue-15 case). */
  firstMs: number;
  /** The server's peak and startup resident size, bytes (see ServerStats). */
  serverHwm: number;
  serverRss0: number;
}

/** What the bench servers answer to STATS_REQUEST (bytes). */
export interface ServerStats { rss: number; hwm: number; rss0: number }

export const STATS_REQUEST = "\0stats";

const cfg = JSON.parse(process.argv[2] ?? "{}") as WsBurstConfig;
const CONNECT_TIMEOUT_MS = 15_000;
const BURST_TIMEOUT_MS = 60_000;
const b0 = cfg.size === 0 ? 0x81 : 0x82;
const payload = Buffer.alloc(cfg.size);
for (let i = 0; i < payload.length; i += 4096) payload[i] = (i >>> 12) & 0xff; // not all zeros
const burst = maskedTextFrames(payload, cfg.count, b0);
const statsFrame = maskedTextFrames(Buffer.from(STATS_REQUEST), 1);
const readBuffer = Buffer.allocUnsafe(256 * 1024);

let socket!: net.Socket;
let head: Buffer | undefined;
let open = false;
let checker = new FrameChecker(payload, b0);
let received = 0;
let onBurstDone: (() => void) | undefined;
/** While asking for stats: the raw bytes of the answer. */
let statsBytes: Buffer | undefined;
let onStats: ((s: ServerStats) => void) | undefined;

function onBytes(buf: Buffer, n: number, resolveOpen: () => void, rejectOpen: (e: Error) => void): void {
  if (!open) {
    const chunk = Buffer.from(buf.subarray(0, n));
    head = head === undefined ? chunk : Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) { if (head.length > MAX_UPGRADE_HEAD) rejectOpen(new Error("response head too long")); return; }
    const err = checkUpgradeResponse(head.toString("latin1", 0, end), key);
    if (err !== undefined) { rejectOpen(new Error(err)); return; }
    if (head.length > end + 4) { rejectOpen(new Error("data before any message was sent")); return; }
    open = true;
    resolveOpen();
    return;
  }
  if (onStats !== undefined) {
    statsBytes = statsBytes === undefined ? Buffer.from(buf.subarray(0, n)) : Buffer.concat([statsBytes, buf.subarray(0, n)]);
    // One unmasked text frame with a short JSON payload (< 126 bytes).
    if (statsBytes.length >= 2 && statsBytes.length >= 2 + (statsBytes[1]! & 0x7f)) {
      const s = JSON.parse(statsBytes.toString("utf8", 2, 2 + (statsBytes[1]! & 0x7f))) as ServerStats;
      const f = onStats; onStats = undefined; statsBytes = undefined;
      f(s);
    }
    return;
  }
  if (!checker.feed(buf, 0, n, onMessage)) { problem(checker.error!); socket.destroy(); onBurstDone?.(); }
}

function onMessage(): void {
  if (++received === cfg.count) { const f = onBurstDone; onBurstDone = undefined; f?.(); }
}

const key = newKey();

function connect(url: URL): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no upgrade in time")), CONNECT_TIMEOUT_MS);
    const ok = (): void => { clearTimeout(t); resolve(); };
    const bad = (e: Error): void => { clearTimeout(t); reject(e); };
    socket = net.connect({
      host: url.hostname, port: Number(url.port), noDelay: true,
      onread: { buffer: readBuffer, callback: (n: number, buf: Uint8Array) => { onBytes(buf as Buffer, n, ok, bad); return true; } },
    });
    socket.write(upgradeRequest(url, key));
    socket.on("error", (e) => { if (!open) bad(e); else problem(`socket error: ${e.message}`); });
    socket.once("close", () => { if (!open) bad(new Error("closed during the upgrade")); else if (onBurstDone !== undefined) { problem("connection closed by the server"); onBurstDone(); } });
  });
}

/** Sends one burst and resolves with its duration in seconds when every echo is back. */
function oneBurst(): Promise<number> {
  return new Promise((resolve) => {
    received = 0;
    checker = new FrameChecker(payload, b0);
    const t0 = performance.now();
    const t = setTimeout(() => { problem(`burst not echoed within ${BURST_TIMEOUT_MS / 1000} s (${received}/${cfg.count})`); onBurstDone?.(); }, BURST_TIMEOUT_MS);
    onBurstDone = () => { clearTimeout(t); onBurstDone = undefined; resolve((performance.now() - t0) / 1000); };
    socket.write(burst);
  });
}

function stats(): Promise<ServerStats> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no stats answer")), 5000);
    onStats = (s) => { clearTimeout(t); resolve(s); };
    socket.write(statsFrame);
  });
}

const MiB = 1024 * 1024;
try {
  await connect(new URL(cfg.url));
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // At least one burst, then more until the measured time is up.
  do {
    times.push(await oneBurst());
  } while (performance.now() - t0 < cfg.seconds * 1000 && socket.readyState === "open" && !socket.destroyed);
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuPct = ((cpu.user + cpu.system) / 1e6 / s) * 100;
  const st = await stats().catch((e: Error) => { problem(e.message); return { rss: 0, hwm: 0, rss0: 0 }; });
  socket.destroy();
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const best = Math.min(...times);
  const n = times.length * cfg.count;
  const value = cfg.size === 0 ? n / s : (n * cfg.size) / MiB / s;
  finish<WsBurstResult>({
    value, count: n, seconds: s, clientCpuPct: cpuPct,
    firstMs: times[0]! * 1000, serverHwm: st.hwm, serverRss0: st.rss0,
    detail: `${times.length} bursts of ${cfg.count} x ${cfg.size} B, mean ${(mean * 1000).toFixed(1)} ms, best ${(best * 1000).toFixed(1)} ms; ` +
      `server peak RSS ${(st.hwm / MiB).toFixed(0)} MiB (+${((st.hwm - st.rss0) / MiB).toFixed(0)} MiB over its idle ${(st.rss0 / MiB).toFixed(0)} MiB), ${clientNote(cpuPct)}`,
  });
} catch (e) {
  problem((e as Error).message);
  finish({ value: 0, count: 0, seconds: 0, detail: "" });
}
