// What logging costs, on the HTTP hello load: our server with logging at its default
// (errors only: every trace call site is one integer comparison and builds nothing) next
// to the same server with the debug trace on into a sink that drops each line (the cost
// of building the trace). A ratio near 1.0x would mean the trace is cheap even when on;
// the default is what every other row measures.
import type { Scenario } from "../lib/types.js";
import { wrkComparison } from "../lib/wrk-scenario.js";

export const logCost: Scenario = {
  id: "log-cost",
  title: "HTTP hello-world, 50 conns: logging off (default) vs the debug trace on into a null sink",
  unit: "req/s",
  needs: ["wrk"],
  async prepare(fx) {
    const config = { mode: "hello", scheme: "http" };
    return wrkComparison({
      fx, scheme: "http", path: "/", connections: 50, unit: "req/s", expect: Buffer.from("Hello, World!"),
      ours: { label: "logging off", server: { script: "ours-http.js", config } },
      peer: { label: "debug trace on", server: { script: "ours-http.js", config: { ...config, traceToNull: true } } },
    });
  },
};
