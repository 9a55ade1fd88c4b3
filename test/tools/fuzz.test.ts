// The fuzz targets, each for a short fixed-seed pass (so npm test runs them), and the
// runner scripts/fuzz.mjs on fixture targets written to a temp folder (--dir).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { run, leakCheckAfterAll } from "../helpers.js";

// This file runs from dist/test/tools/; the targets are in dist/test/fuzz/.
const script = fileURLToPath(new URL("../../../scripts/fuzz.mjs", import.meta.url));
const fuzzDir = fileURLToPath(new URL("../fuzz", import.meta.url));
const temp = mkdtempSync(join(tmpdir(), "tsm-fuzz-"));
after(() => rmSync(temp, { recursive: true, force: true }));

type Target = (iterations: number, seed: number) => void | Promise<void>;

test("every fuzz target in dist/test/fuzz, 2000 iterations with seed 1", async (t) => {
  const found: string[] = [];
  for (const file of readdirSync(fuzzDir).filter((f) => f.endsWith(".js")).sort()) {
    const mod = (await import(pathToFileURL(join(fuzzDir, file)).href)) as Record<string, unknown>;
    for (const [name, fn] of Object.entries(mod)) {
      if (typeof fn !== "function" || !name.startsWith("fuzz")) continue;
      const id = `${file.replace(/\.js$/, "")}.${name}`;
      found.push(id);
      await t.test(id, async () => { await (fn as Target)(2000, 1); });
    }
  }
  assert.ok(found.includes("mqtt.fuzz"), found.join(","));
  assert.ok(found.includes("sntp.fuzz"), found.join(","));
  for (const id of ["deflate.fuzzDeflate", "json.fuzzJson", "match.fuzzMatch", "multipart.fuzzMultipart", "url.fuzzUrl"]) {
    assert.ok(found.includes(id), `${id} not in ${found.join(",")}`);
  }
});

let dirs = 0;
function fixtures(files: Record<string, string>): string {
  const dir = join(temp, `d${dirs++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

// Each fixture target prints what it was called with, so the test sees the arguments.
const passing = {
  "a.js": `export function fuzz(n, seed) { process.stdout.write("a.fuzz got " + n + " " + seed + "\\n"); }\n` +
    `export function helper() { throw new Error("not a target"); }\nexport const fuzzValue = 3;\n`,
  "b.js": `export async function fuzzB(n, seed) { await new Promise((r) => setTimeout(r, 1)); process.stdout.write("b.fuzzB got " + n + " " + seed + "\\n"); }\n`,
  "notes.txt": "not a module\n",
};

test("runner: every fuzz* export runs with --iterations and --seed, with a line per target", async () => {
  const r = await run(process.execPath, [script, "--dir", fixtures(passing), "--iterations", "50", "--seed", "42"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^fuzz: 2 targets, 50 iterations each, seed 42\n/);
  assert.match(r.stdout, /a\.fuzz got 50 42\n {2}ok {3}a\.fuzz {3}50 iterations {2}\d+\.\d\d s {2}\d+\/s\n/);
  assert.match(r.stdout, /b\.fuzzB got 50 42\n {2}ok {3}b\.fuzzB {2}50 iterations/);
  assert.doesNotMatch(r.stdout, /helper|fuzzValue/);
  assert.match(r.stdout, /fuzz: all passed, seed 42\n$/);
});

test("runner: without --seed a random seed is printed and given to the targets; 200000 iterations by default", async () => {
  const r = await run(process.execPath, [script, "--dir", fixtures(passing), "a"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const m = /^fuzz: 1 target, 200000 iterations each, seed (\d+)\n/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.match(r.stdout, new RegExp(`a\\.fuzz got 200000 ${m[1]}\\n`));
  assert.doesNotMatch(r.stdout, /fuzzB/, "the filter leaves b out");
});

test("runner: a target that throws fails the run with its name, the seed and a replay line; the others still run", async () => {
  const dir = fixtures({
    ...passing,
    "c.js": `export function fuzzBoom(n, seed) { for (let i = 0; i < n; i++) if (i === 7) throw new Error("broke at " + i); }\n`,
  });
  const r = await run(process.execPath, [script, "--dir", dir, "--iterations", "10", "--seed", "9"]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, / {2}FAIL c\.fuzzBoom {2}after \d+\.\d\d s, seed 9\nError: broke at 7\n/);
  assert.match(r.stdout, / {2}replay: node scripts\/fuzz\.mjs --seed 9 --iterations 10 c\.fuzzBoom\n/);
  assert.match(r.stdout, /ok {3}a\.fuzz/);
  assert.match(r.stdout, /ok {3}b\.fuzzB/);
  assert.match(r.stdout, /fuzz: 1 failed \(c\.fuzzBoom\), seed 9\n$/);
});

test("runner: bad arguments and an empty folder exit 2 with the usage", async () => {
  for (const args of [["--nope"], ["--iterations", "0"], ["--iterations", "x"], ["--seed", "-1"], ["--seed", "4294967296"], ["zzz"]]) {
    const r = await run(process.execPath, [script, "--dir", fixtures(passing), ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /Usage: node scripts\/fuzz\.mjs/, args.join(" "));
  }
  const empty = await run(process.execPath, [script, "--dir", fixtures({ "x.js": "export const y = 1;\n" })]);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /no fuzz\* export in /);
  const list = await run(process.execPath, [script, "--dir", fixtures(passing), "--list"]);
  assert.equal(list.code, 0);
  assert.equal(list.stdout, "a.fuzz\nb.fuzzB\n");
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
