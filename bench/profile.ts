// CPU profile of one server under its scenario's load: where does it spend its time?
//   node dist/bench/profile.js [scenario-id] [ours|peer|<label>]     (default: http-hello ours)
// (<label>: one of the scenario's further peers by its label, e.g. `http-hello ceiling`)
// Runs the server with node --cpu-prof, warms up, loads it for BENCH_SECONDS (default 10),
// stops it, and prints the functions and files with the most self time (idle excluded).
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SCENARIOS } from "./scenarios/index.js";
import { startServer } from "./lib/child.js";
import { ensureTools } from "./lib/tools.js";
import { makeFixtures } from "./lib/fixtures.js";
import { summarizeProfile, type SelfTime } from "./lib/cpuprofile.js";

const id = process.argv[2] ?? "http-hello";
const which = process.argv[3] ?? "ours";
const sc = SCENARIOS.find((s) => s.id === id);
if (sc === undefined) {
  console.error(`usage: node dist/bench/profile.js [${SCENARIOS.map((s) => s.id).join("|")}] [ours|peer|<label of a further peer>]`);
  process.exit(2);
}
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const warmup = Number(process.env.BENCH_WARMUP ?? 2);
ensureTools(sc.needs);

const fx = makeFixtures();
// The profile stays after the run, for Chrome DevTools or speedscope.
const profDir = mkdtempSync(join(tmpdir(), "tsmongoose-profile-"));
try {
  const p = await sc.prepare(fx, { seconds, warmup });
  const side = which === "ours" ? p.ours : which === "peer" ? p.peer : p.more?.find((m) => m.label === which);
  if (side === undefined) throw new Error(`no side ${JSON.stringify(which)} in ${sc.id}: ours, peer${(p.more ?? []).map((m) => `, ${m.label}`).join("")}`);
  const server = await startServer({ ...side.server, nodeArgs: ["--cpu-prof", "--cpu-prof-dir", profDir] });
  try {
    await p.probe(server.port);
    const handle = { pid: server.pid, rssBytes: () => server.rssBytes() };
    await p.load(server.port, warmup, handle);
    const m = await p.load(server.port, seconds, handle);
    console.log(`${sc.id} ${side.label}: ${m.value.toFixed(0)} ${sc.unit} under the profiler (${m.errors.length ? `errors: ${m.errors.join("; ")}` : m.detail})`);
  } finally {
    await server.stop();
  }
  const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) throw new Error(`no .cpuprofile written in ${profDir} (did the server exit normally?)`);
  const s = summarizeProfile(join(profDir, file));
  const show = (title: string, rows: SelfTime[]): void => {
    console.log(`\n${title}`);
    for (const r of rows) console.log(`${r.pct.toFixed(1).padStart(6)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`);
  };
  console.log(`\nprofile: ${join(profDir, file)}`);
  console.log(`sampled ${s.totalMs.toFixed(0)} ms, busy ${s.busyMs.toFixed(0)} ms (percentages are of busy time, whole process lifetime incl. warm-up)`);
  show("Self time by function:", s.byFunction);
  show("Self time by file:", s.byFile);
} finally {
  fx.remove();
}
