// The `cluster` option of MqttBroker, checked where it is given.
import { MgError, optionError } from "../../util/errors.js";
import { optIntIn } from "../../util/check.js";

/** `cluster` of MqttBrokerOptions: several brokers on one Redis behave as one broker (docs/scaling.md). */
export interface MqttClusterOptions {
  /** The Redis server: redis://[user:password@]host[:port][/db], or rediss:// for TLS. */
  redis: string;
  /** Put before every Redis key and channel the cluster uses (several clusters on one Redis). Default "tsmongoose:mqtt:". */
  prefix?: string;
  /** How long a CONNECT waits for the node that held the session to let it go. Default 3000 ms. */
  takeoverTimeoutMs?: number;
  /** How long a CONNECT waits for Redis while it is unreachable before it is refused (server unavailable). Default 5000 ms. */
  connectWaitMs?: number;
}

export interface ClusterConfig {
  redis: string;
  prefix: string;
  takeoverTimeoutMs: number;
  connectWaitMs: number;
}

export function clusterConfig(v: unknown): ClusterConfig {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw optionError("cluster", "an object { redis: URL }", v);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== "redis" && k !== "prefix" && k !== "takeoverTimeoutMs" && k !== "connectWaitMs") throw new MgError("ERR_INVALID_OPTION", `option cluster.${k} is not known`);
  }
  const url = o.redis;
  if (typeof url !== "string" || !/^rediss?:\/\/[^/?#]/.test(url)) throw optionError("cluster.redis", "a redis:// or rediss:// URL", url);
  try { new URL(url); } catch { throw optionError("cluster.redis", "a redis:// or rediss:// URL", url); }
  const prefix = o.prefix ?? "tsmongoose:mqtt:";
  if (typeof prefix !== "string" || prefix === "") throw optionError("cluster.prefix", "a non-empty string", prefix);
  return {
    redis: url, prefix,
    takeoverTimeoutMs: optIntIn(o, "takeoverTimeoutMs", 3000, 1, 600_000),
    connectWaitMs: optIntIn(o, "connectWaitMs", 5000, 0, 600_000),
  };
}
