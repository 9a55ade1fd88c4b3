// runWorkers (src/workers.ts) and `serve --workers`: real worker processes sharing one
// port through Node's cluster, driven from outside with HTTP requests and signals.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { curl, run, leakCheckAfterAll } from "./helpers.js";
import { runWorkers, Manager, MgError } from "../src/index.js";
import { Child } from "./examples/spawn.js";

const app = fileURLToPath(new URL("./fixtures/workers-app.js", import.meta.url));
const cli = fileURLToPath(new URL("../src/cli.js", import.meta.url));

interface Answer { status: number; pid: number; body: string }

/** `count` GET requests one after the other over one keep-alive connection of its own. */
async function overOneConnection(port: number, path: string, count: number): Promise<Answer[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const out: Answer[] = [];
    for (let i = 0; i < count; i++) out.push(await get(port, path, agent));
    return out;
  } finally {
    agent.destroy();
  }
}

function get(port: number, path: string, agent: http.Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => { body += d; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, pid: Number(res.headers["x-pid"]), body }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

/** Requests over `conns` connections at once, `each` on every one. */
async function load(port: number, conns: number, each: number): Promise<Answer[]> {
  const all = await Promise.all(Array.from({ length: conns }, () => overOneConnection(port, "/", each)));
  return all.flat();
}

async function startApp(): Promise<{ child: Child; port: number }> {
  const child = new Child(process.execPath, [app, "2"]);
  try {
    const m = await child.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 30_000);
    return { child, port: Number(m[1]) };
  } catch (e) {
    await child.stop();
    throw e;
  }
}

/** The pids of the primary's worker processes, from its "up (pids A, B)" line. */
function workerPids(out: string): number[] {
  const m = /(\d+) worker\(s\) up \(pids ([\d, ]+)\)/.exec(out);
  assert.ok(m, out);
  return m[2]!.split(", ").map(Number);
}

test("two workers share one port: every request answered, connections spread over both", async () => {
  const { child, port } = await startApp();
  try {
    const pids = workerPids(child.stdout);
    assert.equal(pids.length, 2);
    const answers = await load(port, 8, 25);
    assert.equal(answers.length, 200);
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.equal(a.body, `hello ${a.pid}\n`);
      assert.ok(pids.includes(a.pid), `pid ${a.pid} is not a worker (${pids.join(", ")})`);
    }
    // Cluster hands connections to the workers in turn: both answer some of the 8.
    assert.deepEqual(new Set(answers.map((a) => a.pid)), new Set(pids));
  } finally {
    assert.equal(await child.stop(), 0, child.stderr);
  }
});

test("a worker killed with SIGKILL is restarted and requests go on being answered", async () => {
  const { child, port } = await startApp();
  try {
    const [victim, survivor] = workerPids(child.stdout);
    process.kill(victim!, "SIGKILL");
    await child.waitFor(new RegExp(`worker ${victim} exited with signal SIGKILL; restarting in \\d+ ms`));
    // Meanwhile the other worker answers everything.
    for (const a of await load(port, 4, 5)) assert.equal(a.status, 200);
    const m = await child.waitFor(/workers: worker (\d+) up\n/);
    const fresh = Number(m[1]);
    assert.notEqual(fresh, victim);
    const answers = await load(port, 8, 5);
    for (const a of answers) assert.equal(a.status, 200);
    const seen = new Set(answers.map((a) => a.pid));
    assert.ok(!seen.has(victim!));
    assert.deepEqual(seen, new Set([survivor, fresh]));
  } finally {
    assert.equal(await child.stop(), 0, child.stderr);
  }
});

