// What a benchmark scenario is: two servers (ours and a peer) started one at a time in
// child processes, a correctness probe, and a load generator that measures one number.
import type { ServerSpec } from "./child.js";

/** The fixtures of a run (temporary files and certificates), made once and shared. */
export interface Fixtures {
  /** A temporary directory removed at the end of the run. */
  dir: string;
  /** Creates (once) and returns a file of `size` random bytes in `dir`. */
  file(name: string, size: number): Promise<{ path: string; bytes: Buffer }>;
  /** Creates (once) a self-signed certificate for 127.0.0.1/localhost with openssl. */
  cert(): Promise<{ certFile: string; keyFile: string; cert: string }>;
}

export interface RunSettings {
  /** Measured seconds per server per round. */
  seconds: number;
  /** Warm-up seconds before each measured run. */
  warmup: number;
}

/** The outcome of one measured run against one server. */
export interface Measurement {
  /** The scenario's number (requests/s, MiB/s, messages/s). */
  value: number;
  /** How long the measurement actually lasted. */
  seconds: number;
  /** Problems that disqualify the run: non-2xx responses, socket errors, wrong bodies. */
  errors: string[];
  /** One line of extra facts (latency percentiles, bytes per response, ...). */
  detail: string;
  /** 99th percentile latency, when the load measures it (the curves plot it). */
  p99ms?: number;
}

/** One side of a comparison: a server program and what it is called in the table. */
export interface Side {
  label: string;
  server: ServerSpec;
}

/** A further peer measured in the same rounds as `peer`; it gets a row of its own. */
export interface MorePeer extends Side {
  /** The ratio ours / this peer should reach (none: the row shows the ratio only). */
  target?: number;
  /** Where the target comes from, shown next to it (e.g. "issue 14"). */
  targetFrom?: string;
}

/** What a load sees of the server process it loads (for memory readings). */
export interface ServerHandle {
  pid: number;
  /** Resident set size now, in bytes (the serving processes: see child.ts). */
  rssBytes(): number;
}

/** A scenario prepared for a run: sides, how to check one and how to load one. */
export interface Prepared {
  ours: Side;
  peer: Side;
  /** More peers (fastify, the raw node:net ceiling, ...), each its own row. */
  more?: MorePeer[];
  /** Checks that a freshly started server answers correctly; throws with the reason. */
  probe(port: number): Promise<void>;
  /** Generates load for `seconds` and measures (warm-up runs call this too). */
  load(port: number, seconds: number, server: ServerHandle): Promise<Measurement>;
}

export interface Scenario {
  /** Short id used by BENCH_ONLY (e.g. "http-hello"). */
  id: string;
  /** Row title in the table. */
  title: string;
  /** Unit of the measured value. */
  unit: string;
  /** The ratio (ours / peer) this scenario should reach; none: the ratio is shown only. */
  target?: number;
  /** Where the target comes from, shown next to it (e.g. "issue 14"). */
  targetFrom?: string;
  /** "lower" for costs (memory per connection): the target is then a ceiling on the ratio. Default "higher". */
  better?: "higher" | "lower";
  /** At most this many rounds (slow, steady readings: memory, 10k idle connections). */
  maxRounds?: number;
  /** At least this many measured seconds (scenarios that open thousands of connections or send 100 MiB bodies). */
  minSeconds?: number;
  /** False: no warm-up run (memory readings want a fresh process: freed memory is not given back). */
  warmup?: boolean;
  /** False for scenarios that do not load the server's CPU (memory, idle): no per-CPU ratio, no saturation note. */
  cpuBound?: boolean;
  /** External programs the scenario needs ("wrk", "openssl"). */
  needs: string[];
  /** Builds the servers and the load for this run; throws when the scenario cannot run. */
  prepare(fx: Fixtures, settings: RunSettings): Promise<Prepared>;
}
