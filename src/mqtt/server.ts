// The server side of the layer (Mongoose's mg_mqtt_listen): accepted connections parse
// packets and deliver MG_EV_MQTT_CMD / MG_EV_MQTT_MSG; the application answers CONNECT,
// SUBSCRIBE and PINGREQ itself (mqttConnack, mqttSuback, mqttPong, or mqttSendHeader + send).
import type { Connection } from "../core/connection.js";
import type { Manager } from "../core/manager.js";
import type { EventHandler } from "../core/events.js";
import type { ConnectionOptions } from "../core/options.js";

/** Listens for MQTT clients. See Manager.mqttListen(). */
export function mqttListen(manager: Manager, url: string, handlerOrOpts?: EventHandler | ConnectionOptions, opts?: ConnectionOptions): Connection {
  const handler = typeof handlerOrOpts === "function" ? handlerOrOpts : undefined;
  const o: ConnectionOptions = typeof handlerOrOpts === "function" ? (opts ?? {}) : { ...(handlerOrOpts ?? {}), ...(opts ?? {}) };
  return manager.listen(url, handler, { ...o, http: false, mqtt: true });
}
