// A comparison of two HTTP(S) servers under wrk: probe each for the exact response,
// then measure requests/s (or MiB/s of body) with errors and byte counts checked.
import type { Fixtures, Measurement, Prepared, Side } from "./types.js";
import { expectBody } from "./probe.js";
import { runWrk, wrkProblems } from "./wrk.js";

export interface WrkComparison {
  fx: Fixtures;
  ours: Side;
  peer: Side;
  scheme: "http" | "https";
  path: string;
  connections: number;
  /** The body every response must carry. */
  body: Buffer;
  /** "req/s", or "MiB/s" of body bytes. */
  unit: "req/s" | "MiB/s";
  /** https: the CA (our self-signed certificate) the probe trusts. */
  tlsCa?: string;
}

export function wrkComparison(o: WrkComparison): Prepared {
  // The size of one response as the probe saw it; wrk's byte count must fit it.
  let responseBytes = 0;
  return {
    ours: o.ours,
    peer: o.peer,
    async probe(port) {
      responseBytes = await expectBody({ port, path: o.path, ...(o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {}) }, o.body);
    },
    async load(port, seconds): Promise<Measurement> {
      const r = await runWrk({ url: `${o.scheme}://127.0.0.1:${port}${o.path}`, connections: o.connections, seconds, scratchDir: o.fx.dir });
      const value = o.unit === "req/s" ? r.requests / r.seconds : (r.requests * o.body.length) / r.seconds / (1 << 20);
      return {
        value,
        seconds: r.seconds,
        errors: wrkProblems(r, responseBytes, o.connections),
        detail: `${r.requests} responses of ${responseBytes} B, latency p50 ${(r.p50us / 1000).toFixed(2)} ms, p99 ${(r.p99us / 1000).toFixed(2)} ms`,
      };
    },
  };
}
