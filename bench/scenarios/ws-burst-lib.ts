// The burst echo comparisons (ws-burst-empty, ws-echo-16mib): one connection, bursts
// sent in one write by clients/ws-burst-load.ts, vs a `ws` server. Both servers run with
// `stats: true` so that the client can report their peak memory.
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { WebSocket } from "ws";
import { runLoadClient } from "../lib/run-load-client.js";
import type { Measurement, Prepared } from "../lib/types.js";
import type { WsBurstResult } from "../clients/ws-burst-load.js";

const LOAD_CLIENT = join(dirname(fileURLToPath(import.meta.url)), "..", "clients", "ws-burst-load.js");

/** One message of `size` bytes out (binary unless empty), the same back; then the stats answer. */
async function probe(port: number, size: number): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  try {
    await new Promise<void>((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
    const next = (): Promise<Buffer> => new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("no message within 10 s")), 10_000);
      ws.once("message", (d: Buffer) => { clearTimeout(t); resolve(d); });
    });
    const m = Buffer.alloc(Math.min(size, 1 << 20), 7);
    let got = next();
    ws.send(m, { binary: size > 0 });
    if (!(await got).equals(m)) throw new Error("wrong echo");
    got = next();
    ws.send("\0stats");
    const s = JSON.parse((await got).toString()) as { hwm?: number };
    if (typeof s.hwm !== "number") throw new Error("no stats answer");
  } finally {
    ws.terminate();
  }
}

const MiB = 1 << 20;

export function burstComparison(count: number, size: number): Prepared {
  const config = { mode: "echo", scheme: "ws", stats: true };
  // Per server (port): its first burst, measured before anything else was sent to it.
  const firsts = new Map<number, string>();
  const run = (port: number, seconds: number): Promise<WsBurstResult> =>
    runLoadClient<WsBurstResult>(LOAD_CLIENT, { url: `ws://127.0.0.1:${port}/`, seconds, count, size }, seconds + 60);
  return {
    ours: { label: "tsmongoose", server: { script: "ours-ws.js", config } },
    peer: { label: "ws", server: { script: "ws-peer.js", config } },
    async probe(port) {
      // The case as issue 15 measured it: one burst on a server that has just started
      // (seconds 0: exactly one burst), its time and how much the server's memory grew.
      const r = await run(port, 0);
      if (!r.ok) throw new Error(r.errors.join("; "));
      firsts.set(port, `first burst on the fresh server ${r.firstMs.toFixed(0)} ms, peak RSS +${((r.serverHwm - r.serverRss0) / MiB).toFixed(0)} MiB over its idle; then `);
      await probe(port, size);
    },
    async load(port, seconds): Promise<Measurement> {
      const r = await run(port, seconds);
      return { value: r.value, seconds: r.seconds, errors: r.errors, detail: (firsts.get(port) ?? "") + r.detail };
    },
  };
}
