// Runs the compiled examples (dist/examples/...) and streaming peers (curl -N) as child
// processes whose output can be awaited line by line.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A child process with its output collected as it arrives. */
export class Child {
  readonly proc: ChildProcess;
  private out: Buffer[] = [];
  private err = "";
  private exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(cmd: string, args: string[], env?: NodeJS.ProcessEnv) {
    this.proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.proc.stdout!.on("data", (d: Buffer) => { this.out.push(d); this.notify(); });
    this.proc.stderr!.on("data", (d: Buffer) => { this.err += d.toString(); this.notify(); });
    this.exited = new Promise((resolve) => this.proc.once("exit", (code, signal) => { this.notify(); resolve(signal ? null : code); }));
  }

  private notify(): void { for (const w of this.waiters.splice(0)) w(); }

  get stdoutBytes(): Buffer { return Buffer.concat(this.out); }
  get stdout(): string { return this.stdoutBytes.toString("utf8"); }
  get stderr(): string { return this.err; }
  get running(): boolean { return this.proc.exitCode === null && this.proc.signalCode === null; }

  /**
   * Resolves with the first match of `re` in stdout (or once `re(stdout)` is true);
   * rejects on timeout or when the process exits first.
   */
  async waitFor(re: RegExp | ((stdout: string) => boolean), timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const out = this.stdout;
      const m = typeof re === "function" ? (re(out) ? [out] as RegExpMatchArray : null) : out.match(re);
      if (m) return m;
      if (!this.running) throw new Error(`process exited before printing ${re}; stdout: ${this.stdout}\nstderr: ${this.err}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}; stdout: ${this.stdout}\nstderr: ${this.err}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Resolves with the exit code (null when killed by a signal). */
  exit(): Promise<number | null> { return this.exited; }

  /** SIGTERM, then SIGKILL if it does not exit within a few seconds. */
  async stop(): Promise<number | null> {
    if (this.running) {
      this.proc.kill("SIGTERM");
      const t = setTimeout(() => this.proc.kill("SIGKILL"), 3000);
      await this.exited;
      clearTimeout(t);
    }
    return this.exited;
  }
}

/** An example server, started and printing its "listening on" line. */
export interface RunningServer {
  child: Child;
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  stop(): Promise<number | null>;
}

/** The compiled file of an example: "http/basic-server" -> dist/examples/http/basic-server.js. */
export function examplePath(name: string): string {
  // This file runs from dist/test/examples/.
  return fileURLToPath(new URL(`../../examples/${name}.js`, import.meta.url));
}

/** Starts an example with `args` and waits for its "listening on http://IP:PORT" line. */
export async function startExample(name: string, args: string[] = ["http://127.0.0.1:0"], env?: NodeJS.ProcessEnv): Promise<RunningServer> {
  const child = new Child(process.execPath, [examplePath(name), ...args], env);
  let m: RegExpMatchArray;
  try {
    m = await child.waitFor(/listening on http:\/\/[^\s:]+:(\d+)/);
  } catch (e) {
    await child.stop();
    throw e;
  }
  const port = Number(m[1]);
  return { child, port, url: `http://127.0.0.1:${port}`, stop: () => child.stop() };
}
