// scripts/check-dts-consumer.mjs on a small package written to a temp folder (--package):
// a strict consumer (skipLibCheck false) of its ESM and CJS entries passes when the
// declarations compile, and fails, naming file, line and error for each resolution, when
// one .d.ts imports what another lacks (what stripInternal did to IdSet and MqttCarrier).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { run, leakCheckAfterAll } from "../helpers.js";

// This file runs from dist/test/tools/.
const script = fileURLToPath(new URL("../../../scripts/check-dts-consumer.mjs", import.meta.url));
const temp = mkdtempSync(join(tmpdir(), "tsm-dts-consumer-"));
after(() => rmSync(temp, { recursive: true, force: true }));

let pkgs = 0;
function pkg(files: Record<string, string>): string {
  const root = join(temp, `p${pkgs++}`);
  const all: Record<string, string> = {
    "package.json": JSON.stringify({
      name: "fake-pkg", type: "module",
      exports: { ".": { import: { types: "./dist/src/index.d.ts", default: "./dist/src/index.js" }, require: { types: "./dist/cjs/index.d.ts", default: "./dist/cjs/index.js" } } },
    }),
    "dist/cjs/package.json": `{ "type": "commonjs" }\n`,
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const index = `import { Ids } from "./ids.js";\nexport interface ManagerOptions {\n    ids?: Ids;\n}\nexport declare class Manager {\n    #private;\n    constructor(handler?: () => void, opts?: ManagerOptions);\n}\n`;
const ids = `export declare class Ids {\n    #private;\n    has(id: number): boolean;\n}\n`;
const both = (files: Record<string, string>) => Object.fromEntries(
  Object.entries(files).flatMap(([p, t]) => [[`dist/src/${p}`, t], [`dist/cjs/${p}`, t]]));
const check = (root: string, ...extra: string[]) => run(process.execPath, [script, "--package", root, ...extra], { timeoutMs: 120000 });
const leftovers = () => readdirSync(tmpdir()).filter((n) => n.startsWith("tsmongoose-dts-")).sort();

test("declarations that compile pass for the ESM and CJS entries, NodeNext and Bundler", async () => {
  const before = leftovers();
  const r = await check(pkg(both({ "index.d.ts": index, "ids.d.ts": ids })));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^check-dts-consumer: a strict consumer \(skipLibCheck false\) compiles against the ESM and CJS entries \(NodeNext: 4 declaration files, Bundler: 4 declaration files; [\d.]+s\)\n$/);
  assert.deepEqual(leftovers(), before, "the temporary consumer is removed");
});

test("a .d.ts importing a declaration another lacks fails, in each entry and resolution", async () => {
  // ids.d.ts as stripInternal leaves it when Ids is @internal: the class is gone.
  const r = await check(pkg(both({ "index.d.ts": index, "ids.d.ts": `export {};\n` })));
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^check-dts-consumer: the published types do not compile for a strict consumer with skipLibCheck false: 4 errors/);
  const fails = r.stdout.split("\n").filter((l) => l.startsWith("  FAIL ")).map((l) => l.slice(7)).sort();
  const err = `(1,10): TS2305: Module '"./ids.js"' has no exported member 'Ids'.`;
  assert.deepEqual(fails, [
    `[Bundler] dist/cjs/index.d.ts${err}`, `[Bundler] dist/src/index.d.ts${err}`,
    `[NodeNext] dist/cjs/index.d.ts${err}`, `[NodeNext] dist/src/index.d.ts${err}`,
  ]);
});

test("an error in one entry's declarations is named there only; a missing build and unknown flags exit 2", async () => {
  // No dist/cjs/ids.d.ts: only the CJS entry breaks.
  const r = await check(pkg({ ...both({ "index.d.ts": index }), "dist/src/ids.d.ts": ids }));
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAIL \[NodeNext\] dist\/cjs\/index\.d\.ts\(1,21\): TS2307: Cannot find module '\.\/ids\.js'/);
  assert.doesNotMatch(r.stdout, /dist\/src\//);
  const none = await check(pkg({}));
  assert.equal(none.code, 2);
  assert.match(none.stderr, /dist\/src\/index\.d\.ts not found \(run the build first/);
  const flag = await check(pkg({}), "--strip");
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /Usage: node scripts\/check-dts-consumer\.mjs/);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
