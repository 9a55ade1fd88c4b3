// What the harness (lib/mqtt-scenario.ts) passes to the MQTT load client as argv[2]
// (JSON), and the RESULT line the client prints.
import type { LoadResult } from "./load-report.js";

export interface MqttLoadConfig {
  port: number;
  /** "fanout" (default): QoS 0 fan-out, deliveries/s. "qos1": QoS 1 round trips/s, one
   *  message in flight per client, each of `publishers` clients subscribed to its own topic. */
  mode?: "fanout" | "qos1";
  /** Connections that publish (QoS 0) to `<prefix>/pNN`, one topic each. */
  publishers: number;
  /** Connections subscribed to `<prefix>/+`: each gets every message. */
  subscribers: number;
  /** Payload bytes per message. */
  payload: number;
  /** Messages each publisher keeps in flight (sent and not yet at every subscriber). */
  window: number;
  seconds: number;
  /** Topic prefix (default "bench"). */
  prefix?: string;
}

/** fanout: messages delivered to subscribers per second; qos1: round trips per second. */
export type MqttLoadResult = LoadResult;
