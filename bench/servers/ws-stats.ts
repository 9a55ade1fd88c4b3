// The memory report of the WebSocket bench servers (ours-ws.ts, ws-peer.ts) for the burst
// scenarios: a "\0stats" text message is answered with {rss, hwm, rss0} in bytes — the
// resident size now, its peak so far (VmHWM), and the resident size at startup.
import { readFileSync } from "node:fs";

const rss0 = process.memoryUsage.rss();

/** True for the 6-byte "\0stats" request (no real message of the scenarios starts with NUL). */
export function isStatsRequest(d: Buffer): boolean {
  return d.length === 6 && d[0] === 0 && d.toString("latin1", 1) === "stats";
}

export function statsAnswer(): string {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  const rss = process.memoryUsage.rss();
  return JSON.stringify({ rss, hwm: m ? Number(m[1]) * 1024 : rss, rss0 });
}
