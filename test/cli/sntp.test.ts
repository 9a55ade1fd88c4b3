// `tsmongoose sntp URL` against chronyd on loopback, and against a server that says go away.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { run, leakCheckAfterAll } from "../helpers.js";
import { startChrony, type Chrony } from "../sntp/chrony.js";
import { buildReply, fakeServer } from "../sntp/fake-server.js";

const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));

let chrony: Chrony;
before(async () => { chrony = await startChrony(); });
after(async () => { await chrony?.stop(); });

test("tsmongoose sntp --help, and sntp is listed in the main help", async () => {
  const r = await run(process.execPath, [cli, "sntp", "--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: tsmongoose sntp URL/);
  const main = await run(process.execPath, [cli, "--help"]);
  assert.match(main.stdout, /sntp URL/);
  const none = await run(process.execPath, [cli, "sntp"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /sntp needs a URL/);
});

test("tsmongoose sntp prints chronyd's time as ISO-8601 and the offset from the local clock", async () => {
  for (const url of [`udp://127.0.0.1:${chrony.port}`, `127.0.0.1:${chrony.port}`]) {
    const r = await run(process.execPath, [cli, "sntp", url], { timeoutMs: 15000 });
    assert.equal(r.code, 0, r.stderr);
    const m = r.stdout.match(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\noffset ([+-]\d+) ms\n$/);
    assert.ok(m, `output: ${JSON.stringify(r.stdout)}`);
    // chronyd serves this machine's clock: the time is now and the offset small.
    assert.ok(Math.abs(Date.parse(m[1]!) - Date.now()) < 15000);
    assert.ok(Math.abs(Number(m[2])) < 2000, `offset ${m[2]}`);
  }
});

test("tsmongoose sntp exits 1 with the reason on a kiss-o'-death and on silence", async () => {
  const kod = await fakeServer((req) => [buildReply(req, { stratum: 0, refId: "DENY" })]);
  const silent = await fakeServer(() => []);
  try {
    const r = await run(process.execPath, [cli, "sntp", `udp://127.0.0.1:${kod.port}`], { timeoutMs: 15000 });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /kiss-o'-death DENY/);
    const s = await run(process.execPath, [cli, "sntp", `sntp://127.0.0.1:${silent.port}`, "--timeout", "300"], { timeoutMs: 15000 });
    assert.equal(s.code, 1);
    assert.match(s.stderr, /no answer from 127\.0\.0\.1:\d+ within 300 ms/);
    const bad = await run(process.execPath, [cli, "sntp", "sntp://127.0.0.1", "--timeout", "soon"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad --timeout/);
  } finally {
    await kod.close();
    await silent.close();
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
