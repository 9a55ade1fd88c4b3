// HTTPS keep-alive "Hello, World!" requests per second, 50 connections, vs node:https.
// Both servers use the same self-signed EC certificate; handshakes happen in warm-up.
import type { Scenario } from "../lib/types.js";
import { wrkComparison } from "../lib/wrk-scenario.js";

export const httpsHello: Scenario = {
  id: "https-hello",
  title: "HTTPS hello-world, keep-alive, 50 conns",
  unit: "req/s",
  target: 1.4,
  targetFrom: "issue 14",
  needs: ["wrk", "openssl"],
  async prepare(fx) {
    const c = await fx.cert();
    const config = { mode: "hello", scheme: "https", certFile: c.certFile, keyFile: c.keyFile };
    return wrkComparison({
      fx, scheme: "https", path: "/", connections: 50, unit: "req/s", expect: Buffer.from("Hello, World!"), tlsCa: c.cert,
      ours: { label: "tsmongoose", server: { script: "ours-http.js", config } },
      peer: { label: "node:https", server: { script: "node-http.js", config } },
    });
  },
};
