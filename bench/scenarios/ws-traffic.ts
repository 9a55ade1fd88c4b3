// WebSocket scenarios closer to users' traffic, each vs a `ws` server in the same run:
//   ws-16k            echo of 16 KiB text messages, 50 clients, one in flight each (raw client)
//   ws-16k-deflate    the same with permessage-deflate (no context takeover, see
//                     clients/ws-deflate-load.ts) vs ws with perMessageDeflate: true
//   ws-conns-1k / ws-conns-10k   echo of 64 B with 1,000 / 10,000 connections, one in flight each
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { WebSocket } from "ws";
import type { Measurement, Scenario } from "../lib/types.js";
import { wsComparison } from "../lib/ws-scenario.js";
import { runLoadClient } from "../lib/run-load-client.js";
import type { LoadResult } from "../clients/load-report.js";
import { realisticText } from "../clients/ws-load-types.js";

const ours = { label: "tsmongoose", server: { script: "ours-ws.js", config: { mode: "echo", scheme: "ws" } } };
const wsPeer = (deflate: boolean) => ({ label: "ws", server: { script: "ws-peer.js", config: { mode: "echo", scheme: "ws", deflate } } });

export const ws16k: Scenario = {
  id: "ws-16k",
  title: "WebSocket echo, 16 KiB text, 50 clients",
  unit: "msg/s",
  needs: [],
  async prepare() {
    return wsComparison({ scheme: "ws", mode: "echo", conns: 50, payload: 16 * 1024, ours, peer: wsPeer(false) });
  },
};

const DEFLATE_CLIENT = join(dirname(fileURLToPath(import.meta.url)), "..", "clients", "ws-deflate-load.js");

/** With the `ws` package as client: permessage-deflate must be agreed, and a compressed message echoed intact. */
async function probeDeflate(port: number): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { clientNoContextTakeover: true, serverNoContextTakeover: true, threshold: 0 } });
  try {
    await new Promise<void>((resolve, reject) => { ws.once("open", () => resolve()); ws.once("error", reject); });
    if (!ws.extensions.includes("permessage-deflate")) throw new Error(`permessage-deflate not agreed (extensions ${JSON.stringify(ws.extensions)})`);
    const text = realisticText(16 * 1024);
    const got = new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("no echo within 5 s")), 5000);
      ws.once("message", (d: Buffer) => { clearTimeout(t); resolve(d.toString()); });
    });
    ws.send(text);
    if ((await got) !== text) throw new Error("wrong echo");
  } finally {
    ws.terminate();
  }
}

export const ws16kDeflate: Scenario = {
  id: "ws-16k-deflate",
  title: "WebSocket echo, 16 KiB text, permessage-deflate, 50 clients",
  unit: "msg/s",
  needs: [],
  async prepare() {
    return {
      ours, peer: wsPeer(true), probe: probeDeflate,
      async load(port, seconds): Promise<Measurement> {
        const r = await runLoadClient<LoadResult>(DEFLATE_CLIENT, { url: `ws://127.0.0.1:${port}/`, conns: 50, seconds, payload: 16 * 1024 }, seconds);
        return { value: r.value, seconds: r.seconds, errors: r.errors, detail: r.detail };
      },
    };
  },
};

function manyConns(n: number, id: string): Scenario {
  return {
    id,
    title: `WebSocket echo, 64 B, ${n.toLocaleString("en-US")} clients`,
    unit: "msg/s",
    needs: [],
    async prepare() {
      return wsComparison({ scheme: "ws", mode: "echo", conns: n, payload: 64, ours, peer: wsPeer(false) });
    },
  };
}

export const wsConns1k = manyConns(1000, "ws-conns-1k");
export const wsConns10k = manyConns(10_000, "ws-conns-10k");
