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
