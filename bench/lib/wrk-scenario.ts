// A comparison of HTTP(S) servers under wrk: probe each for the exact response, then
// measure requests/s (or MiB/s of request or response body) with errors and byte counts checked.
import type { Fixtures, Measurement, MorePeer, Prepared, Side } from "./types.js";
import { expectBody } from "./probe.js";
import { runWrk, wrkProblems, type WrkRequest } from "./wrk.js";

export interface WrkComparison extends WrkRequest {
  fx: Fixtures;
  ours: Side;
  peer: Side;
  more?: MorePeer[];
  scheme: "http" | "https";
  path: string;
  connections: number;
  /** The body every response must carry. */
  expect: Buffer;
  /** "req/s"; "MiB/s" of response body; "MiB/s up" of request body (uploads). */
  unit: "req/s" | "MiB/s" | "MiB/s up";
  /** https: the CA (our self-signed certificate) the probe trusts. */
  tlsCa?: string;
  /** Every request says `Connection: close` (a new connection, and TLS handshake, each). */
  closeEach?: boolean;
}

export function wrkComparison(o: WrkComparison): Prepared {
  // The size of one response as the probe saw it; wrk's byte count must fit it.
  let responseBytes = 0;
  const headers: [string, string][] = [...(o.headers ?? []), ...(o.closeEach === true ? [["Connection", "close"] as [string, string]] : [])];
  const request: WrkRequest = { headers, ...(o.method !== undefined ? { method: o.method } : {}), ...(o.body !== undefined ? { body: o.body } : {}) };
  const p: Prepared = {
    ours: o.ours,
    peer: o.peer,
    async probe(port) {
      responseBytes = await expectBody({
        port, path: o.path, ...request, ...(o.tlsCa !== undefined ? { tlsCa: o.tlsCa } : {}), ...(o.closeEach === true ? { closeEach: true } : {}),
        timeoutMs: o.body !== undefined && o.body.length > (8 << 20) ? 30_000 : 5000,
      }, o.expect);
    },
    async load(port, seconds): Promise<Measurement> {
      const r = await runWrk({ url: `${o.scheme}://127.0.0.1:${port}${o.path}`, connections: o.connections, seconds, scratchDir: o.fx.dir, ...request });
      const bytesPer = o.unit === "MiB/s" ? o.expect.length : o.unit === "MiB/s up" ? o.body?.length ?? 0 : 0;
      const value = o.unit === "req/s" ? r.requests / r.seconds : (r.requests * bytesPer) / r.seconds / (1 << 20);
      return {
        value,
        seconds: r.seconds,
        errors: wrkProblems(r, responseBytes, o.connections),
        detail: `${r.requests} responses of ${responseBytes} B${o.body !== undefined ? ` to ${o.method ?? "GET"}s of ${o.body.length} B` : ""}, ${o.connections} conns, latency p50 ${(r.p50us / 1000).toFixed(2)} ms, p99 ${(r.p99us / 1000).toFixed(2)} ms`,
        p99ms: r.p99us / 1000,
      };
    },
  };
  if (o.more !== undefined) p.more = o.more;
  return p;
}
