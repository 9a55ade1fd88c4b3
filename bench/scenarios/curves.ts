// The curves (see ../lib/curves.ts): how throughput and p99 latency move with the work,
// ours next to the peer, at short runs per point.
//   curve-http-conns     HTTP hello, keep-alive, 1 -> 10,000 connections (wrk), vs node:http
//   curve-http-body      GET of a 64 B -> 1 MiB response body, 50 connections, vs node:http
//   curve-mqtt-subs      MQTT fan-out, 10 publishers, 1 -> 10,000 subscribers on one
//                        wildcard filter, 64 B QoS 0, 4 in flight per publisher, vs mosquitto
//   curve-mqtt-payload   MQTT fan-out, 5 publishers x 10 subscribers, 64 B -> 1 MiB payloads,
//                        2 in flight per publisher, vs mosquitto
// MQTT latency is from publish to the last subscriber's copy; HTTP latency is wrk's.
import type { Curve, PreparedCurve } from "../lib/curves.js";
import { expectBody } from "../lib/probe.js";
import { runWrk, wrkProblems } from "../lib/wrk.js";
import { probeMqtt } from "../lib/mqtt-scenario.js";
import { runLoadClient } from "../lib/run-load-client.js";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import type { Fixtures, Measurement, Side } from "../lib/types.js";
import type { MqttLoadConfig, MqttLoadResult } from "../clients/mqtt-load-types.js";
import { bytesLabel, shortNumber } from "../lib/svg-chart.js";
import { HELLO, sizedBody } from "../servers/app-logic.js";

function httpSides(): { ours: Side; peer: Side } {
  const config = { mode: "app", scheme: "http" };
  return {
    ours: { label: "tsmongoose", server: { script: "ours-http.js", config } },
    peer: { label: "node:http", server: { script: "node-http.js", config } },
  };
}

/** wrk at one point: the probe first (it gives the response size wrk's byte count must fit). */
async function wrkPoint(fx: Fixtures, port: number, path: string, expect: Buffer, connections: number, seconds: number): Promise<Measurement> {
  const responseBytes = await expectBody({ port, path }, expect);
  const r = await runWrk({ url: `http://127.0.0.1:${port}${path}`, connections, seconds, scratchDir: fx.dir });
  return {
    value: r.requests / r.seconds, seconds: r.seconds, errors: wrkProblems(r, responseBytes, connections),
    detail: `${r.requests} responses of ${responseBytes} B, ${connections} conns, p50 ${(r.p50us / 1000).toFixed(2)} ms`, p99ms: r.p99us / 1000,
  };
}

export const curveHttpConns: Curve = {
  id: "curve-http-conns",
  title: "HTTP hello-world, keep-alive: cost of connections",
  axis: "connections",
  points: [1, 10, 100, 1000, 10_000],
  xFormat: shortNumber,
  unit: "req/s",
  needs: ["wrk"],
  // wrk opens its connections inside the measured time: longer runs where that takes a while.
  secondsAt: (x, base) => base * (x >= 10_000 ? 3 : x >= 1000 ? 2 : 1),
  async prepare(fx): Promise<PreparedCurve> {
    return {
      ...httpSides(),
      probe: async (port) => { await expectBody({ port, path: "/" }, Buffer.from(HELLO)); },
      load: (port, x, seconds) => wrkPoint(fx, port, "/", Buffer.from(HELLO), x, seconds),
    };
  },
};

export const curveHttpBody: Curve = {
  id: "curve-http-body",
  title: "HTTP GET, keep-alive, 50 conns: cost of the response body size",
  axis: "response body",
  points: [64, 1024, 16 * 1024, 256 * 1024, 1 << 20],
  xFormat: bytesLabel,
  unit: "req/s",
  needs: ["wrk"],
  async prepare(fx): Promise<PreparedCurve> {
    return {
      ...httpSides(),
      probe: async (port) => { await expectBody({ port, path: "/size/64" }, sizedBody("/size/64")!); },
      load: (port, x, seconds) => wrkPoint(fx, port, `/size/${x}`, sizedBody(`/size/${x}`)!, 50, seconds),
    };
  },
};

const MQTT_CLIENT = join(dirname(fileURLToPath(import.meta.url)), "..", "clients", "mqtt-load.js");

function mqttCurve(o: { config: (x: number) => Omit<MqttLoadConfig, "port" | "seconds">; timeoutExtra: number }): PreparedCurve {
  return {
    ours: { label: "tsmongoose", server: { script: "ours-mqtt.js", config: {} } },
    peer: { label: "mosquitto", server: { script: "mosquitto-peer.js", config: { nodelay: false } } },
    probe: probeMqtt,
    async load(port, x, seconds): Promise<Measurement> {
      const r = await runLoadClient<MqttLoadResult>(MQTT_CLIENT, { ...o.config(x), port, seconds, prefix: "bench" }, seconds + o.timeoutExtra);
      return { value: r.value, seconds: r.seconds, errors: r.errors, detail: r.detail, ...(typeof r.p99ms === "number" ? { p99ms: r.p99ms } : {}) };
    },
  };
}

export const curveMqttSubs: Curve = {
  id: "curve-mqtt-subs",
  title: "MQTT fan-out, 10 publishers, 64 B QoS 0: cost of subscribers",
  axis: "subscribers",
  points: [1, 10, 100, 1000, 10_000],
  xFormat: shortNumber,
  unit: "msg/s",
  needs: ["mosquitto"],
  secondsAt: (x, base) => base * (x >= 10_000 ? 2 : 1),
  async prepare() {
    return mqttCurve({ config: (x) => ({ mode: "fanout", publishers: 10, subscribers: x, payload: 64, window: 4 }), timeoutExtra: 30 });
  },
};

export const curveMqttPayload: Curve = {
  id: "curve-mqtt-payload",
  title: "MQTT fan-out, 5 publishers x 10 subscribers, QoS 0: cost of the payload size",
  axis: "payload",
  points: [64, 1024, 16 * 1024, 256 * 1024, 1 << 20],
  xFormat: bytesLabel,
  unit: "msg/s",
  needs: ["mosquitto"],
  secondsAt: (x, base) => base * (x >= 256 * 1024 ? 3 : 1),
  async prepare() {
    return mqttCurve({ config: (x) => ({ mode: "fanout", publishers: 5, subscribers: 10, payload: x, window: 2 }), timeoutExtra: 30 });
  },
};

export const CURVES: readonly Curve[] = [curveHttpConns, curveHttpBody, curveMqttSubs, curveMqttPayload];
