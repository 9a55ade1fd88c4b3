#!/usr/bin/env node
// The API reference, docs/api/ (markdown, so that GitHub shows it), made by TypeDoc with
// typedoc-plugin-markdown from the package's public entry (src/index.ts; typedoc.json
// has the settings). TypeDoc fails on any public export without a doc comment
// (validation.notDocumented with treatWarningsAsErrors), so this also checks that
// everything published is documented. No network is needed.
//
//   node scripts/api-doc.mjs           write docs/api/ (what `npm run docs` runs)
//   node scripts/api-doc.mjs --check   exit 1 when docs/api/ is not what it would write
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const USAGE = "Usage: node scripts/api-doc.mjs [--check]\n";
let args;
try {
  ({ values: args } = parseArgs({ options: { check: { type: "boolean" }, help: { type: "boolean", short: "h" } }, strict: true }));
} catch (e) {
  process.stderr.write(`api-doc: ${e.message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) { process.stdout.write(USAGE); process.exit(0); }

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const committed = join(repo, "docs", "api");
const require = createRequire(import.meta.url);
const typedocBin = join(dirname(require.resolve("typedoc/package.json")), "bin", "typedoc");

/** Runs TypeDoc (typedoc.json) writing into `out`; exits with its output when it fails. */
function typedoc(out) {
  const r = spawnSync(process.execPath, [typedocBin, "--options", join(repo, "typedoc.json"), "--out", out], { cwd: repo, encoding: "utf8" });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout}${r.stderr}api-doc: typedoc failed (exit ${r.status}): every public export needs a doc comment\n`);
    process.exit(1);
  }
}

/** Every file under `dir`, as paths relative to it, sorted. */
function files(dir, base = dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, base, out);
    else out.push(relative(base, p));
  }
  return out;
}

if (!args.check) {
  // TypeDoc empties its output folder first (cleanOutputDir), so removed exports go too.
  typedoc(committed);
  process.stdout.write(`api-doc: wrote ${relative(repo, committed)}/ (${files(committed).length} files)\n`);
  process.exit(0);
}

const tmp = mkdtempSync(join(tmpdir(), "api-doc-"));
try {
  typedoc(tmp);
  const want = files(tmp), have = files(committed);
  const diffs = [];
  for (const f of want) {
    if (!have.includes(f)) diffs.push(`missing ${f}`);
    else if (!readFileSync(join(tmp, f)).equals(readFileSync(join(committed, f)))) diffs.push(`out of date ${f}`);
  }
  for (const f of have) if (!want.includes(f)) diffs.push(`not generated ${f}`);
  if (diffs.length > 0) {
    process.stderr.write(`api-doc: docs/api/ is out of date (${diffs.length} files); run npm run docs\n${diffs.slice(0, 20).map((d) => `  ${d}\n`).join("")}`);
    process.exit(1);
  }
  process.stdout.write(`api-doc: docs/api/ is up to date (${want.length} files)\n`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
