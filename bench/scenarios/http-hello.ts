// HTTP/1.1 keep-alive "Hello, World!" requests per second, 50 connections, vs node:http,
// fastify and the ceiling: a raw node:net server that writes a fixed response per request
// without parsing anything (servers/ceiling-http.ts), the most Node's socket API allows.
import type { Scenario } from "../lib/types.js";
import { wrkComparison } from "../lib/wrk-scenario.js";

export const httpHello: Scenario = {
  id: "http-hello",
  title: "HTTP hello-world, keep-alive, 50 conns",
  unit: "req/s",
  target: 1.3,
  needs: ["wrk"],
  async prepare(fx) {
    const config = { mode: "hello", scheme: "http" };
    return wrkComparison({
      fx, scheme: "http", path: "/", connections: 50, unit: "req/s", expect: Buffer.from("Hello, World!"),
      ours: { label: "tsmongoose", server: { script: "ours-http.js", config } },
      peer: { label: "node:http", server: { script: "node-http.js", config } },
      more: [
        { label: "fastify", server: { script: "fastify-http.js", config: { mode: "hello" } } },
        { label: "ceiling", server: { script: "ceiling-http.js", config: {} }, target: 0.9, targetFrom: "issue 14" },
      ],
    });
  },
};
