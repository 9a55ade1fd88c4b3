// Results: per-side numbers from every round, the ratio table, and bench/results.md.
import type { Scenario } from "./types.js";
import type { SysInfo } from "./sysinfo.js";

export interface SideResult {
  label: string;
  /** One value per successful round. */
  values: number[];
  /** Value per server CPU-second, per round. */
  perCpu: number[];
  /** Server CPU use during each measured run, in percent of one core. */
  cpuPct: number[];
  /** Why the side could not be measured (server did not start, probe failed). */
  na?: string;
  /** Problems that disqualify the side (errors under load). */
  errors: string[];
}

export interface ScenarioResult {
  scenario: Scenario;
  ours: SideResult;
  peer: SideResult;
  /** Why the whole scenario could not run. */
  na?: string;
  /** One line per measured run, for the log. */
  log: string[];
}

export function newSide(label: string): SideResult {
  return { label, values: [], perCpu: [], cpuPct: [], errors: [] };
}

/** Server CPU (percent of one core) under which a server counts as not saturated. */
const SATURATED = 85;

const best = (xs: number[]): number => (xs.length ? Math.max(...xs) : NaN);

export function fmtValue(v: number, unit: string): string {
  if (!Number.isFinite(v)) return "–";
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
}

function sideProblem(s: SideResult): string | undefined {
  if (s.na !== undefined) return `n/a (${s.label}: ${s.na})`;
  if (s.errors.length > 0) return `FAIL (${s.label}: ${s.errors.join("; ")})`;
  return undefined;
}

export interface Row {
  title: string;
  ours: string;
  peer: string;
  ratio: string;
  target: string;
  perCpu: string;
  result: string;
  /** Correctness failure (not merely n/a or below target). */
  failed: boolean;
}

export function toRow(r: ScenarioResult): Row {
  const sc = r.scenario;
  const ours = best(r.ours.values);
  const peer = best(r.peer.values);
  const ratio = ours / peer;
  const perCpu = best(r.ours.perCpu) / best(r.peer.perCpu);
  const problem = r.na !== undefined ? `n/a (${r.na})` : sideProblem(r.ours) ?? sideProblem(r.peer);
  const ok = problem === undefined && Number.isFinite(ratio);
  // A server under SATURATED% of a core was waiting for the load generator or lost its
  // core to other processes: the raw ratio is then less telling (it tends to 1 when the
  // load generator is the limit), so the result says so and points at the per-CPU ratio.
  const cpuOurs = best(r.ours.cpuPct), cpuPeer = best(r.peer.cpuPct);
  const saturated = Math.min(cpuOurs, cpuPeer) >= SATURATED;
  let verdict = ratio >= sc.target ? "meets target" : "below target";
  if (ok && !saturated) {
    verdict += ` (servers not saturated: ${cpuOurs.toFixed(0)}% / ${cpuPeer.toFixed(0)}% CPU; see the per-CPU ratio)`;
  }
  return {
    title: sc.title,
    ours: r.ours.na === undefined && r.ours.errors.length === 0 ? fmtValue(ours, sc.unit) : "–",
    peer: `${r.peer.label} ${r.peer.na === undefined && r.peer.errors.length === 0 ? fmtValue(peer, sc.unit) : "–"}`,
    ratio: ok ? `**${ratio.toFixed(2)}x**` : "–",
    target: `${sc.target.toFixed(1)}x`,
    perCpu: ok && Number.isFinite(perCpu) ? `${perCpu.toFixed(2)}x` : "–",
    result: problem ?? verdict,
    failed: problem?.startsWith("FAIL") ?? false,
  };
}

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function markdownTable(rows: Row[]): string {
  const head = "| Scenario | tsmongoose | Peer | Ratio | Target | Ratio per server CPU-s | Result |\n|---|---:|---:|---:|---:|---:|---|";
  const lines = rows.map((r) => `| ${[r.title, r.ours, r.peer, r.ratio, r.target, r.perCpu, r.result].map(cell).join(" | ")} |`);
  return [head, ...lines].join("\n");
}

export interface ResultsDoc {
  sys: SysInfo;
  loadAfter: string;
  settings: { seconds: number; warmup: number; rounds: number };
  note: string | undefined;
  results: ScenarioResult[];
}

export function resultsMarkdown(d: ResultsDoc): string {
  const rows = d.results.map(toRow);
  const s = d.sys;
  return `# Benchmark results

Written by \`npm run bench\` (see [docs/benchmarks.md](../docs/benchmarks.md)). Ratios are
tsmongoose / peer, measured in the same run on the same machine; compare ratios, never
absolute numbers across runs or machines.

- Date: ${s.date}
- Machine: ${s.cpu}, ${s.nproc} CPUs (nproc), ${s.os}
- Node.js: ${s.node}
- Load average (1/5/15 min): ${s.load} at start, ${d.loadAfter} at end
- Settings: ${d.settings.warmup} s warm-up + ${d.settings.seconds} s measured per server, best of ${d.settings.rounds} round(s), order alternating per round; wrk -t1; each server alone in its own process
${d.note ? `- Note: ${d.note}\n` : ""}
${markdownTable(rows)}

## Runs

${d.results.map((r) => `### ${r.scenario.title} (\`${r.scenario.id}\`)\n\n${r.log.length ? r.log.map((l) => `- ${l}`).join("\n") : "- (nothing measured)"}`).join("\n\n")}
`;
}
