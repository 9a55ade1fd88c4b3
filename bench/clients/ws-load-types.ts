// What the harness (lib/ws-scenario.ts) passes to a WebSocket load client as argv[2]
// (JSON), and the RESULT line the client prints.
import type { LoadResult } from "./load-report.js";

export interface WsLoadConfig {
  url: string;
  mode: "echo" | "broadcast";
  conns: number;
  seconds: number;
  /** Bytes of text per message. */
  payload: number;
  /** broadcast: broadcasts in flight. */
  window?: number;
  /** echo: messages in flight per client (default 1; only the raw client pipelines). */
  depth?: number;
  /** wss: CA certificate (PEM) to trust. */
  ca?: string;
}

/** Messages per second: echo round trips, or broadcast deliveries (broadcasts x clients). */
export type WsLoadResult = LoadResult;

/** The payload every message carries: `n` bytes of ASCII text. */
export function payloadText(n: number): string {
  return "0123456789abcdef".repeat(Math.ceil(n / 16)).slice(0, n);
}

/** `n` bytes of text that compresses like real JSON messages do (about 3-4x), the same every run. */
export function realisticText(n: number): string {
  const words = ["sensor", "temperature", "humidity", "status", "ok", "warning", "building", "floor", "room", "value", "unit", "celsius", "timestamp", "device", "battery", "signal"];
  let seed = 12345;
  const rnd = (k: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % k; };
  let s = "[";
  while (s.length < n) {
    s += `{"id":${rnd(100000)},"${words[rnd(words.length)]}":"${words[rnd(words.length)]}-${rnd(1000)}","v":${rnd(10000) / 100},"t":${1733000000 + rnd(86400)}},`;
  }
  return s.slice(0, n);
}
