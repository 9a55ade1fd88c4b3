// Results: per-side numbers from every round, the ratio table (one row per peer), and
// bench/results.md.
import type { MorePeer, Scenario } from "./types.js";
import type { SysInfo } from "./sysinfo.js";

export interface SideResult {
  label: string;
  /** One value per successful round. */
  values: number[];
  /** Value per server CPU-second, per round. */
  perCpu: number[];
  /** Server CPU use during each measured run, in percent of one core. */
  cpuPct: number[];
  /** The server's peak resident set size (VmHWM) after each measured run, bytes. */
  peakRss: number[];
  /** Why the side could not be measured (server did not start, probe failed). */
  na?: string;
  /** Problems that disqualify the side (errors under load). */
  errors: string[];
}

/** The target of one peer's row. */
export interface RowTarget { target?: number; targetFrom?: string }

export interface ScenarioResult {
  scenario: Scenario;
  /** sides[0] is ours, sides[1] the main peer, then the further peers. */
  sides: SideResult[];
  /** Per peer (sides[1..]): its target. */
  targets: RowTarget[];
  /** Why the whole scenario could not run. */
  na?: string;
  /** One line per measured run, for the log. */
  log: string[];
}

export function newSide(label: string): SideResult {
  return { label, values: [], perCpu: [], cpuPct: [], peakRss: [], errors: [] };
}

/** The targets of a prepared scenario's peers: the scenario's for the main peer, each further peer's own. */
export function peerTargets(sc: Scenario, more: MorePeer[] | undefined): RowTarget[] {
  const main: RowTarget = {};
  if (sc.target !== undefined) main.target = sc.target;
  if (sc.targetFrom !== undefined) main.targetFrom = sc.targetFrom;
  return [main, ...(more ?? []).map((m) => {
    const t: RowTarget = {};
    if (m.target !== undefined) t.target = m.target;
    if (m.targetFrom !== undefined) t.targetFrom = m.targetFrom;
    return t;
  })];
}

/** Server CPU (percent of one core) under which a server counts as not saturated. */
const SATURATED = 85;

const best = (xs: number[], lower = false): number => (xs.length ? (lower ? Math.min(...xs) : Math.max(...xs)) : NaN);

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

const mib = (b: number): string => (Number.isFinite(b) ? (b / (1 << 20)).toFixed(0) : "–");

export function targetText(t: RowTarget, better: "higher" | "lower" = "higher"): string {
  if (t.target === undefined) return "–";
  return `${better === "lower" ? "≤" : "≥"} ${t.target.toFixed(t.target * 10 % 1 === 0 ? 1 : 2)}x${t.targetFrom ? ` (${t.targetFrom})` : ""}`;
}

export interface Row {
  title: string;
  ours: string;
  peer: string;
  ratio: string;
  target: string;
  perCpu: string;
  /** Peak RSS of the servers, "ours / peer" in MiB. */
  rss: string;
  result: string;
  /** Correctness failure (not merely n/a or below target). */
  failed: boolean;
}

