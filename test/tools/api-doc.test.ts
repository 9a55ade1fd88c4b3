// docs/api.md is what scripts/api-doc.mjs writes from the published types (issue 11):
// a change to the public API without `npm run docs` fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { run, leakCheckAfterAll } from "../helpers.js";

// This file runs from dist/test/tools/.
const repo = fileURLToPath(new URL("../../../", import.meta.url));

test("docs/api.md is up to date with the published types", async () => {
  const r = await run(process.execPath, [`${repo}scripts/api-doc.mjs`, "--check"], { timeoutMs: 120000 });
  assert.equal(r.code, 0, `${r.stderr}(run: npm run docs)`);
});

test("docs/api.md lists every export of the package, and the README links it", async () => {
  const md = readFileSync(`${repo}docs/api.md`, "utf8");
  const api = (await import(new URL("../../src/index.js", import.meta.url).href)) as Record<string, unknown>;
  const missing = Object.keys(api).filter((name) => !md.includes(`\`${name}\``) && !md.includes(`### ${name}\n`) && !md.includes(`\`${name}(`) && !md.includes(`\`new ${name}(`));
  assert.deepEqual(missing, []);
  for (const member of ["`reply(status: number", "`wsSend(", "`mqttPub(", "`listen(url: string", "`httpRequest(", "`logSet(level: number, sink?: LogSink): void`"]) {
    assert.ok(md.includes(member), `docs/api.md has ${member}`);
  }
  assert.match(readFileSync(`${repo}README.md`, "utf8"), /\]\(docs\/api\.md\)/);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
