// Options of the MQTT layer, checked where they are given (mqttListen, mqttConnect,
// mqtt:// URLs, MqttBroker).
import { createMqttState, type MqttOptions } from "./state.js";

export type { MqttOptions };

/** Throws an MgError (ERR_INVALID_OPTION) naming the first bad MQTT option of `o`. */
export function checkMqttOptions(o: MqttOptions): void {
  createMqttState(o, true);
}
