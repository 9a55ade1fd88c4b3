// Server processes: each server under test runs alone in its own child process, so it
// has one core to itself while the load generator uses the other.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

/** A server program in dist/bench/servers and its JSON configuration (argv[2]). */
export interface ServerSpec {
  script: string;
  config: Record<string, unknown>;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

export interface RunningServer {
  port: number;
  pid: number;
  /** User + system CPU seconds the process has used so far (all its threads), plus the
   *  process it announced as doing the work (a wrapper around a non-Node server). */
  cpuSeconds(): number;
  /** Resident set size now (VmRSS), bytes, summed over the serving processes: this one and
   *  its workers, or only the announced process of a wrapper (mosquitto-peer.ts). */
  rssBytes(): number;
  /** Peak resident set size so far (VmHWM), bytes, summed the same way. */
  peakRssBytes(): number;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process has exited. */
  stop(): Promise<void>;
}

const SERVERS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "servers");
const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;

/** Servers print this line once they listen. */
export const READY_PREFIX = "READY ";

/** Clock ticks per second for /proc/<pid>/stat (sysconf(_SC_CLK_TCK), 100 on Linux). */
const CLK_TCK = 100;

export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 here.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** The line of a crashed server's stderr that says what went wrong (not the stack or the source excerpt). */
export function errorSummary(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !/^Node\.js v\d/.test(l) && !l.startsWith("at "));
  const err = lines.find((l) => /^(\w*Error\b|Error \[|\w+Exception\b)/.test(l)) ?? lines.find((l) => /\bERR_|\berror\b/i.test(l));
  return (err ?? lines.slice(-2).join(" | ")).slice(0, 300);
}

/** VmRSS or VmHWM of a process from /proc/<pid>/status, in bytes (NaN when gone). */
export function procMemBytes(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Starts a server process and waits for its READY line; rejects with its stderr when it fails. */
export function startServer(spec: ServerSpec): Promise<RunningServer> {
  const child: ChildProcess = spawn(process.execPath, [...(spec.nodeArgs ?? []), join(SERVERS_DIR, spec.script), JSON.stringify(spec.config)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (d: string) => { if (stderr.length < 64 * 1024) stderr += d; });

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    await exited;
    clearTimeout(t);
  };

  return new Promise<RunningServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`server did not start within ${READY_TIMEOUT_MS / 1000} s${stderr ? `: ${errorSummary(stderr)}` : ""}`));
    }, READY_TIMEOUT_MS);
    let ready = false;
    child.once("exit", (code, signal) => {
      if (ready) return;
      clearTimeout(timer);
      reject(new Error(`server exited (${signal ?? `code ${code}`}) before listening${stderr ? `: ${errorSummary(stderr)}` : ""}`));
    });
    child.once("error", (e) => { clearTimeout(timer); reject(e); });
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (d: string) => {
      stdout += d;
      const line = stdout.split("\n").find((l) => l.startsWith(READY_PREFIX));
      if (line === undefined) return;
      clearTimeout(timer);
      ready = true;
      stdout = "";
      child.stdout!.removeAllListeners("data");
      child.stdout!.resume();
      const pid = child.pid!;
      const [portText, ...workerTexts] = line.slice(READY_PREFIX.length).trim().split(" ");
      // "=<pid>": the process that serves, this one being only its wrapper (see announce()).
      const wrapped = workerTexts.some((w) => w.startsWith("="));
      const workers = workerTexts.map((w) => Number(w.replace(/^=/, "")));
      const serving = wrapped ? workers : [pid, ...workers];
      const mem = (field: "VmRSS" | "VmHWM"): number => serving.reduce((sum, w) => sum + procMemBytes(w, field), 0);
      resolve({
        port: Number(portText),
        pid,
        cpuSeconds: () => workers.reduce((sum, w) => sum + procCpuSeconds(w), procCpuSeconds(pid)),
        rssBytes: () => mem("VmRSS"),
        peakRssBytes: () => mem("VmHWM"),
        stop,
      });
    });
  });
}

/** For server programs: their configuration from argv[2]. */
export function serverConfig<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error("usage: node <server>.js '<json config>'");
  return JSON.parse(raw) as T;
}

/** For server programs: announce the port to the harness, and the pids of the processes
 *  that serve when it is not (only) this one (a wrapper such as servers/mosquitto-peer.ts,
 *  worker processes): their CPU time is counted too. */
export function announce(port: number, ...workerPids: (number | undefined)[]): void {
  process.stdout.write(`${READY_PREFIX}${[port, ...workerPids.filter((p) => p !== undefined)].join(" ")}\n`);
}

/** For wrappers around a server that is not a Node program: `pid` does all the serving, so
 *  its memory alone is the server's (this wrapper's CPU, near zero, is still counted). */
export function announceWrapped(port: number, pid: number): void {
  process.stdout.write(`${READY_PREFIX}${port} =${pid}\n`);
}
