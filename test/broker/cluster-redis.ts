// Test peers of the broker cluster tests: a redis-server of their own (Debian's, on a free
// loopback port, no persistence, in a temporary directory) that can be restarted on the
// same port, and broker nodes as child processes (cluster-node.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after } from "node:test";
import { Child } from "../examples/spawn.js";
import { freePort } from "../mqtt/peers.js";

const children = new Set<Child>();
const dirs = new Set<string>();
// A failed test may leave some: they go before the file's leak check.
after(async () => {
  for (const c of children) c.proc.kill("SIGKILL");
  await Promise.all([...children].map((c) => c.exit()));
  children.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
});

function track(c: Child): Child {
  children.add(c);
  void c.exit().then(() => children.delete(c));
  return c;
}

export class RedisServer {
  private child: Child | undefined;
  readonly url: string;
  private constructor(readonly port: number, private readonly dir: string) { this.url = `redis://127.0.0.1:${port}`; }

  static async start(): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), "redis-"));
    dirs.add(dir);
    const r = new RedisServer(await freePort(), dir);
    await r.up();
    return r;
  }

  /** (Re)starts the server on its port, empty. */
  async up(): Promise<void> {
    const c = track(new Child("redis-server", [
      "--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir, "--daemonize", "no",
    ]));
    this.child = c;
    await c.waitFor(/Ready to accept connections/, 10_000);
  }

  /** SIGKILL: what it held is gone. */
  async kill(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (c === undefined) return;
    c.proc.kill("SIGKILL");
    await c.exit();
  }

  async stop(): Promise<void> {
    await this.child?.stop();
    this.child = undefined;
    rmSync(this.dir, { recursive: true, force: true });
    dirs.delete(this.dir);
  }
}

export interface Node {
  child: Child; port: number; url: string;
  /** SIGTERM; resolves with the exit code (0: it closed gracefully). */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

/** A broker node on Redis `redis`, ready (it printed its port). */
export async function startNode(redis: string, extra: object = {}): Promise<Node> {
  const script = fileURLToPath(new URL("./cluster-node.js", import.meta.url));
  const child = track(new Child(process.execPath, [script, redis, JSON.stringify(extra)]));
  const m = await child.waitFor(/node (\d+)\n/, 20_000);
  const port = Number(m[1]);
  return {
    child, port, url: `mqtt://127.0.0.1:${port}`,
    stop: () => child.stop(),
    async kill() { child.proc.kill("SIGKILL"); await child.exit(); },
  };
}
