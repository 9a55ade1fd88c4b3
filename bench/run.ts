// npm run bench: every scenario compares our server with a peer in the same run. Each
// server runs alone in its own child process while the load generator uses the other
// core; per round: start, probe for correct answers, warm up, measure, stop.
//
// Then the curves (scenarios/curves.ts): ours and the peer at several points of one
// parameter, a short run each, written as tables and SVG charts.
//
// Environment: BENCH_SECONDS (measured seconds, default 2), BENCH_WARMUP (default 1),
// BENCH_ROUNDS (default 2, best of), BENCH_ONLY (comma-separated scenario and curve ids;
// "scenarios" or "curves" for all of one kind), BENCH_CURVE_SECONDS (per curve point,
// default 1), BENCH_CURVE_WARMUP (once per curve and side, default 1), BENCH_NOTE (a line
// added to results.md), BENCH_RESULTS (output file, default bench/results.md),
// BENCH_DOCS (1: also write the results section of docs/benchmarks.md and docs/bench-*.svg;
// the default for a full run, no BENCH_ONLY and no BENCH_RESULTS).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";
import * as os from "node:os";
import { SCENARIOS } from "./scenarios/index.js";
import { CURVES } from "./scenarios/curves.js";
import { curveFailed, curveSvg, curveTable, runCurve, type CurveResult } from "./lib/curves.js";
import type { Prepared, RunSettings, Scenario, Side } from "./lib/types.js";
import { startServer } from "./lib/child.js";
import { ensureTools } from "./lib/tools.js";
import { makeFixtures } from "./lib/fixtures.js";
import { sysInfo } from "./lib/sysinfo.js";
import { fmtValue, markdownTable, newSide, peerTargets, resultsMarkdown, runFacts, toRows, type ScenarioResult, type SideResult } from "./lib/report.js";

function envNumber(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!;
}

const settings: RunSettings & { rounds: number } = {
  seconds: envNumber("BENCH_SECONDS", 2),
  warmup: envNumber("BENCH_WARMUP", 1),
  rounds: Math.round(envNumber("BENCH_ROUNDS", 2)),
};
const curveSeconds = envNumber("BENCH_CURVE_SECONDS", 1);
const curveWarmup = envNumber("BENCH_CURVE_WARMUP", 1);
const only = (process.env.BENCH_ONLY ?? "").split(",").map((s) => s.trim()).filter(Boolean);
const unknown = only.filter((id) => id !== "scenarios" && id !== "curves" && !SCENARIOS.some((s) => s.id === id) && !CURVES.some((c) => c.id === id));
if (unknown.length > 0) {
  console.error(`unknown id(s) in BENCH_ONLY: ${unknown.join(", ")}; known: scenarios, curves, ${[...SCENARIOS, ...CURVES].map((s) => s.id).join(", ")}`);
  process.exit(2);
}
const selected = SCENARIOS.filter((s) => only.length === 0 || only.includes(s.id) || only.includes("scenarios"));
const selectedCurves = CURVES.filter((c) => only.length === 0 || only.includes(c.id) || only.includes("curves"));
const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const resultsFile = resolve(process.env.BENCH_RESULTS ?? join(repo, "bench", "results.md"));
// docs/benchmarks.md and its charts change only on a full run (or when asked): a trial run
// of a few scenarios writes its charts next to its results file instead.
const writeDocs = process.env.BENCH_DOCS === "1" || (process.env.BENCH_DOCS === undefined && only.length === 0 && process.env.BENCH_RESULTS === undefined);
const docsFile = join(repo, "docs", "benchmarks.md");
const chartPath = (id: string): string => (writeDocs ? join(repo, "docs", `bench-${id}.svg`) : `${resultsFile.replace(/\.md$/, "")}-${id}.svg`);

try {
  ensureTools([...selected.flatMap((s) => s.needs), ...selectedCurves.flatMap((c) => c.needs)]);
} catch (e) {
  console.error(`npm run bench: ${(e as Error).message}`);
  process.exit(1);
}

