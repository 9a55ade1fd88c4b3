// scripts/check-deps.mjs on small source trees written to a temp folder (--root): what
// it accepts, which cycles and layering breaks it names, and that comments and strings
// cannot fake an import.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { run, leakCheckAfterAll } from "../helpers.js";

// This file runs from dist/test/tools/.
const script = fileURLToPath(new URL("../../../scripts/check-deps.mjs", import.meta.url));
const realSrc = fileURLToPath(new URL("../../../src", import.meta.url));
const temp = mkdtempSync(join(tmpdir(), "tsm-deps-"));
after(() => rmSync(temp, { recursive: true, force: true }));

let trees = 0;
/** Writes `files` (path under src -> text) into a fresh tree; returns its root. */
function tree(files: Record<string, string>): string {
  const root = join(temp, `t${trees++}`, "src");
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function check(root: string, ...extra: string[]) {
  // Paths print from the tree's parent: src/...
  return run(process.execPath, [script, "--root", root, ...extra]).then((r) => ({ ...r, out: r.stdout + r.stderr }));
}

const clean = {
  "index.ts": `export * from "./core/manager.js";\nexport { parse } from "./http/parser.js";\n`,
  "core/manager.ts": `import { log } from "../util/log.js";\nimport type { Tls } from "../tls/tls.js";\nimport { Conn } from "./conn.js";\nexport class Manager { c = new Conn(); t?: Tls; m() { log(); } }\n`,
  "core/conn.ts": `import * as net from "node:net";\nexport class Conn { s?: net.Socket; }\n`,
  "tls/tls.ts": `export interface Tls { name: string }\n`,
  "util/log.ts": `export function log(): void {}\n`,
  "http/parser.ts": `import type { Conn } from "../core/conn.js";\nimport { log } from "../util/log.js";\nexport function parse(c: Conn): void { log(); }\n`,
};

test("a layered tree without cycles passes, with a summary", async () => {
  const r = await check(tree(clean));
  assert.equal(r.code, 0, r.out);
  assert.match(r.stdout, /check-deps: 6 files, 7 relative imports \(1 other\) in .*src\/; 0 cycles, 0 layering violations/);
  assert.doesNotMatch(r.out, /FAIL/);
});

test("a cycle fails and its path is printed, whatever kind of import closes it", async () => {
  // export * from, import type and a dynamic import() all count.
  const r = await check(tree({
    ...clean,
    "http/a.ts": `export * from "./b.js";\n`,
    "http/b.ts": `import type { C } from "./c.js";\nexport type B = C;\n`,
    "http/c.ts": `export type C = number;\nexport async function load() { return import("./a.js"); }\n`,
  }));
  assert.equal(r.code, 1, r.out);
  assert.match(r.stdout, /1 cycle, 0 layering violations/);
  assert.match(r.stdout, /FAIL cycle: src\/http\/a\.ts -> src\/http\/b\.ts -\(type\)-> src\/http\/c\.ts -> src\/http\/a\.ts/);
});

test("a cycle of type-only imports fails too, and so does a file importing itself", async () => {
  const r = await check(tree({
    ...clean,
    "ws/x.ts": `import { type Y } from "./y.js";\nexport interface X { y: Y }\n`,
    "ws/y.ts": `import type { X } from "./x.js";\nexport interface Y { x: X }\n`,
    "ws/self.ts": `import type { S } from "./self.js";\nexport type S = { s?: S };\n`,
  }));
  assert.equal(r.code, 1, r.out);
  assert.match(r.stdout, /FAIL cycle: \(type-only imports\) src\/ws\/x\.ts -\(type\)-> src\/ws\/y\.ts -\(type\)-> src\/ws\/x\.ts/);
  assert.match(r.stdout, /FAIL cycle: \(type-only imports\) src\/ws\/self\.ts -\(type\)-> src\/ws\/self\.ts/);
  assert.match(r.stdout, /2 cycles/);
});

test("a knot of files names its members, and --verbose lists a cycle through each", async () => {
  const knot = tree({
    "m/a.ts": `import "./b.js";\nimport "./c.js";\n`,
    "m/b.ts": `import "./a.js";\n`,
    "m/c.ts": `import "./d.js";\n`,
    "m/d.ts": `import "./a.js";\n`,
  });
  const r = await check(knot);
  assert.equal(r.code, 1, r.out);
  assert.match(r.stdout, /FAIL cycle: src\/m\/a\.ts -> src\/m\/b\.ts -> src\/m\/a\.ts\n    one of the cycles among 4 files that import each other: src\/m\/a\.ts, src\/m\/b\.ts, src\/m\/c\.ts, src\/m\/d\.ts/);
  assert.doesNotMatch(r.stdout, /also:/);
  const v = await check(knot, "--verbose");
  assert.match(v.stdout, /also: src\/m\/c\.ts -> src\/m\/d\.ts -> src\/m\/a\.ts -> src\/m\/c\.ts/);
  assert.match(v.stdout, /mutual: src\/m\/a\.ts -> src\/m\/b\.ts -> src\/m\/a\.ts\n/);
  assert.equal(v.stdout.match(/mutual:/g)?.length, 1, "c and d import each other only through a");
});

test("core importing a protocol fails, naming the edge", async () => {
  const r = await check(tree({
    ...clean,
    "core/conn.ts": `import type { HttpMessage } from "../http/message.js";\nexport class Conn { m?: HttpMessage }\n`,
    "http/message.ts": `export interface HttpMessage { uri: string }\n`,
  }));
  assert.equal(r.code, 1, r.out);
  assert.match(r.stdout, /0 cycles, 1 layering violation\b/);
  assert.match(r.stdout, /FAIL layering: src\/core\/conn\.ts:1 imports src\/http\/message\.ts \(type-only\); src\/core\/ may import only src\/core\/, src\/util\/, src\/tls\//);
});

test("core importing a top-level file, and util importing core, fail", async () => {
  const r = await check(tree({
    ...clean,
    "core/opts.ts": `import { Manager } from "../index.js";\nexport const m = Manager;\n`,
    "util/log.ts": `import { Conn } from "../core/conn.js";\nexport function log(): void { void Conn; }\n`,
  }));
  assert.equal(r.code, 1, r.out);
  assert.match(r.stdout, /FAIL layering: src\/core\/opts\.ts:1 imports src\/index\.ts;/);
  assert.match(r.stdout, /FAIL layering: src\/util\/log\.ts:1 imports src\/core\/conn\.ts; src\/util\/ may import only src\/util\//);
});

test("imports in comments and strings are not imports; unresolved ones fail", async () => {
  const ok = await check(tree({
    ...clean,
    "core/doc.ts": `// import { x } from "../http/x.js";\n/* export * from "../ws/y.js"; */\nexport const s = 'import "../mqtt/z.js"';\nexport const t = \`import("../sntp/w.js")\`;\n`,
  }));
  assert.equal(ok.code, 0, ok.out);
  const bad = await check(tree({ ...clean, "http/q.ts": `export { gone } from "./gone.js";\n` }));
  assert.equal(bad.code, 1, bad.out);
  assert.match(bad.stdout, /FAIL unresolved import: src\/http\/q\.ts:1 imports "\.\/gone\.js", which names no file/);
});

test("--mermaid prints the folder graph on stdout and the findings on stderr", async () => {
  const r = await check(tree({ ...clean, "core/bad.ts": `import "../http/parser.js";\n` }), "--mermaid");
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^```mermaid\ngraph TD\n/);
  assert.match(r.stdout, /\n {2}core -->\|1\| http\n/);
  assert.match(r.stdout, /\n {2}core -->\|1\| util\n/);
  assert.match(r.stdout, /\n {2}index_ts\["index\.ts"\]\n/);
  assert.doesNotMatch(r.stdout, /FAIL/);
  assert.match(r.stderr, /FAIL layering: src\/core\/bad\.ts:1 imports src\/http\/parser\.ts;/);
});

test("a flag it does not know is an error with the usage, exit 2", async () => {
  const r = await check(tree(clean), "--nope");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Usage: node scripts\/check-deps\.mjs/);
  assert.match(r.stderr, /--nope/);
});

test("the real src/ tree has no cycle and a core that imports no protocol", async () => {
  const r = await check(realSrc);
  assert.equal(r.code, 0, r.out);
  assert.match(r.stdout, / 0 cycles, 0 layering violations/);
  assert.match(r.stdout, /^check-deps: \d+ files, \d+ relative imports/);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
