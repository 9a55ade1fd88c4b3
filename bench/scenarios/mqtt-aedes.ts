// The MQTT fan-out and QoS 1 scenarios again, with aedes (the Node.js broker on npm) as
// the peer: same load client, same settings as the mosquitto rows (mqtt-fanout.ts,
// mqtt-qos1.ts). aedes gets TCP_NODELAY in the QoS 1 round trips, like mosquitto.
import type { Scenario } from "../lib/types.js";
import { mqttComparison } from "../lib/mqtt-scenario.js";

const ours = { label: "tsmongoose", server: { script: "ours-mqtt.js", config: {} } };

export const mqttFanoutAedes: Scenario = {
  id: "mqtt-fanout-aedes",
  title: "MQTT fan-out, 10 pub x 50 sub, 64 B QoS 0 (vs aedes)",
  unit: "msg/s",
  target: 1.0,
  needs: [],
  async prepare() {
    return mqttComparison({
      publishers: 10, subscribers: 50, payload: 64, window: 8,
      ours, peer: { label: "aedes", server: { script: "aedes-mqtt.js", config: { nodelay: false } } },
    });
  },
};

export const mqttQos1Aedes: Scenario = {
  id: "mqtt-qos1-aedes",
  title: "MQTT QoS 1 round trips, 50 clients, 64 B (vs aedes)",
  unit: "msg/s",
  target: 1.0,
  needs: [],
  async prepare() {
    return mqttComparison({
      mode: "qos1", publishers: 50, subscribers: 0, payload: 64, window: 1,
      ours, peer: { label: "aedes", server: { script: "aedes-mqtt.js", config: { nodelay: true } } },
    });
  },
};
