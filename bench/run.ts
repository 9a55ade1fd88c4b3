// npm run bench: every scenario compares our server with a peer in the same run. Each
// server runs alone in its own child process while the load generator uses the other
// core; per round: start, probe for correct answers, warm up, measure, stop.
//
// Environment: BENCH_SECONDS (measured seconds, default 5), BENCH_WARMUP (default 2),
// BENCH_ROUNDS (default 2, best of), BENCH_ONLY (comma-separated scenario ids),
// BENCH_NOTE (a line added to results.md), BENCH_RESULTS (output file, default bench/results.md).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";
import * as os from "node:os";
import { SCENARIOS } from "./scenarios/index.js";
import type { Prepared, RunSettings, Scenario, Side } from "./lib/types.js";
import { startServer } from "./lib/child.js";
import { ensureTools } from "./lib/tools.js";
import { makeFixtures } from "./lib/fixtures.js";
import { sysInfo } from "./lib/sysinfo.js";
import { fmtValue, markdownTable, newSide, peerTargets, resultsMarkdown, toRows, type ScenarioResult, type SideResult } from "./lib/report.js";

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
  seconds: envNumber("BENCH_SECONDS", 5),
  warmup: envNumber("BENCH_WARMUP", 2),
  rounds: Math.round(envNumber("BENCH_ROUNDS", 2)),
};
const only = (process.env.BENCH_ONLY ?? "").split(",").map((s) => s.trim()).filter(Boolean);
const unknown = only.filter((id) => !SCENARIOS.some((s) => s.id === id));
if (unknown.length > 0) {
  console.error(`unknown scenario(s) in BENCH_ONLY: ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.id).join(", ")}`);
  process.exit(2);
}
const selected = SCENARIOS.filter((s) => only.length === 0 || only.includes(s.id));
const resultsFile = resolve(process.env.BENCH_RESULTS ?? join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", "results.md"));

try {
  ensureTools(selected.flatMap((s) => s.needs));
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
    const m = await p.load(server.port, settings.seconds, handle);
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
  for (let round = 0; round < settings.rounds; round++) {
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
const cleanup = (): void => fx.remove();
process.once("SIGINT", () => { cleanup(); process.exit(130); });
try {
  for (const sc of selected) results.push(await runScenario(sc, fx));
} finally {
  cleanup();
}

const rows = results.flatMap(toRows);
console.log(`\n${markdownTable(rows)}\n`);
const loadAfter = os.loadavg().map((x) => x.toFixed(2)).join(" ");
writeFileSync(resultsFile, resultsMarkdown({ sys, loadAfter, settings, note: process.env.BENCH_NOTE, results }));
console.log(`results written to ${resultsFile}`);
process.exit(rows.some((r) => r.failed) ? 1 : 0);