const sys = sysInfo();
console.log(`# tsmongoose benchmarks — ${sys.date}`);
console.log(`# ${sys.cpu}, nproc ${sys.nproc}, Node ${sys.node}, load average ${sys.load}`);
console.log(`# ${settings.warmup} s warm-up + ${settings.seconds} s measured per server, best of ${settings.rounds} round(s)`);
if (sys.nproc < 2) console.log("# warning: one CPU: the server and the load generator share it; ratios are less meaningful");
if (os.loadavg()[0]! > 0.5) console.log(`# warning: the machine is busy (load ${os.loadavg()[0]!.toFixed(2)}): expect noisy numbers`);

/** One round for one side: start, probe, warm up, measure, stop. */
async function measureSide(sc: Scenario, p: Prepared, side: Side, res: SideResult, round: number, log: string[]): Promise<void> {
  const tag = `${sc.id} ${side.label.padEnd(10)} round ${round + 1}`;
  let server;
  try {
    server = await startServer(side.server);
  } catch (e) {
    res.na = message(e);
    console.log(`  ${tag}: n/a (${res.na})`);
    return;
  }
  try {
    try {
      await p.probe(server.port);
    } catch (e) {
      res.na = `probe: ${message(e)}`;
      console.log(`  ${tag}: n/a (${res.na})`);
      return;
    }
    const handle = { pid: server.pid, rssBytes: () => server.rssBytes() };
    if (sc.warmup !== false) await p.load(server.port, settings.warmup, handle);
    const cpu0 = server.cpuSeconds();
    const w0 = performance.now();
    const m = await p.load(server.port, Math.max(settings.seconds, sc.minSeconds ?? 0), handle);
    // Over the whole load call: loads that open many connections do it inside load().
    const wall = Math.max(m.seconds, (performance.now() - w0) / 1000);
    const cpu = server.cpuSeconds() - cpu0;
    const peak = server.peakRssBytes();
    const pct = (cpu / wall) * 100;
    if (m.errors.length > 0) {
      res.errors.push(...m.errors);
      const line = `${side.label} round ${round + 1}: FAIL: ${m.errors.join("; ")}`;
      log.push(line);
      console.log(`  ${tag}: FAIL (${m.errors.join("; ")})`);
      return;
    }
    res.values.push(m.value);
    res.cpuPct.push(pct);
    res.perCpu.push((m.value * m.seconds) / cpu);
    res.peakRss.push(peak);
    const rss = `peak RSS ${(peak / (1 << 20)).toFixed(0)} MiB`;
    const line = `${side.label} round ${round + 1}: ${fmtValue(m.value, sc.unit)}, server CPU ${pct.toFixed(0)}%, ${rss}, ${m.detail}`;
    log.push(line);
    console.log(`  ${tag}: ${fmtValue(m.value, sc.unit)}  (server CPU ${pct.toFixed(0)}%; ${rss}; ${m.detail})`);
  } catch (e) {
    res.errors.push(message(e));
    console.log(`  ${tag}: FAIL (${message(e)})`);
  } finally {
    await server.stop();
  }
}

