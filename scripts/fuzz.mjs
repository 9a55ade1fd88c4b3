#!/usr/bin/env node
// Runs the fuzz targets: every exported function whose name starts with "fuzz" in the
// compiled modules of dist/test/fuzz/ (test/fuzz/*.ts, built by `npm run build`). A
// target is called as fn(iterations, seed) and may return a promise; it throws on the
// first input that breaks a property. Every target gets the same seed, so a failure is
// replayed with the seed and iteration count printed.
//
//   node scripts/fuzz.mjs [--iterations N] [--seed S] [--dir DIR] [--list] [TARGET...]
//
// TARGET filters by name ("mqtt", "http.fuzzHttp"). --iterations defaults to 200000,
// --seed to a random one. Exit 0 when every target passed, 1 when one threw, 2 on bad
// arguments or when there is no target.
import { readdirSync, existsSync } from "node:fs";
import { randomInt } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const USAGE = "Usage: node scripts/fuzz.mjs [--iterations N] [--seed S] [--dir DIR] [--list] [TARGET...]\n";
const die = (msg) => { process.stderr.write(`fuzz: ${msg}\n${USAGE}`); process.exit(2); };

let parsed;
try {
  parsed = parseArgs({
    options: {
      iterations: { type: "string" }, seed: { type: "string" }, dir: { type: "string" },
      list: { type: "boolean", default: false }, help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
} catch (e) {
  die(e.message);
}
const { values: args, positionals: filters } = parsed;
if (args.help) { process.stdout.write(USAGE); process.exit(0); }

const iterations = args.iterations === undefined ? 200_000 : Number(args.iterations);
if (!Number.isSafeInteger(iterations) || iterations < 1) die(`--iterations must be a positive integer, got ${args.iterations}`);
const seed = args.seed === undefined ? randomInt(0, 2 ** 32 - 1) : Number(args.seed);
if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffff_ffff) die(`--seed must be an integer in 0..4294967295, got ${args.seed}`);
const dir = resolve(args.dir ?? join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "test", "fuzz"));
if (!existsSync(dir)) die(`${dir} does not exist (run the build first: npx tsc -p tsconfig.json)`);

// Targets, in file then export order: "mqtt.fuzz", "http.fuzzHttp", ...
const targets = [];
for (const file of readdirSync(dir).filter((f) => /\.m?js$/.test(f)).sort()) {
  const mod = await import(pathToFileURL(join(dir, file)).href);
  for (const [name, fn] of Object.entries(mod)) {
    if (typeof fn !== "function" || !name.startsWith("fuzz")) continue;
    const id = `${basename(file).replace(/\.m?js$/, "")}.${name}`;
    if (filters.length === 0 || filters.some((f) => id.includes(f))) targets.push({ id, fn });
  }
}
if (targets.length === 0) die(filters.length > 0 ? `no target matches ${filters.join(" ")}` : `no fuzz* export in ${dir}`);
if (args.list) { for (const t of targets) process.stdout.write(`${t.id}\n`); process.exit(0); }

const width = Math.max(...targets.map((t) => t.id.length));
process.stdout.write(`fuzz: ${targets.length} target${targets.length === 1 ? "" : "s"}, ${iterations} iterations each, seed ${seed}\n`);
const failed = [];
for (const t of targets) {
  const t0 = process.hrtime.bigint();
  let error;
  try {
    await t.fn(iterations, seed);
  } catch (e) {
    error = e;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (error === undefined) {
    process.stdout.write(`  ok   ${t.id.padEnd(width)}  ${iterations} iterations  ${s.toFixed(2)} s  ${Math.round(iterations / Math.max(s, 1e-9))}/s\n`);
    continue;
  }
  failed.push(t.id);
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? `\n  caused by: ${error.cause.stack ?? error.cause.message}` : "";
  process.stdout.write(`  FAIL ${t.id.padEnd(width)}  after ${s.toFixed(2)} s, seed ${seed}\n${text}${cause}\n` +
    `  replay: node scripts/fuzz.mjs --seed ${seed} --iterations ${iterations} ${t.id}\n`);
}
if (failed.length > 0) {
  process.stdout.write(`fuzz: ${failed.length} failed (${failed.join(", ")}), seed ${seed}\n`);
  process.exit(1);
}
process.stdout.write(`fuzz: all passed, seed ${seed}\n`);
