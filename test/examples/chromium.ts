// Headless Chromium driven over the DevTools protocol (--remote-debugging-pipe: JSON
// messages ending in NUL on file descriptors 3 and 4), for tests that need a real
// browser: open a page, evaluate JavaScript in it, wait for what it shows.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";

const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

interface Pending { resolve(v: unknown): void; reject(e: Error): void }

export class Browser {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private buf = "";
  private session = "";
  private exited = false;

  private constructor(private readonly proc: ChildProcess, private readonly profile: string) {
    const out = proc.stdio[4] as Readable;
    out.on("data", (d: Buffer) => this.onData(d.toString("utf8")));
    proc.once("exit", () => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error("chromium exited"));
      this.pending.clear();
    });
  }

  /** Starts Chromium and opens `url` in a page; resolves once the page is attached. */
  static async open(url: string): Promise<Browser> {
    const profile = mkdtempSync(join(tmpdir(), "tsmongoose-chromium-"));
    const proc = spawn("chromium", [...FLAGS, `--user-data-dir=${profile}`, "--remote-debugging-pipe", "about:blank"], {
      stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"],
    });
    const b = new Browser(proc, profile);
    try {
      const { targetId } = await b.send("Target.createTarget", { url }) as { targetId: string };
      const { sessionId } = await b.send("Target.attachToTarget", { targetId, flatten: true }) as { sessionId: string };
      b.session = sessionId;
    } catch (e) {
      await b.close();
      throw e;
    }
    return b;
  }

  private onData(text: string): void {
    this.buf += text;
    for (let i = this.buf.indexOf("\0"); i >= 0; i = this.buf.indexOf("\0")) {
      const msg = JSON.parse(this.buf.slice(0, i)) as { id?: number; result?: unknown; error?: { message: string } };
      this.buf = this.buf.slice(i + 1);
      if (msg.id === undefined) continue; // an event
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(msg.error.message)); else p?.resolve(msg.result);
    }
  }

  /** Sends a DevTools command (to the page once attached, unless `browser` is set). */
  send(method: string, params: object = {}, browser = false): Promise<unknown> {
    if (this.exited) return Promise.reject(new Error("chromium exited"));
    const id = this.nextId++;
    const msg: Record<string, unknown> = { id, method, params };
    if (this.session && !browser) msg.sessionId = this.session;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      (this.proc.stdio[3] as Writable).write(JSON.stringify(msg) + "\0");
    });
  }

  /** Evaluates `expression` in the page (awaiting promises) and returns its value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true }) as {
      result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Evaluates `expression` until it gives a truthy value, and returns it. */
  async waitFor<T>(expression: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: T | undefined;
    for (;;) {
      try {
        last = await this.evaluate<T>(expression);
        if (last) return last;
      } catch (e) {
        if (Date.now() > deadline) throw e; // e.g. the page is still loading
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression} (last: ${JSON.stringify(last)})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sets the files of an <input type=file> chosen by a CSS selector. */
  async setFiles(selector: string, files: string[]): Promise<void> {
    const { root } = await this.send("DOM.getDocument", {}) as { root: { nodeId: number } };
    const { nodeId } = await this.send("DOM.querySelector", { nodeId: root.nodeId, selector }) as { nodeId: number };
    if (!nodeId) throw new Error(`no element ${selector}`);
    await this.send("DOM.setFileInputFiles", { nodeId, files });
  }

  async close(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise((r) => this.proc.once("exit", r));
      this.send("Browser.close", {}, true).catch(() => undefined);
      const t = setTimeout(() => this.proc.kill("SIGKILL"), 3000);
      await gone;
      clearTimeout(t);
    }
    rmSync(this.profile, { recursive: true, force: true });
  }
}