async function runScenario(sc: Scenario, fx: ReturnType<typeof makeFixtures>): Promise<ScenarioResult> {
  console.log(`\n## ${sc.title} [${sc.id}]`);
  let p: Prepared;
  try {
    p = await sc.prepare(fx, settings);
  } catch (e) {
    console.log(`  n/a (${message(e)})`);
    return { scenario: sc, sides: [newSide("tsmongoose"), newSide("peer")], targets: peerTargets(sc, undefined), na: message(e), log: [] };
  }
  const sides: Side[] = [p.ours, p.peer, ...(p.more ?? [])];
  const r: ScenarioResult = { scenario: sc, sides: sides.map((s) => newSide(s.label)), targets: peerTargets(sc, p.more), log: [] };
  for (let round = 0; round < Math.min(settings.rounds, sc.maxRounds ?? Infinity); round++) {
    // Alternate who goes first, so drift in the machine's load favours no side.
    const order = sides.map((s, i) => [s, r.sides[i]!] as [Side, SideResult]);
    if (round % 2 === 1) order.reverse();
    for (const [side, res] of order) {
      if (res.na !== undefined || res.errors.length > 0) continue;
      await measureSide(sc, p, side, res, round, r.log);
    }
    // Ours or the main peer unable to run makes further rounds pointless.
    if (r.sides.slice(0, 2).some((s) => s.na !== undefined || s.errors.length > 0)) break;
  }
  for (const row of toRows(r)) console.log(`  => ${row.peer.split(" ")[0]}: ratio ${row.ratio.replace(/\*/g, "")} (target ${row.target}): ${row.result}`);
  return r;
}

const fx = makeFixtures();
const results: ScenarioResult[] = [];
const curveResults: CurveResult[] = [];
const t0 = performance.now();
const cleanup = (): void => fx.remove();
process.once("SIGINT", () => { cleanup(); process.exit(130); });
try {
  for (const sc of selected) results.push(await runScenario(sc, fx));
  for (const c of selectedCurves) curveResults.push(await runCurve(c, fx, curveSeconds, curveWarmup));
} finally {
  cleanup();
}
const minutes = (performance.now() - t0) / 60_000;

const rows = results.flatMap(toRows);
if (rows.length > 0) console.log(`\n${markdownTable(rows)}\n`);

/** The curves as Markdown: per curve its chart (a file written here) and its table. */
function curvesMarkdown(linkFor: (id: string) => string): string {
  return curveResults.map((r) => {
    writeFileSync(chartPath(r.curve.id), curveSvg(r));
    const secs = `${curveSeconds} s per point${r.curve.secondsAt ? " (longer at the largest points)" : ""}, after ${curveWarmup} s of warm-up per side`;
    return `### ${r.curve.title} (\`${r.curve.id}\`)\n\n![${r.curve.title}](${linkFor(r.curve.id)})\n\n${curveTable(r)}\n\n${secs}.`;
  }).join("\n\n");
}

const loadAfter = os.loadavg().map((x) => x.toFixed(2)).join(" ");
const doc = { sys, loadAfter, settings, note: process.env.BENCH_NOTE, results, minutes };
const curvesMd = curveResults.length > 0 ? `## Curves\n\n${curvesMarkdown((id) => (writeDocs ? `../docs/bench-${id}.svg` : chartPath(id).split("/").pop()!))}` : undefined;
writeFileSync(resultsFile, resultsMarkdown({ ...doc, ...(curvesMd !== undefined ? { curves: curvesMd } : {}) }));
console.log(`results written to ${resultsFile} (the run took ${minutes.toFixed(1)} minutes)`);

if (writeDocs && existsSync(docsFile)) {
  // The section between the markers is the bench's; the rest of the page is written by hand.
  const START = "<!-- bench:results:start -->", END = "<!-- bench:results:end -->";
  const page = readFileSync(docsFile, "utf8");
  const a = page.indexOf(START), b = page.indexOf(END);
  if (a >= 0 && b > a) {
    const section = `${START}\n<!-- written by npm run bench; edits here are overwritten -->\n\n${runFacts(doc)}\n${markdownTable(rows)}\n\n${curveResults.length > 0 ? `${curvesMarkdown((id) => `bench-${id}.svg`)}\n\n` : ""}${END}`;
    writeFileSync(docsFile, page.slice(0, a) + section + page.slice(b + END.length));
    console.log(`results section of ${docsFile} rewritten`);
  } else {
    console.log(`${docsFile} has no ${START} ... ${END} markers: not updated`);
  }
}
process.exit(rows.some((r) => r.failed) || curveResults.some(curveFailed) ? 1 : 0);
