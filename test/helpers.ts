// Shared test helpers: a manager polling in the background, real peers as child processes.
import { after } from "node:test";
import { execFile, execFileSync } from "node:child_process";
import * as net from "node:net";
import { Manager, type EventHandler, type ConnectionOptions, type Connection } from "../src/index.js";

export interface Loop {
  manager: Manager;
  /** Stops polling and closes the manager. */
  stop(): Promise<void>;
}

// Loops still running when a file's tests end (a failed test skips its stop()).
const liveLoops = new Set<Loop>();
after(async () => { for (const l of [...liveLoops]) await l.stop(); });

/**
 * Every test file ends with this line: after all its tests and its own `after` hooks
 * (which stop its peers), nothing of the file's may be left open.
 */
export function leakCheckAfterAll(): void {
  after(async () => {
    for (const l of [...liveLoops]) await l.stop();
    await assertNoLeaks();
  });
}

// What a test file may not leave behind: sockets, servers, timers, open files, child processes.
const LEAKABLE = new Set(["TCPSocketWrap", "TCPServerWrap", "UDPWrap", "TLSWrap", "Timeout", "FSReqCallback", "FileHandle", "ProcessWrap", "PipeServerWrap"]);

/**
 * The leak check every test file ends with (registered by this module's `after`): no
 * connection, socket, timer, file or child process of the file's tests is left. Waits a
 * little for closes already under way.
 */
export async function assertNoLeaks(graceMs = 5000): Promise<void> {
  const left = (): string[] => process.getActiveResourcesInfo().filter((r) => LEAKABLE.has(r));
  const deadline = Date.now() + graceMs;
  while (left().length > 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  const still = left();
  if (still.length > 0) {
    let children = "";
    if (still.includes("ProcessWrap")) {
      try { children = require_ps(); } catch { /* ps unavailable */ }
    }
    throw new Error(`leak check: still open at the end of the file: ${still.join(", ")}${children}`);
  }
}

/** Polls `manager` in the background (10 ms polls) until stop(). */
export function startLoop(manager: Manager): Loop {
  let running = true;
  const done = (async () => {
    while (running) await manager.poll(10);
  })();
  const loop: Loop = {
    manager,
    async stop() {
      liveLoops.delete(loop);
      running = false;
      await done;
      await manager.close();
    },
  };
  liveLoops.add(loop);
  return loop;
}

export interface TestServer extends Loop {
  listener: Connection;
  port: number;
  url: string;
}

/** A manager listening on 127.0.0.1:0 (http:// unless `scheme` says otherwise), polling in the background. */
export function startServer(handler: EventHandler, opts: ConnectionOptions = {}, scheme = "http"): TestServer {
  const manager = new Manager(handler);
  const listener = manager.listen(`${scheme}://127.0.0.1:0`, opts);
  const port = listener.localAddr.port;
  const loop = startLoop(manager);
  return { ...loop, listener, port, url: `${scheme}://127.0.0.1:${port}` };
}

export interface Exec { code: number; stdout: string; stderr: string; stdoutBytes: Buffer }

/** Runs a program asynchronously (the manager keeps polling meanwhile). */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<Exec> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { encoding: "buffer", timeout: opts.timeoutMs ?? 20000, maxBuffer: 256 * 1024 * 1024, env: opts.env ?? process.env }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === "number" ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout: stdout.toString("utf8"), stderr: stderr.toString("utf8"), stdoutBytes: stdout });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input); else child.stdin?.end();
  });
}

/** curl with -s; resolves with its output. */
export function curl(args: string[], timeoutMs = 20000): Promise<Exec> {
  return run("curl", ["-s", "--max-time", String(Math.ceil(timeoutMs / 1000)), ...args], { timeoutMs: timeoutMs + 2000 });
}

/**
 * Sends raw bytes over TCP and collects everything the server sends until it closes
 * the connection or `idleMs` passes without data.
 */
export function rawExchange(port: number, data: string | Buffer | (string | Buffer)[], opts: { idleMs?: number; gapMs?: number; end?: boolean } = {}): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => { clearTimeout(timer); sock.destroy(); resolve({ data: Buffer.concat(chunks), closed }); };
    const arm = (): void => { clearTimeout(timer); timer = setTimeout(finish, opts.idleMs ?? 1000); };
    sock.on("data", (d) => { chunks.push(d); arm(); });
    sock.on("end", () => { closed = true; finish(); });
    sock.on("close", () => { closed = true; finish(); });
    sock.on("error", (e) => { if (chunks.length === 0) reject(e); else finish(); });
    sock.on("connect", async () => {
      const parts = Array.isArray(data) ? data : [data];
      for (const p of parts) {
        sock.write(p);
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
      if (opts.end) sock.end();
      arm();
    });
  });
}

/** Resolves when `cond()` is true, polling every few ms; rejects after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function require_ps(): string {
  const out = execFileSync("ps", ["-o", "pid,args", "--ppid", String(process.pid)], { encoding: "utf8" });
  return ` (child processes: ${out.trim().split("\n").slice(1).join("; ") || "none"})`;
}
