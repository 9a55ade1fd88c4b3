// MQTT 5 clients with topic aliases and a shared subscription: 10 publishers (QoS 0, 64 B,
// 32 in flight each, 10 long topic names each sent as aliases) and 20 workers sharing one
// `$share/workers/...` subscription, messages delivered per second, our MqttBroker vs
// mosquitto (aedes speaks MQTT 3.1.1 only). The load client is tsmongoose's MQTT client
// (clients/mqtt5-load.ts), the same for both brokers.
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import type { Measurement, Scenario } from "../lib/types.js";
import { probeMqtt } from "../lib/mqtt-scenario.js";
import { runLoadClient } from "../lib/run-load-client.js";
import type { LoadResult } from "../clients/load-report.js";

const LOAD_CLIENT = join(dirname(fileURLToPath(import.meta.url)), "..", "clients", "mqtt5-load.js");

function mqtt5(id: string, title: string, load: { publishers: number; workers: number; topics: number; payload: number; window: number; noShare?: boolean }): Scenario {
  return {
    id, title, unit: "msg/s", target: 1.0, needs: ["mosquitto"],
    async prepare() {
      return {
        ours: { label: "tsmongoose", server: { script: "ours-mqtt.js", config: {} } },
        peer: { label: "mosquitto", server: { script: "mosquitto-peer.js", config: { nodelay: false } } },
        probe: probeMqtt,
        async load(port, seconds): Promise<Measurement> {
          const r = await runLoadClient<LoadResult>(LOAD_CLIENT, { port, seconds, ...load }, seconds);
          return { value: r.value, seconds: r.seconds, errors: r.errors, detail: r.detail };
        },
      };
    },
  };
}

// 32 in flight per publisher: the load client is tsmongoose's own MQTT client in one
// process, so with few messages in flight its poll loop, not the broker, sets the rate.
export const mqtt5SharedAliases = mqtt5("mqtt5-shared-aliases", "MQTT 5 shared subscription + topic aliases, 10 pub x 20 workers, 64 B QoS 0",
  { publishers: 10, workers: 20, topics: 10, payload: 64, window: 32 });

/** Topic aliases alone: every message to each of 10 ordinary subscribers. */
export const mqtt5Aliases = mqtt5("mqtt5-aliases", "MQTT 5 topic aliases, 10 pub x 10 sub, 64 B QoS 0",
  { publishers: 10, workers: 10, topics: 10, payload: 64, window: 32, noShare: true });
