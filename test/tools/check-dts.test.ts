// scripts/check-dts.mjs on declaration files written to a temp folder (--root): it follows
// imports and re-exports from index.d.ts, names every "_" member and "@internal" with its
// file and line, and passes a clean tree.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { run, leakCheckAfterAll } from "../helpers.js";

// This file runs from dist/test/tools/.
const script = fileURLToPath(new URL("../../../scripts/check-dts.mjs", import.meta.url));
const realDist = fileURLToPath(new URL("../../src", import.meta.url));
const temp = mkdtempSync(join(tmpdir(), "tsm-dts-"));
after(() => rmSync(temp, { recursive: true, force: true }));

let trees = 0;
function tree(files: Record<string, string>): string {
  const root = join(temp, `t${trees++}`, "src");
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const check = (root: string, ...extra: string[]) => run(process.execPath, [script, "--root", root, ...extra]);

const clean = {
  "index.d.ts": `export * from "./core/conn.js";\nexport { type Msg } from "./http/msg.js";\n`,
  "core/conn.d.ts": `import type { Opts } from "./opts.js";\nexport declare class Conn {\n    #private;\n    readonly id: number;\n    get isClosing(): boolean;\n    constructor(id: number, opts: Opts);\n    send(data: Uint8Array): boolean;\n}\n`,
  "core/opts.d.ts": `export interface Opts {\n    maxRecvSize?: number;\n}\n`,
  "http/msg.d.ts": `/** A message; private_field is fine, the rule is about a leading underscore. */\nexport interface Msg {\n    uri: string;\n    private_field?: string;\n    header(name: string): string | undefined;\n}\n`,
};

test("declarations with only public members pass", async () => {
  const r = await check(tree(clean));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^check-dts: 4 declaration files reached from src\/index\.d\.ts; 0 offenders\n$/);
});

test("every kind of _ member is named with file and line, in files reached through imports", async () => {
  const r = await check(tree({
    ...clean,
    // Reached only through an import of opts.d.ts and a type-position import().
    "core/opts.d.ts": `import type { Deep } from "./deep.js";\nexport interface Opts {\n    _secret?: number;\n    d?: Deep;\n    e?: import("./extra.js").Extra;\n}\n`,
    "core/deep.d.ts": `export declare class Deep {\n    private _state;\n    protected _hook(): void;\n    get _size(): number;\n    set _size(v: number);\n    constructor(_raw: Uint8Array);\n}\nexport declare class Param {\n    readonly _id: number;\n    constructor(readonly _x: number);\n}\n`,
    "core/extra.d.ts": `export type Extra = {\n    ok: number;\n    "_quoted": string;\n    _m(): void;\n};\n`,
  }));
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const fails = r.stdout.split("\n").filter((l) => l.startsWith("  FAIL ")).map((l) => l.slice(7));
  assert.deepEqual(fails, [
    "src/core/opts.d.ts:3: Opts._secret (property)",
    "src/core/deep.d.ts:2: Deep._state (property)",
    "src/core/deep.d.ts:3: Deep._hook (method)",
    "src/core/deep.d.ts:4: Deep._size (getter)",
    "src/core/deep.d.ts:5: Deep._size (setter)",
    "src/core/deep.d.ts:9: Param._id (property)",
    "src/core/deep.d.ts:10: Param._x (constructor parameter property)",
    "src/core/extra.d.ts:3: Extra._quoted (property)",
    "src/core/extra.d.ts:4: Extra._m (method)",
  ]);
  // A plain constructor parameter named _raw is not a member.
  assert.doesNotMatch(r.stdout, /_raw/);
  assert.match(r.stdout, /^check-dts: 6 declaration files reached from src\/index\.d\.ts; 9 offenders\n/);
});

test("@internal left in a reached file fails; files nothing reaches are not read", async () => {
  const r = await check(tree({
    ...clean,
    "http/msg.d.ts": `export interface Msg {\n    uri: string;\n    /** @internal */\n    head: Uint8Array;\n}\n`,
    "http/unreached.d.ts": `export declare class Hidden {\n    _x: number;\n}\n`,
  }));
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /  FAIL src\/http\/msg\.d\.ts:3: @internal\n/);
  assert.doesNotMatch(r.stdout, /unreached|Hidden/);
  assert.match(r.stdout, /1 offender\n/);
});

test("an import naming no .d.ts fails; a missing index.d.ts and unknown flags exit 2", async () => {
  const r = await check(tree({ ...clean, "index.d.ts": `export * from "./gone.js";\n` }));
  assert.equal(r.code, 1);
  assert.match(r.stdout, /FAIL src\/index\.d\.ts:1: imports "\.\/gone\.js", which names no \.d\.ts/);
  const none = await check(join(temp, "nothing-here"));
  assert.equal(none.code, 2);
  assert.match(none.stderr, /index\.d\.ts not found \(run the build first/);
  const flag = await check(tree(clean), "--strip");
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /Usage: node scripts\/check-dts\.mjs/);
});

test("the published types (dist/src/index.d.ts and what it reaches) have no _ member and no @internal", async () => {
  const r = await check(realDist);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, / 0 offenders/);
  assert.match(r.stdout, /^check-dts: \d+ declaration files reached from src\/index\.d\.ts/);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
