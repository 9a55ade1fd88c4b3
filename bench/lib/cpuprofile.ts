// Reads a V8 .cpuprofile (node --cpu-prof) and sums self time per function and per file.
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime { name: string; ms: number; pct: number }

export interface ProfileSummary {
  totalMs: number;
  /** Time not spent idle. */
  busyMs: number;
  byFunction: SelfTime[];
  byFile: SelfTime[];
}

/** "file:///work/main/dist/src/http/protocol.js" -> "src/http/protocol.js"; node:internal/... kept. */
function shortUrl(url: string): string {
  if (url === "") return "";
  const i = url.indexOf("/dist/");
  if (i >= 0) return url.slice(i + 6);
  const n = url.indexOf("node_modules/");
  if (n >= 0) return url.slice(n);
  return url.replace(/^file:\/\//, "");
}

function top(m: Map<string, number>, busy: number, n: number): SelfTime[] {
  return [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, us]) => ({ name, ms: us / 1000, pct: (us / busy) * 100 }));
}

export function summarizeProfile(path: string, n = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const node of p.nodes) byId.set(node.id, node);
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  let idle = 0;
  // timeDeltas[i + 1] is the time between sample i and the next: the time sample i stands for.
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0;
    const node = byId.get(p.samples[i]!);
    if (node === undefined || dt <= 0) continue;
    total += dt;
    const cf = node.callFrame;
    if (cf.functionName === "(idle)") { idle += dt; continue; }
    const url = shortUrl(cf.url);
    const key = url ? `${cf.functionName || "(anonymous)"}  ${url}:${cf.lineNumber + 1}` : cf.functionName || "(anonymous)";
    fn.set(key, (fn.get(key) ?? 0) + dt);
    const f = url || cf.functionName;
    file.set(f, (file.get(f) ?? 0) + dt);
  }
  const busy = total - idle;
  return { totalMs: total / 1000, busyMs: busy / 1000, byFunction: top(fn, busy, n), byFile: top(file, busy, 20) };
}
