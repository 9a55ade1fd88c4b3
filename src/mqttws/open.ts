// MQTT over WebSocket as a carrier of the MQTT layer (mqtt/open.ts): the schemes it adds
// to mqttConnect() and mqttListen(), and the specs for them.
import type { MqttCarrier } from "../mqtt/open.js";
import { mqttWsClientSpec } from "./client.js";
import { mqttWsServerSpec } from "./server.js";

export const MQTT_WS_CARRIER: MqttCarrier = {
  schemes: ["ws", "wss"],
  clientSpec: mqttWsClientSpec,
  serverSpec: mqttWsServerSpec,
};
