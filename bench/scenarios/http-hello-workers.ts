// http-hello served by runWorkers() with 2 workers, next to the same server with 1 worker:
// what a second core buys. On a 2-core machine wrk needs one core for itself, so the two
// workers share the other with it; docs/benchmarks.md explains what the ratio means.
import type { Scenario } from "../lib/types.js";
import { wrkComparison } from "../lib/wrk-scenario.js";

export const httpHelloWorkers: Scenario = {
  id: "http-hello-workers",
  title: "HTTP hello-world, keep-alive, 50 conns: 2 workers vs 1",
  unit: "req/s",
  target: 1.0,
  needs: ["wrk"],
  async prepare(fx) {
    return wrkComparison({
      fx, scheme: "http", path: "/", connections: 50, unit: "req/s", expect: Buffer.from("Hello, World!"),
      ours: { label: "2 workers", server: { script: "ours-http-workers.js", config: { workers: 2 } } },
      peer: { label: "1 worker", server: { script: "ours-http-workers.js", config: { workers: 1 } } },
    });
  },
};
