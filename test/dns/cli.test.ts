// `tsmongoose resolve NAME --server udp://127.0.0.1:N` against dnsmasq.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startDnsmasq, DNSMASQ_NAMES, type Dnsmasq } from "./dnsmasq.js";
import { run, leakCheckAfterAll } from "../helpers.js";

const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
let dnsmasq: Dnsmasq;
before(async () => { dnsmasq = await startDnsmasq(); });
after(async () => { await dnsmasq.stop(); });

test("resolve --server: A and AAAA from dnsmasq, one a line", async () => {
  const both = await run(process.execPath, [cli, "resolve", DNSMASQ_NAMES.both, "--server", dnsmasq.url]);
  assert.equal(both.code, 0, both.stderr);
  assert.equal(both.stdout, "127.0.0.2\n::1\n");
  const v6 = await run(process.execPath, [cli, "resolve", DNSMASQ_NAMES.v6, "-s", dnsmasq.url]);
  assert.equal(v6.stdout, "::1\n");
  const alias = await run(process.execPath, [cli, "resolve", DNSMASQ_NAMES.alias, "--server", dnsmasq.url]);
  assert.equal(alias.stdout, "127.0.0.3\n");
});

test("resolve --server: a name it refuses exits 2 with the reason; a bad server is a usage error", async () => {
  const bad = await run(process.execPath, [cli, "resolve", "nothing.invalid", "--server", dnsmasq.url]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^tsmongoose resolve: cannot resolve nothing\.invalid: server answered REFUSED/);
  const usage = await run(process.execPath, [cli, "resolve", "x", "--server", "udp://dns.example:53"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /bad --server "udp:\/\/dns\.example:53"/);
});

leakCheckAfterAll();
