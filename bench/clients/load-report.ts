// What every load client shares: collecting problems, timing the measured period with
// its own CPU use, and reporting one RESULT line that the harness reads (run-load-client.ts).

/** What a load client reports. */
export interface LoadResult {
  ok: boolean;
  /** Messages (or round trips) per second, as the scenario defines. */
  value: number;
  count: number;
  seconds: number;
  errors: string[];
  detail: string;
  /** CPU the load client used while measured, in % of one core (user + system). */
  clientCpuPct?: number;
  /** 99th percentile latency in ms, when the client measures it. */
  p99ms?: number;
}

/** Above this CPU share the client, not the server, may be what limits the result. */
export const CLIENT_SATURATED_PCT = 85;

const errors: string[] = [];

/** Records a correctness problem; any problem makes the run fail (the first 5 are kept). */
export function problem(msg: string): void {
  if (errors.length < 5) errors.push(msg);
}

/** Prints the RESULT line and exits. */
export function finish<R extends LoadResult = LoadResult>(r: Omit<R, "ok" | "errors">): never {
  process.stdout.write(`RESULT ${JSON.stringify({ ok: errors.length === 0, errors, ...r })}\n`);
  process.exit(0);
}

/** Runs the measured period; returns elapsed seconds and the client's CPU % of one core. */
export async function measure(seconds: number): Promise<{ s: number; cpuPct: number }> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const s = (performance.now() - t0) / 1000;
  return { s, cpuPct: ((cpu.user + cpu.system) / 1e6 / s) * 100 };
}

/** "load client CPU 77%", flagged when saturated. */
export function clientNote(cpuPct: number): string {
  return `load client CPU ${cpuPct.toFixed(0)}%${cpuPct > CLIENT_SATURATED_PCT ? " (saturated: the client may be the limit)" : ""}`;
}
