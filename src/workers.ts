// One Manager per core: runWorkers() forks worker processes with Node's `cluster` module;
// every worker runs its own Manager and they share the listening ports (the primary
// holds the listening socket and hands accepted connections to the workers in turn).
// An application of the public API: it sees managers and connections, never the core.
//
// Why `cluster` and not SO_REUSEPORT: Node 20 has no way to set SO_REUSEPORT on a TCP
// listener (net's `reusePort` came in Node 22.12 / 23.1), and cluster's round-robin gives
// an even spread on Linux, where the kernel's accept wake-ups favour a few processes.
// docs/scaling.md tells the whole story.
import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import type { Manager } from "./manager.js";
import type { Connection } from "./connection.js";
import { MgError } from "./util/errors.js";
import { checkOptionsObject, optFunction, optNonNegativeInt } from "./util/check.js";

/** Options of `runWorkers()`: how many workers, what each one runs, and callbacks in the primary. */
export interface WorkersOptions {
  /** How many worker processes: a positive integer, or "auto" for the number of cores (os.availableParallelism()). */
  workers: number | "auto";
  /**
   * Runs in each worker: makes the Manager and opens its listeners. Listening on the
   * same URL in every worker shares the port. A throw ends the worker (exit code 1).
   */
  setup: () => Manager | Promise<Manager>;
  /**
   * In the primary, once: every worker has started and listens. Gets the addresses
   * listened on (with the real port of a port-0 listener, the same in every worker)
   * and the workers' process ids.
   */
  onListening?: (addresses: readonly WorkerAddress[], pids: readonly number[]) => void;
  /** In the primary: where the supervision lines go (start, crash, restart, stop). Default: standard error. */
  log?: (line: string) => void;
  /** In each worker: what manager.close() gives work in flight at a stop (default: close()'s own, 10000 ms). */
  closeTimeoutMs?: number;
}

/** A TCP address the workers listen on. */
export interface WorkerAddress {
  /** The IP address listened on, as Node reports it (`"0.0.0.0"`, `"::"`, `"127.0.0.1"`). */
  address: string;
  /** The port (the real one for a port-0 listener). */
  port: number;
}

// Messages between the primary and its workers, marked so that they do not mix with
// an application's own process.send() messages.
const TAG = "tsmongoose-workers";
interface ReadyMsg { [TAG]: "ready"; listeners: number }
interface StopMsg { [TAG]: "stop" }

// Restart backoff: the first restart after 100 ms, doubling for each worker of the same
// slot that dies young (within RESTART_RESET_MS of its start), at most 10 s: a worker
// that crashes at once does not fork-loop the machine.
const RESTART_FIRST_MS = 100;
const RESTART_MAX_MS = 10_000;
const RESTART_RESET_MS = 10_000;
// After a stop, what a worker gets beyond its close timeout before it is killed.
const STOP_GRACE_MS = 5000;
const DEFAULT_CLOSE_MS = 10_000;

/** How many workers `workers` means (a positive integer or "auto"); throws ERR_INVALID_OPTION otherwise. */
export function workerCount(workers: unknown): number {
  if (workers === "auto") return Math.max(1, availableParallelism());
  if (typeof workers !== "number" || !Number.isInteger(workers) || workers < 1) {
    throw new MgError("ERR_INVALID_OPTION", `runWorkers: workers must be a positive integer or "auto", got ${typeof workers === "string" ? JSON.stringify(workers) : String(workers)}`);
  }
  return workers;
}

/**
 * Runs one Manager per worker process, sharing listening ports.
 *
 * In the primary (the process you start): forks the workers, restarts one that exits
 * (logged, with a backoff), and on SIGINT/SIGTERM tells every worker to stop; resolves
 * when all have exited. Rejects when the first workers cannot start (setup threw or a
 * listener could not bind) or when a worker did not stop cleanly. A second signal kills
 * the workers at once.
 *
 * In a worker (the same script, started by the primary): calls setup(), runs the manager
 * and, when told to stop (or on its own SIGINT/SIGTERM),
 * closes it gracefully — what is in flight is finished — and exits.
 */
