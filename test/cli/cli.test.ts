import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MG_EV_HTTP_MSG, MG_EV_WS_MSG } from "../../src/index.js";
import { run, startServer, leakCheckAfterAll } from "../helpers.js";
import { Child } from "../examples/spawn.js";

const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));

test("tsmongoose --help and each command's --help", async () => {
  const main = await run(process.execPath, [cli, "--help"]);
  assert.equal(main.code, 0);
  assert.match(main.stdout, /serve \[dir\] --listen URL/);
  for (const cmd of ["serve", "resolve", "ws"]) {
    const r = await run(process.execPath, [cli, cmd, "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`^Usage: tsmongoose ${cmd}`));
  }
  const bad = await run(process.execPath, [cli, "nope"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown command "nope"/);
});

test("tsmongoose resolve prints addresses, and fails clearly for unknown names", async () => {
  const r = await run(process.execPath, [cli, "resolve", "localhost"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^(127\.0\.0\.1|::1)$/m);
  const bad = await run(process.execPath, [cli, "resolve", "no-such-host.invalid"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /cannot resolve no-such-host\.invalid/);
});

test("tsmongoose serve serves a directory (curl)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsm-cli-"));
  writeFileSync(join(dir, "hello.txt"), "hello from serve\n");
  const child = new Child(process.execPath, [cli, "serve", dir, "--listen", "http://127.0.0.1:0"]);
  try {
    const m = await child.waitFor(/on http:\/\/127\.0\.0\.1:(\d+)/);
    const r = await run("curl", ["-s", `http://127.0.0.1:${m[1]}/hello.txt`]);
    assert.equal(r.stdout, "hello from serve\n");
  } finally {
    assert.equal(await child.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tsmongoose ws sends stdin lines and prints the messages it gets", async () => {
  const srv = startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
    if (ev === MG_EV_WS_MSG) c.wsSend(`echo: ${data.text}`);
  });
  const r = await run(process.execPath, [cli, "ws", `ws://127.0.0.1:${srv.port}/`], { input: "one\ntwo\n", timeoutMs: 10000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "echo: one\necho: two\n");
  await srv.stop();
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
