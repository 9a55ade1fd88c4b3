// docs/api/ is what TypeDoc writes from the public entry (scripts/api-doc.mjs, issue 11):
// a change to the public API without `npm run docs` fails here, and so does a public
// export without a doc comment (typedoc.json: validation.notDocumented with
// treatWarningsAsErrors). No network: TypeDoc and its markdown plugin are devDependencies.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run, leakCheckAfterAll } from "../helpers.js";

// This file runs from dist/test/tools/.
const repo = fileURLToPath(new URL("../../../", import.meta.url));

test("docs/api/ is up to date with the public types, and every public export is documented", async () => {
  const r = await run(process.execPath, [`${repo}scripts/api-doc.mjs`, "--check"], { timeoutMs: 300000 });
  assert.equal(r.code, 0, `${r.stdout}${r.stderr}(run: npm run docs)`);
  assert.match(r.stdout, /docs\/api\/ is up to date/);
});

test("TypeDoc is set to fail on an undocumented export", () => {
  const cfg = JSON.parse(readFileSync(`${repo}typedoc.json`, "utf8")) as { entryPoints: string[]; treatWarningsAsErrors: boolean; validation: Record<string, boolean> };
  assert.equal(cfg.treatWarningsAsErrors, true);
  assert.equal(cfg.validation["notDocumented"], true);
  // The entry points are the package's exports (only "." besides package.json).
  const pkg = JSON.parse(readFileSync(`${repo}package.json`, "utf8")) as { exports: Record<string, unknown> };
  assert.deepEqual(Object.keys(pkg.exports).filter((k) => k !== "./package.json"), ["."]);
  assert.deepEqual(cfg.entryPoints, ["src/index.ts"]);
});

test("with typedoc.json's settings, an export without a doc comment fails the run", async () => {
  // A two-export module: one documented, one not, run with typedoc.json's options (its
  // entry point, tsconfig and the names it allows to be unexported swapped for the fixture's).
  const tmp = mkdtempSync(join(tmpdir(), "tsmongoose-typedoc-"));
  try {
    writeFileSync(join(tmp, "package.json"), JSON.stringify({ name: "fixture", version: "1.0.0" }));
    writeFileSync(join(tmp, "entry.ts"), "/** Documented. */\nexport const documented = 1;\nexport function undocumented(): number { return 2; }\n");
    writeFileSync(join(tmp, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", noEmit: true, types: [] }, files: ["entry.ts"] }));
    const cfg = JSON.parse(readFileSync(`${repo}typedoc.json`, "utf8")) as Record<string, unknown>;
    writeFileSync(join(tmp, "typedoc.json"), JSON.stringify({ ...cfg, entryPoints: ["entry.ts"], tsconfig: "tsconfig.json", intentionallyNotExported: [], out: "out" }));
    const typedoc = join(createRequire(import.meta.url).resolve("typedoc/package.json"), "..", "bin", "typedoc");
    const r = await run(process.execPath, [typedoc, "--options", join(tmp, "typedoc.json")], { timeoutMs: 120000 });
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stdout + r.stderr, /undocumented \(\w+\), defined in .*does not have any documentation/);
    assert.doesNotMatch(r.stdout + r.stderr, /\bdocumented \(/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test("docs/api/ has a page or a section for every runtime export, and the README links it", async () => {
  const index = readFileSync(`${repo}docs/api/README.md`, "utf8");
  const api = (await import(new URL("../../src/index.js", import.meta.url).href)) as Record<string, unknown>;
  const missing = Object.keys(api).filter((name) => {
    const v = api[name];
    // Classes get a page of their own; functions and constants a section of the index.
    if (typeof v === "function" && /^class\s/.test(Function.prototype.toString.call(v))) return !existsSync(`${repo}docs/api/classes/${name}.md`);
    // Headings escape "_"; functions' end in "()" (a function held in a constant's do not).
    const heading = `\n### ${name.replace(/_/g, "\\_")}`;
    return !index.includes(`${heading}\n`) && !(typeof v === "function" && index.includes(`${heading}()\n`));
  });
  assert.deepEqual(missing, []);
  const conn = readFileSync(`${repo}docs/api/classes/Connection.md`, "utf8");
  for (const member of ["### reply()", "### wsSend()", "### mqttPub()", "### recvData()"]) assert.ok(conn.includes(member), `Connection.md has ${member}`);
  const mgr = readFileSync(`${repo}docs/api/classes/Manager.md`, "utf8");
  for (const member of ["### listen()", "### httpRequest()", "### poll()", "### run()"]) assert.ok(mgr.includes(member), `Manager.md has ${member}`);
  assert.match(readFileSync(`${repo}README.md`, "utf8"), /\]\(docs\/api\/README\.md\)/);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