export function runWorkers(opts: WorkersOptions): Promise<void> {
  checkOptionsObject(opts, "runWorkers options");
  if (opts === undefined) throw new MgError("ERR_INVALID_ARG", "runWorkers: options are required");
  const n = workerCount(opts.workers);
  if (typeof opts.setup !== "function") throw new MgError("ERR_INVALID_OPTION", "runWorkers: setup must be a function that returns a Manager");
  optFunction(opts, "onListening");
  optFunction(opts, "log");
  const closeTimeoutMs = optNonNegativeInt(opts, "closeTimeoutMs", DEFAULT_CLOSE_MS);
  return cluster.isPrimary ? primary(n, opts, closeTimeoutMs) : worker(opts, closeTimeoutMs);
}

// ---- the primary ------------------------------------------------------------------

/** One place for a worker: the worker in it now and how its predecessors fared. */
interface Slot { worker: Worker | undefined; startedAt: number; young: number; restart: NodeJS.Timeout | undefined }

function primary(n: number, opts: WorkersOptions, closeTimeoutMs: number): Promise<void> {
  const log = opts.log ?? ((line: string): void => { process.stderr.write(`${line}\n`); });
  return new Promise<void>((resolve, reject) => {
    const slots: Slot[] = [];
    const up = new Set<Worker>();
    const addresses = new Map<string, WorkerAddress>();
    let everAllUp = false;
    let stopping = false;
    let failure: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let signals = 0;

    const live = (): Worker[] => slots.flatMap((s) => (s.worker ? [s.worker] : []));

    const stopAll = (why: string): void => {
      if (stopping) return;
      stopping = true;
      log(`workers: ${why}: stopping ${live().length} worker(s)`);
      for (const s of slots) { clearTimeout(s.restart); s.restart = undefined; }
      for (const w of live()) tell(w, { [TAG]: "stop" });
      killTimer = setTimeout(() => {
        for (const w of live()) { log(`workers: worker ${w.process.pid} did not stop in time: killed`); w.process.kill("SIGKILL"); }
      }, closeTimeoutMs + STOP_GRACE_MS);
      finishIfDone();
    };

    const onSignal = (sig: NodeJS.Signals): void => {
      signals++;
      if (signals === 1) { stopAll(`${sig}`); return; }
      for (const w of live()) w.process.kill("SIGKILL");
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    const finishIfDone = (): void => {
      if (!stopping || live().length > 0) return;
      clearTimeout(killTimer);
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
      if (failure !== undefined) reject(new Error(failure));
      else resolve();
    };

    const fork = (slot: Slot): void => {
      slot.restart = undefined;
      const w = cluster.fork();
      slot.worker = w;
      slot.startedAt = Date.now();
      let expected = -1;
      let listening = 0;
      const checkUp = (): void => {
        if (expected < 0 || listening < expected || up.has(w)) return;
        up.add(w);
        if (everAllUp) log(`workers: worker ${w.process.pid} up`);
        if (!everAllUp && slots.every((s) => s.worker !== undefined && up.has(s.worker))) {
          everAllUp = true;
          const pids = live().map((x) => x.process.pid ?? 0);
          log(`workers: ${n} worker(s) up (pids ${pids.join(", ")})`);
          opts.onListening?.([...addresses.values()], pids);
        }
      };
      w.on("message", (m: unknown) => {
        if (!isMsg(m) || m[TAG] !== "ready") return;
        // A stop sent while the worker was starting may have come before it listened for it.
        if (stopping) { tell(w, { [TAG]: "stop" }); return; }
        expected = typeof m.listeners === "number" ? m.listeners : 0;
        checkUp();
      });
      w.on("listening", (a: { address: string | null; port: number }) => {
        listening++;
        if (a.address !== null) addresses.set(`${a.address}:${a.port}`, { address: a.address, port: a.port });
        checkUp();
      });
      w.on("error", () => { /* the IPC channel of a dying worker: 'exit' follows */ });
      w.once("exit", (code, signal) => {
        slot.worker = undefined;
        const wasUp = up.delete(w);
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (stopping) {
          if (signal !== null || code !== 0) {
            log(`workers: worker ${w.process.pid} exited with ${how} while stopping`);
            failure ??= `workers: worker ${w.process.pid} did not stop cleanly (${how})`;
          }
          finishIfDone();
          return;
        }
        if (!wasUp && !everAllUp && signal === null) {
          // The first start failed by itself: a restart would fail the same way (a port
          // in use, a bad URL). A worker killed from outside is restarted as usual.
          const what = `worker ${w.process.pid} could not start (exited with ${how})`;
          failure = `workers: ${what}`;
          stopAll(what);
          return;
        }
        slot.young = Date.now() - slot.startedAt < RESTART_RESET_MS ? slot.young + 1 : 1;
        const delay = Math.min(RESTART_FIRST_MS * 2 ** (slot.young - 1), RESTART_MAX_MS);
        log(`workers: worker ${w.process.pid} exited with ${how}; restarting in ${delay} ms`);
        slot.restart = setTimeout(() => fork(slot), delay);
      });
    };

    for (let i = 0; i < n; i++) slots.push({ worker: undefined, startedAt: 0, young: 0, restart: undefined });
    for (const s of slots) fork(s);
  });
}

function tell(w: Worker, m: StopMsg): void {
  if (!w.isConnected()) return;
  try { w.send(m); } catch { /* the worker is going away: 'exit' follows */ }
}

function isMsg(m: unknown): m is Record<string, unknown> {
  return typeof m === "object" && m !== null && TAG in m;
}

// ---- a worker ---------------------------------------------------------------------

async function worker(opts: WorkersOptions, closeTimeoutMs: number): Promise<void> {
  const ac = new AbortController();
  const stop = (): void => { ac.abort(); };
  const onMessage = (m: unknown): void => { if (isMsg(m) && m[TAG] === "stop") stop(); };
  // Ctrl-C in a terminal reaches every process of the group: a worker stops gracefully
  // by itself, as the primary would tell it to. (A worker whose primary died is ended
  // at once by `cluster` itself, when the IPC channel closes.)
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  process.on("message", onMessage);
  const cleanup = (): void => {
    process.removeListener("SIGINT", stop);
    process.removeListener("SIGTERM", stop);
    process.removeListener("message", onMessage);
  };
  let mgr: Manager;
  try {
    mgr = await opts.setup();
  } catch (e) {
    process.stderr.write(`workers: worker ${process.pid}: setup failed: ${e instanceof Error ? e.message : String(e)}\n`);
    cleanup();
    process.exit(1);
  }
  // The TCP listeners, which the primary confirms one by one ('listening'); UDP sockets
  // are each worker's own (they are bound exclusively) and are not counted.
  const listeners: Connection[] = mgr.connections.filter((c) => c.isListening && !c.isUdp) as Connection[];
  process.send?.({ [TAG]: "ready", listeners: listeners.length } satisfies ReadyMsg);
  // A listener that closes by itself could not bind (the error came as MG_EV_ERROR):
  // this worker cannot serve, so it ends and the primary decides what follows.
  let lost = false;
  const watch = setInterval(() => {
    if (!ac.signal.aborted && listeners.some((c) => c.isClosed)) { lost = true; stop(); }
  }, 200);
  watch.unref();
  try {
    await runUntil(mgr, ac.signal, closeTimeoutMs);
  } finally {
    clearInterval(watch);
    cleanup();
  }
  if (lost) process.stderr.write(`workers: worker ${process.pid}: a listener closed (it could not listen: its handler got the error as MG_EV_ERROR): exiting\n`);
  // Not process.disconnect(): cluster ends a disconnected worker with code 0 at once.
  // The manager is closed, so nothing of the worker's is in flight any more.
  process.exit(lost ? 1 : 0);
}

/** Polls until `signal` aborts (or the manager is closed by the application), then closes it gracefully. */
async function runUntil(mgr: Manager, signal: AbortSignal, closeTimeoutMs: number): Promise<void> {
  // run() stops on the signal and closes with the default timeout; the close started
  // here carries closeTimeoutMs, and run()'s own close() then waits for that one. The
  // signal may have aborted already (a stop during setup()): an abort listener added
  // now would never fire.
  const onAbort = (): void => { mgr.close({ timeoutMs: closeTimeoutMs }).catch(() => { /* run()'s close reports it */ }); };
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  try {
    await mgr.run({ signal });
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
