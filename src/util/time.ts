import { performance } from "node:perf_hooks";

/** Milliseconds on a monotonic clock (never goes back; not the wall clock). */
export function millis(): number {
  return Math.floor(performance.now());
}