test("SIGTERM to the primary: requests in flight are all answered, then exit code 0", async () => {
  const { child, port } = await startApp();
  const n = 6;
  // Each on a connection of its own, so that both workers have some in flight.
  const inFlight = Array.from({ length: n }, () => get(port, "/slow", false));
  await child.waitFor((out) => (out.match(/got \/slow in \d+/g) ?? []).length === n);
  child.proc.kill("SIGTERM");
  const answers = await Promise.all(inFlight);
  for (const a of answers) {
    assert.equal(a.status, 200);
    assert.equal(a.body, `slow ${a.pid}\n`);
  }
  assert.equal(await child.exit(), 0, child.stderr);
  assert.match(child.stdout, /SIGTERM: stopping 2 worker\(s\)/);
  // Nothing listens any more.
  await assert.rejects(get(port, "/", false));
});

test("tsmongoose serve --workers 2 serves a directory (curl); bad --workers is a usage error", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsm-workers-"));
  writeFileSync(join(dir, "hello.txt"), "hello from the workers\n");
  const child = new Child(process.execPath, [cli, "serve", dir, "--workers", "2", "--listen", "http://127.0.0.1:0"]);
  try {
    const m = await child.waitFor(/on http:\/\/127\.0\.0\.1:(\d+) \(2 workers\)/, 30_000);
    for (let i = 0; i < 4; i++) {
      const r = await curl([`http://127.0.0.1:${m[1]}/hello.txt`]);
      assert.equal(r.stdout, "hello from the workers\n");
    }
  } finally {
    assert.equal(await child.stop(), 0, child.stderr);
    rmSync(dir, { recursive: true, force: true });
  }
  for (const bad of ["0", "two", "1.5"]) {
    const r = new Child(process.execPath, [cli, "serve", dir, "--workers", bad]);
    assert.equal(await r.exit(), 2);
    assert.match(r.stderr, /bad --workers/);
  }
});

test("runWorkers refuses a bad worker count or setup before forking anything", () => {
  const setup = (): Manager => new Manager();
  for (const workers of [0, -1, 1.5, Number.NaN, "two", "", undefined]) {
    assert.throws(() => runWorkers({ workers: workers as number, setup }), (e: unknown) => e instanceof MgError && e.code === "ERR_INVALID_OPTION" && /workers must be a positive integer or "auto"/.test(e.message));
  }
  assert.throws(() => runWorkers({ workers: 2, setup: undefined as unknown as () => Manager }), (e: unknown) => e instanceof MgError && e.code === "ERR_INVALID_OPTION");
  assert.throws(() => runWorkers({ workers: 2, setup, closeTimeoutMs: -5 }), (e: unknown) => e instanceof MgError && e.code === "ERR_INVALID_OPTION");
});

test("tsmongoose mqtt-broker --workers 2 warns that the workers are independent brokers, and serves", async () => {
  const child = new Child(process.execPath, [cli, "mqtt-broker", "--workers", "2", "--listen", "mqtt://127.0.0.1:0", "--quiet"]);
  try {
    const m = await child.waitFor(/MQTT broker on mqtt:\/\/127\.0\.0\.1:(\d+) \(2 workers\)/, 30_000);
    assert.match(child.stderr, /warning: 2 workers are 2 independent brokers/);
    assert.match(child.stderr, /--redis/);
    for (let i = 0; i < 3; i++) {
      const r = await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", m[1]!, "-t", "t/x", "-m", "hello", "-q", "1"]);
      assert.equal(r.code, 0, r.stderr);
    }
  } finally {
    assert.equal(await child.stop(), 0, child.stderr);
  }
});

test("a port already in use: serve --workers 2 prints the bind error and exits with 1", async () => {
  const { default: net } = await import("node:net");
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  const port = (holder.address() as { port: number }).port;
  try {
    const r = await run(process.execPath, [cli, "serve", ".", "--workers", "2", "--listen", `http://127.0.0.1:${port}`], { timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /EADDRINUSE/);
    assert.match(r.stderr, /could not start/);
  } finally {
    await new Promise<void>((resolve) => holder.close(() => resolve()));
  }
});

leakCheckAfterAll();
