// The packed tarball as users get it (issue 11): `npm pack`, then two fresh projects
// install it offline, one ES module ("type": "module") and one CommonJS. Each gets a
// small server + client program that is type-checked by the repo's tsc in strict mode
// (ESM: module nodenext, and module esnext + moduleResolution bundler; CommonJS:
// module nodenext, and the legacy module commonjs + moduleResolution node10), then run:
// it must answer an HTTP request through the build its `exports` condition selects.
// The README's Install examples are type-checked the same way, and the CommonJS one run.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run, leakCheckAfterAll } from "../helpers.js";

// This file runs from dist/test/tools/.
const repo = fileURLToPath(new URL("../../../", import.meta.url));
const tsc = join(repo, "node_modules", "typescript", "bin", "tsc");
const typeRoots = join(repo, "node_modules", "@types");
let tmp = "";
let tarball = "";

// The handler declares (conn, ev, data) and narrows data; the second listener's handler
// declares only (conn, ev): both shapes must type-check in users' projects.
const handlerSource = `
const handler: EventHandler = (c, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) c.reply(200, \`hello \${data.method} \${data.uri}\`);
};
const onEvent: EventHandler = (c, ev) => { if (ev === MG_EV_CLOSE) closed++; };
let closed = 0;
`;
const esmProgram = `import { Manager, MG_EV_HTTP_MSG, MG_EV_CLOSE, type EventHandler } from "tsmongoose";
${handlerSource}
const manager = new Manager(handler);
const listener = manager.listen("http://127.0.0.1:0");
manager.connect("tcp://127.0.0.1:" + listener.localAddr.port, onEvent).drain();
const stop = new AbortController();
const loop = manager.run({ signal: stop.signal });
const res = await manager.httpRequest(\`http://127.0.0.1:\${listener.localAddr.port}/esm\`);
stop.abort();
await loop;
console.log(JSON.stringify({ status: res.status, body: res.body.toString(), closed: closed > 0, entry: import.meta.resolve("tsmongoose") }));
`;
const cjsProgram = `import { Manager, MG_EV_HTTP_MSG, MG_EV_CLOSE, type EventHandler } from "tsmongoose";
${handlerSource}
async function main(): Promise<void> {
  const manager = new Manager(handler);
  const listener = manager.listen("http://127.0.0.1:0");
  manager.connect("tcp://127.0.0.1:" + listener.localAddr.port, onEvent).drain();
  const stop = new AbortController();
  const loop = manager.run({ signal: stop.signal });
  const res = await manager.httpRequest(\`http://127.0.0.1:\${listener.localAddr.port}/cjs\`);
  stop.abort();
  await loop;
  console.log(JSON.stringify({ status: res.status, body: res.body.toString(), closed: closed > 0, entry: require.resolve("tsmongoose") }));
}
main().catch((e: unknown) => { console.error(e); process.exit(1); });
`;

/** The README's Install examples: its first ```ts block is the ESM one, the second the CommonJS one. */
function readmeExamples(): { esm: string; cjs: string } {
  const text = readFileSync(join(repo, "README.md"), "utf8");
  const install = text.slice(text.indexOf("\n## Install\n"), text.indexOf("\n## Quick start\n"));
  const blocks = [...install.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.equal(blocks.length, 2, "the Install section has an ESM and a CommonJS example");
  return { esm: blocks[0]!, cjs: blocks[1]! };
}

function tsconfig(compilerOptions: Record<string, unknown>, noEmit: boolean): string {
  return JSON.stringify({
    compilerOptions: {
      target: "ES2022", strict: true, noEmit, outDir: "out", types: ["node"], typeRoots: [typeRoots],
      // skipLibCheck: checking @types/node would triple the time; using the package's
      // declarations is what's tested (`npm run lint:dts` compiles them with skipLibCheck
      // false: scripts/check-dts-consumer.mjs).
      skipLibCheck: true, ...compilerOptions,
    },
    files: ["main.ts", "readme.ts"],
  }, null, 2);
}

/** Makes a consumer project in `dir` with the tarball installed offline. */
async function makeProject(name: string, type: "module" | "commonjs", program: string, readme: string): Promise<string> {
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true, type }));
  writeFileSync(join(dir, "main.ts"), program);
  writeFileSync(join(dir, "readme.ts"), readme);
  const r = await run("npm", ["install", "--prefix", dir, tarball, "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], { timeoutMs: 60000 });
  assert.equal(r.code, 0, `npm install in ${name}: ${r.stderr}`);
  return dir;
}

async function typeCheck(dir: string, config: string, compilerOptions: Record<string, unknown>, noEmit: boolean): Promise<void> {
  writeFileSync(join(dir, config), tsconfig(compilerOptions, noEmit));
  const r = await run(process.execPath, [tsc, "-p", join(dir, config)], { timeoutMs: 60000 });
  assert.equal(r.code, 0, `tsc -p ${config}: ${r.stdout}${r.stderr}`);
}

async function runProgram(dir: string): Promise<{ status: number; body: string; closed: boolean; entry: string }> {
  const r = await run(process.execPath, [join(dir, "out", "main.js")], { timeoutMs: 20000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { status: number; body: string; closed: boolean; entry: string };
}

async function runReadme(dir: string): Promise<string> {
  const r = await run(process.execPath, [join(dir, "out", "readme.js")], { timeoutMs: 20000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), "tsmongoose-consumers-"));
  const r = await run("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", tmp, repo], { timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr);
  const tgz = readdirSync(tmp).find((f) => f.endsWith(".tgz"));
  assert.ok(tgz, "npm pack wrote a tarball");
  tarball = join(tmp, tgz);
});
after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

test("an ES module project imports the package, type-checks (nodenext and bundler) and serves a request", async () => {
  // The README's ESM example serves on port 8000 until Ctrl-C: it is type-checked, not run.
  const dir = await makeProject("consumer-esm", "module", esmProgram, readmeExamples().esm);
  await Promise.all([
    typeCheck(dir, "tsconfig.bundler.json", { module: "ESNext", moduleResolution: "Bundler" }, true),
    typeCheck(dir, "tsconfig.json", { module: "NodeNext", moduleResolution: "NodeNext" }, false),
  ]);
  const out = await runProgram(dir);
  assert.deepEqual({ status: out.status, body: out.body, closed: out.closed }, { status: 200, body: "hello GET /esm", closed: true });
  assert.match(out.entry, /node_modules\/tsmongoose\/dist\/src\/index\.js$/);
});

test("a CommonJS project requires the package, type-checks (nodenext and node10) and serves a request", async () => {
  const dir = await makeProject("consumer-cjs", "commonjs", cjsProgram, readmeExamples().cjs);
  await Promise.all([
    typeCheck(dir, "tsconfig.node10.json", { module: "CommonJS", moduleResolution: "Node10" }, true),
    typeCheck(dir, "tsconfig.json", { module: "NodeNext", moduleResolution: "NodeNext" }, false),
  ]);
  const out = await runProgram(dir);
  assert.deepEqual({ status: out.status, body: out.body, closed: out.closed }, { status: 200, body: "hello GET /cjs", closed: true });
  assert.match(out.entry, /node_modules\/tsmongoose\/dist\/cjs\/index\.js$/);
  // The README's CommonJS example runs to its end.
  assert.equal(await runReadme(dir), "200 hello /hi\n\n");
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
