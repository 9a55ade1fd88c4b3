// tsmongoose pub / sub against mosquitto (Debian's broker) and its own clients
// (mosquitto_pub / mosquitto_sub), with MQTT 3.1.1 and 5, QoS 0-2 and retained messages.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { run, leakCheckAfterAll } from "../helpers.js";
import { Child } from "../examples/spawn.js";
import { freePort, startMosquitto, type Broker } from "../mqtt/peers.js";

const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
let broker: Broker;
before(async () => { broker = await startMosquitto(); });
after(() => broker.stop());

const at = (): string[] => ["-h", "127.0.0.1", "-p", String(broker.port)];

test("pub, each QoS and version: the retained message reaches mosquitto_sub", async () => {
  for (const [qos, v] of [["0", "311"], ["1", "5"], ["2", "5"], ["2", "mqttv311"]] as const) {
    const topic = `cli/pub/${qos}/${v}`;
    const p = await run(process.execPath, [cli, "pub", ...at(), "-t", topic, "-m", `hello ${qos}`, "-q", qos, "-r", "-V", v]);
    assert.equal(p.code, 0, p.stderr);
    // The message was retained, so a subscriber that comes later gets it.
    const s = await run("mosquitto_sub", [...at(), "-t", topic, "-C", "1", "-W", "10", "-v"]);
    assert.equal(s.stdout, `${topic} hello ${qos}\n`);
  }
});

test("pub -s sends standard input as one message; -L URL works", async () => {
  const p = await run(process.execPath, [cli, "pub", "-L", broker.url, "-t", "cli/stdin", "-s", "-r", "-q", "1"], { input: "line 1\nline 2" });
  assert.equal(p.code, 0, p.stderr);
  const s = await run("mosquitto_sub", [...at(), "-t", "cli/stdin", "-C", "1", "-W", "10"]);
  assert.equal(s.stdout, "line 1\nline 2\n");
});

test("sub -C 2 -v prints a retained and a live message, then exits 0", async () => {
  const r = await run("mosquitto_pub", [...at(), "-t", "cli/sub/a", "-m", "retained one", "-r"]);
  assert.equal(r.code, 0, r.stderr);
  const sub = new Child(process.execPath, [cli, "sub", ...at(), "-t", "cli/sub/#", "-C", "2", "-v", "-q", "1", "-V", "5"]);
  try {
    // The retained message arrives after the subscription is in place: publish the next one then.
    await sub.waitFor(/^cli\/sub\/a retained one\n/);
    const p = await run("mosquitto_pub", [...at(), "-t", "cli/sub/b", "-m", "live two", "-q", "1"]);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(await sub.exit(), 0, sub.stderr);
    assert.equal(sub.stdout, "cli/sub/a retained one\ncli/sub/b live two\n");
  } finally {
    await sub.stop();
  }
});

test("sub and pub together: tsmongoose pub to tsmongoose sub, several filters", async () => {
  await run("mosquitto_pub", [...at(), "-t", "cli/both/x", "-m", "first", "-r"]);
  const sub = new Child(process.execPath, [cli, "sub", ...at(), "-t", "cli/both/x", "-t", "cli/both/y", "-C", "2"]);
  try {
    await sub.waitFor(/^first\n/);
    const p = await run(process.execPath, [cli, "pub", ...at(), "-t", "cli/both/y", "-m", "second"]);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(await sub.exit(), 0, sub.stderr);
    assert.equal(sub.stdout, "first\nsecond\n");
  } finally {
    await sub.stop();
  }
});

test("pub/sub: no broker exits 1; usage errors exit 2", async () => {
  const port = await freePort();
  const p = await run(process.execPath, [cli, "pub", "-h", "127.0.0.1", "-p", String(port), "-t", "x", "-m", "y"]);
  assert.equal(p.code, 1);
  assert.match(p.stderr, /ECONNREFUSED/);
  const s = await run(process.execPath, [cli, "sub", "-h", "127.0.0.1", "-p", String(port), "-t", "x"]);
  assert.equal(s.code, 1);
  for (const args of [["pub", "-t", "x"], ["pub", "-m", "x"], ["pub", "-t", "x", "-m", "y", "-q", "3"], ["sub"], ["sub", "-t", "x", "-V", "4"], ["sub", "-t", "x", "--nope"]]) {
    const r = await run(process.execPath, [cli, ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`Usage: tsmongoose ${args[0]}`));
  }
  const h = await run(process.execPath, [cli, "sub", "--help"]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /-C, --count COUNT/);
});

leakCheckAfterAll();
