// A comparison of two WebSocket servers: the load client runs in its own process (the
// raw-socket client clients/ws-raw-load.ts, or the `ws` package client clients/ws-load.ts
// with BENCH_WS_CLIENT=ws); the probe checks one echo or broadcast from here first, with
// the `ws` package (an independent check of the server's upgrade and framing).
import { runLoadClient } from "./run-load-client.js";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { WebSocket } from "ws";
import type { Measurement, Prepared, Side } from "./types.js";
import type { WsLoadResult } from "../clients/ws-load-types.js";

export interface WsComparison {
  ours: Side;
  peer: Side;
  scheme: "ws" | "wss";
  mode: "echo" | "broadcast";
  conns: number;
  payload: number;
  window?: number;
  /** echo: messages in flight per client (default 1). */
  depth?: number;
  tlsCa?: string;
}

const WS_CLIENT = process.env.BENCH_WS_CLIENT || "raw";
const LOAD_CLIENT = join(dirname(fileURLToPath(import.meta.url)), "..", "clients", WS_CLIENT === "ws" ? "ws-load.js" : "ws-raw-load.js");
const PROBE_TIMEOUT_MS = 5000;

function connectOne(url: string, ca: string | undefined): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...(ca !== undefined ? { ca, servername: "localhost" } : {}) });
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: status ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

function nextMessage(ws: WebSocket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no message within 5 s")), PROBE_TIMEOUT_MS);
    ws.once("message", (d: Buffer) => { clearTimeout(t); resolve(d); });
    ws.once("close", (code) => { clearTimeout(t); reject(new Error(`closed by the server (code ${code})`)); });
  });
}

/** One message out, the right message back (to every client for broadcast). */
async function probeWs(url: string, mode: "echo" | "broadcast", ca: string | undefined): Promise<void> {
  const clients = [await connectOne(url, ca)];
  try {
    if (mode === "broadcast") clients.push(await connectOne(url, ca));
    const text = "probe: héllo";
    const got = clients.map(nextMessage);
    clients[0]!.send(text);
    for (const d of await Promise.all(got)) {
      if (d.toString("utf8") !== text) throw new Error(`wrong message back: ${JSON.stringify(d.toString("utf8").slice(0, 40))}`);
    }
  } finally {
    for (const c of clients) c.terminate();
  }
}


export function wsComparison(o: WsComparison): Prepared {
  if (WS_CLIENT !== "raw" && WS_CLIENT !== "ws") throw new Error(`BENCH_WS_CLIENT must be "raw" or "ws", got ${JSON.stringify(WS_CLIENT)}`);
  if ((o.depth ?? 1) > 1 && WS_CLIENT !== "raw") throw new Error("pipelined echo needs the raw client (unset BENCH_WS_CLIENT)");
  return {
    ours: o.ours,
    peer: o.peer,
    probe: (port) => probeWs(`${o.scheme}://127.0.0.1:${port}/`, o.mode, o.tlsCa),
    async load(port, seconds): Promise<Measurement> {
      const r = await runLoadClient<WsLoadResult>(LOAD_CLIENT, {
        url: `${o.scheme}://127.0.0.1:${port}/`, mode: o.mode, conns: o.conns, seconds, payload: o.payload,
        ...(o.window !== undefined ? { window: o.window } : {}), ...(o.depth !== undefined ? { depth: o.depth } : {}), ...(o.tlsCa !== undefined ? { ca: o.tlsCa } : {}),
      }, seconds);
      return { value: r.value, seconds: r.seconds, errors: r.errors, detail: r.detail };
    },
  };
}
