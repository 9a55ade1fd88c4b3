// MQTT QoS 1 round trips per second: 50 clients, each subscribed to its own topic at QoS 1
// and publishing 64-byte QoS 1 messages to it, one in flight (PUBLISH, then the broker's
// PUBACK and its PUBLISH back, which the client acknowledges), our MqttBroker vs mosquitto
// (with TCP_NODELAY, its faster setting here: see servers/mosquitto-peer.ts).
import type { Scenario } from "../lib/types.js";
import { mqttComparison } from "../lib/mqtt-scenario.js";

export const mqttQos1: Scenario = {
  id: "mqtt-qos1",
  title: "MQTT QoS 1 round trips, 50 clients, 64 B",
  unit: "msg/s",
  target: 1.0,
  targetFrom: "issue 14",
  needs: ["mosquitto"],
  async prepare() {
    return mqttComparison({
      mode: "qos1", publishers: 50, subscribers: 0, payload: 64, window: 1,
      ours: { label: "tsmongoose", server: { script: "ours-mqtt.js", config: {} } },
      peer: { label: "mosquitto", server: { script: "mosquitto-peer.js", config: { nodelay: true } } },
    });
  },
};
