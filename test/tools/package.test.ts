// What `npm pack` would publish: the license and changelog, the CLI, and source maps whose
// sources are in the tarball (issue 11). Reads `npm pack --dry-run --json`; builds nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { run, leakCheckAfterAll } from "../helpers.js";

// This file runs from dist/test/tools/.
const repo = fileURLToPath(new URL("../../../", import.meta.url));

test("the tarball has LICENSE, CHANGELOG.md, the CLI, and every source map's sources", async () => {
  const r = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts", repo], { timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr);
  const files = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
  for (const f of ["LICENSE", "CHANGELOG.md", "README.md", "package.json", "dist/src/cli.js", "dist/src/index.js", "dist/src/index.d.ts"]) {
    assert.ok(files.has(f), `${f} is in the tarball`);
  }
  assert.match(readFileSync(join(repo, "LICENSE"), "utf8"), /^MIT License\n\nCopyright \(c\) 2026 the tsmongoose authors\n/);
  const maps = [...files].filter((f) => f.endsWith(".js.map"));
  assert.ok(maps.length > 0);
  for (const m of maps) {
    const { sources } = JSON.parse(readFileSync(join(repo, m), "utf8")) as { sources: string[] };
    for (const s of sources) {
      const p = normalize(join(dirname(m), s)).split("\\").join("/");
      assert.ok(files.has(p), `${m} points at ${s}, which is not in the tarball`);
    }
  }
  // Nothing from the tests, benchmarks or examples is published.
  assert.deepEqual([...files].filter((f) => /^(dist\/)?(test|bench|examples)\//.test(f)), []);
});

test("the changelog follows Keep a Changelog: Unreleased first, then 0.1.0 with a date", () => {
  const text = readFileSync(join(repo, "CHANGELOG.md"), "utf8");
  const versions = [...text.matchAll(/^## \[([^\]]+)\](.*)$/gm)].map((m) => [m[1], m[2]]);
  assert.deepEqual(versions.map((v) => v[0]), ["Unreleased", "0.1.0"]);
  assert.match(versions[1]![1]!, /^ - \d{4}-\d\d-\d\d$/);
  const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string };
  assert.equal(versions[1]![0], pkg.version);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