/** One row per peer: ours against sides[1], sides[2], ... */
export function toRows(r: ScenarioResult): Row[] {
  const sc = r.scenario;
  const lower = sc.better === "lower";
  const cpuBound = sc.cpuBound !== false;
  const o = r.sides[0]!;
  const rows: Row[] = [];
  const peers = r.sides.length > 1 ? r.sides.slice(1) : [newSide("peer")];
  peers.forEach((p, i) => {
    const t = r.targets[i] ?? {};
    const ours = best(o.values, lower);
    const peer = best(p.values, lower);
    const ratio = ours / peer;
    const perCpu = best(o.perCpu) / best(p.perCpu);
    const problem = r.na !== undefined ? `n/a (${r.na})` : sideProblem(o) ?? sideProblem(p);
    const ok = problem === undefined && Number.isFinite(ratio);
    let verdict = t.target === undefined ? "no target (ratio shown)" : (lower ? ratio <= t.target : ratio >= t.target) ? "met" : "not met";
    // A server under SATURATED% of a core was waiting for the load generator or lost its
    // core to other processes: the raw ratio is then less telling (it tends to 1 when the
    // load generator is the limit), so the result says so and points at the per-CPU ratio.
    const cpuOurs = best(o.cpuPct), cpuPeer = best(p.cpuPct);
    if (ok && cpuBound && Math.min(cpuOurs, cpuPeer) < SATURATED) {
      verdict += ` (servers not saturated: ${cpuOurs.toFixed(0)}% / ${cpuPeer.toFixed(0)}% CPU; see the per-CPU ratio)`;
    }
    const shown = (s: SideResult, v: number): string => (s.na === undefined && s.errors.length === 0 ? fmtValue(v, sc.unit) : "–");
    rows.push({
      title: i === 0 ? sc.title : `${sc.title} (vs ${p.label})`,
      ours: shown(o, ours),
      peer: `${p.label} ${shown(p, peer)}`,
      ratio: ok ? `**${ratio.toFixed(2)}x**` : "–",
      target: targetText(t, sc.better),
      perCpu: ok && cpuBound && Number.isFinite(perCpu) ? `${perCpu.toFixed(2)}x` : "–",
      rss: `${mib(best(o.peakRss))} / ${mib(best(p.peakRss))}`,
      result: problem ?? verdict,
      failed: problem?.startsWith("FAIL") ?? false,
    });
  });
  return rows;
}

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function markdownTable(rows: Row[]): string {
  const head = "| Scenario | tsmongoose | Peer | Ratio | Target | Ratio per server CPU-s | Peak RSS MiB (ours / peer) | Result |\n|---|---:|---:|---:|---:|---:|---:|---|";
  const lines = rows.map((r) => `| ${[r.title, r.ours, r.peer, r.ratio, r.target, r.perCpu, r.rss, r.result].map(cell).join(" | ")} |`);
  return [head, ...lines].join("\n");
}

export interface ResultsDoc {
  sys: SysInfo;
  loadAfter: string;
  settings: { seconds: number; warmup: number; rounds: number };
  note: string | undefined;
  results: ScenarioResult[];
  /** The curves' section (tables and chart links), already in Markdown. */
  curves?: string;
  /** Minutes the run took. */
  minutes?: number;
}

/** The header lines that say where and how a run happened. */
export function runFacts(d: ResultsDoc): string {
  const s = d.sys;
  const load1 = Number(s.load.split(" ")[0]);
  const busy = load1 > 1 ? `- **Warning: the machine was busy (load average ${load1.toFixed(2)} at the start): these numbers are noisy; re-run on a quiet machine before quoting them.**\n` : "";
  return `${busy}- Date: ${s.date}
- Machine: ${s.cpu}, ${s.nproc} CPUs (nproc), ${s.os}
- Node.js: ${s.node}
- Load average (1/5/15 min): ${s.load} at start, ${d.loadAfter} at end
- Settings: ${d.settings.warmup} s warm-up + ${d.settings.seconds} s measured per server, best of ${d.settings.rounds} round(s), order alternating per round; wrk -t1; each server alone in its own process${d.minutes !== undefined ? `\n- The run took ${d.minutes.toFixed(1)} minutes` : ""}
${d.note ? `- Note: ${d.note}\n` : ""}`;
}

export function resultsMarkdown(d: ResultsDoc): string {
  const rows = d.results.flatMap(toRows);
  return `# Benchmark results

Written by \`npm run bench\` (see [docs/benchmarks.md](../docs/benchmarks.md)). Ratios are
tsmongoose / peer, measured in the same run on the same machine; compare ratios, never
absolute numbers across runs or machines.

${runFacts(d)}
${markdownTable(rows)}
${d.curves ? `\n${d.curves}\n` : ""}
## Runs

${d.results.map((r) => `### ${r.scenario.title} (\`${r.scenario.id}\`)\n\n${r.log.length ? r.log.map((l) => `- ${l}`).join("\n") : "- (nothing measured)"}`).join("\n\n")}
`;
}
