// 1 MiB static file throughput (MiB/s of body), keep-alive, 10 connections: serveFile()
// vs node:http with fs.stat + fs.createReadStream().pipe(res).
import type { Scenario } from "../lib/types.js";
import { wrkComparison } from "../lib/wrk-scenario.js";

export const staticFile: Scenario = {
  id: "static-1mib",
  title: "Static file 1 MiB, keep-alive, 10 conns",
  unit: "MiB/s",
  target: 1.0,
  needs: ["wrk"],
  async prepare(fx) {
    const f = await fx.file("file-1mib.bin", 1 << 20);
    const config = { mode: "static", scheme: "http", file: f.path };
    return wrkComparison({
      fx, scheme: "http", path: "/file-1mib.bin", connections: 10, unit: "MiB/s", expect: f.bytes,
      ours: { label: "tsmongoose", server: { script: "ours-http.js", config } },
      peer: { label: "node:http", server: { script: "node-http.js", config } },
    });
  },
};
