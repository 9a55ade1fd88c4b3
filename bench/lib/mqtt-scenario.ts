// A comparison of two MQTT brokers under the MQTT load client (clients/mqtt-load.ts, its
// own process: QoS 0 fan-out or QoS 1 round trips). The probe first checks one message end to end with tsmongoose's MQTT client
// (a different implementation from the load client's hand-built packets): two subscribers
// on the wildcard filter must each get the published topic and payload.
import { runLoadClient } from "./run-load-client.js";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { Manager, MG_EV_ERROR, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MQTT_CMD_SUBACK, type Connection } from "../../src/index.js";
import type { Measurement, Prepared, Side } from "./types.js";
import type { MqttLoadConfig, MqttLoadResult } from "../clients/mqtt-load-types.js";
import { topicOf } from "../clients/mqtt-packets.js";

export interface MqttComparison {
  ours: Side;
  peer: Side;
  /** See MqttLoadConfig (default "fanout"). */
  mode?: "fanout" | "qos1";
  publishers: number;
  subscribers: number;
  payload: number;
  /** Messages in flight per publisher. */
  window: number;
}

const LOAD_CLIENT = join(dirname(fileURLToPath(import.meta.url)), "..", "clients", "mqtt-load.js");
const PROBE_TIMEOUT_MS = 5000;
const PREFIX = "bench";

/** Two subscribers on `bench/+`, one publisher: both must receive the message intact. */
export async function probeMqtt(port: number): Promise<void> {
  const manager = new Manager();
  const url = `mqtt://127.0.0.1:${port}`;
  const topic = topicOf(PREFIX, 0);
  const text = "probe: héllo";
  let subacks = 0;
  const got: string[] = [];
  let failure: string | undefined;
  try {
    for (let i = 0; i < 2; i++) {
      const c = manager.mqttConnect(url, (_c: Connection, ev, data) => {
        if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_SUBACK) subacks++;
        else if (ev === MG_EV_MQTT_MSG) got.push(`${data.topic} ${data.text}`);
        else if (ev === MG_EV_ERROR) failure = data;
      }, { clientId: `probe-sub-${i}-${process.pid}`, keepAlive: 0 });
      c.mqttSub(`${PREFIX}/+`, { qos: 0 });
    }
    const deadline = Date.now() + PROBE_TIMEOUT_MS;
    const until = async (cond: () => boolean, what: string): Promise<void> => {
      while (!cond()) {
        if (failure !== undefined) throw new Error(failure);
        if (Date.now() > deadline) throw new Error(`${what} within ${PROBE_TIMEOUT_MS / 1000} s`);
        await manager.poll(20);
      }
    };
    await until(() => subacks === 2, "no SUBACK for both subscribers");
    const pub = manager.mqttConnect(url, (_c: Connection, ev, data) => { if (ev === MG_EV_ERROR) failure = data; }, { clientId: `probe-pub-${process.pid}`, keepAlive: 0 });
    pub.mqttPub(topic, text, { qos: 0 });
    await until(() => got.length >= 2, `${got.length} of 2 subscribers got the message`);
    for (const g of got) if (g !== `${topic} ${text}`) throw new Error(`wrong message delivered: ${JSON.stringify(g.slice(0, 60))}`);
  } finally {
    await manager.close();
  }
}


export function mqttComparison(o: MqttComparison): Prepared {
  return {
    ours: o.ours,
    peer: o.peer,
    probe: probeMqtt,
    async load(port, seconds): Promise<Measurement> {
      const config: MqttLoadConfig = { mode: o.mode ?? "fanout", port, publishers: o.publishers, subscribers: o.subscribers, payload: o.payload, window: o.window, seconds, prefix: PREFIX };
      const r = await runLoadClient<MqttLoadResult>(LOAD_CLIENT, config, seconds);
      return { value: r.value, seconds: r.seconds, errors: r.errors, detail: r.detail, ...(r.p99ms !== undefined && r.p99ms !== null ? { p99ms: r.p99ms } : {}) };
    },
  };
}
