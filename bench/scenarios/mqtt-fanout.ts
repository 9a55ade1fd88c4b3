// MQTT fan-out, messages delivered per second: 10 publishers (QoS 0, 64 B, 8 messages in
// flight each) and 50 subscribers on a wildcard filter, our MqttBroker vs mosquitto
// (default TCP settings: Nagle's algorithm on, its faster setting here).
import type { Scenario } from "../lib/types.js";
import { mqttComparison } from "../lib/mqtt-scenario.js";

export const mqttFanout: Scenario = {
  id: "mqtt-fanout",
  title: "MQTT fan-out, 10 pub x 50 sub, 64 B QoS 0",
  unit: "msg/s",
  target: 1.0,
  needs: ["mosquitto"],
  async prepare() {
    return mqttComparison({
      publishers: 10, subscribers: 50, payload: 64, window: 8,
      ours: { label: "tsmongoose", server: { script: "ours-mqtt.js", config: {} } },
      peer: { label: "mosquitto", server: { script: "mosquitto-peer.js", config: { nodelay: false } } },
    });
  },
};
