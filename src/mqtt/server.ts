// The server side of the layer (Mongoose's mg_mqtt_listen): accepted connections parse
// packets and deliver MG_EV_MQTT_CMD / MG_EV_MQTT_MSG; the application answers CONNECT,
// SUBSCRIBE and PINGREQ itself (mqttConnack, mqttSuback, mqttPong, or mqttSendHeader + send).
import type { CoreConnection as Connection, CoreHandler } from "../core/connection.js";
import { checkUrl, type CoreManager } from "../core/manager.js";
import type { CoreOptions } from "../core/options.js";
import { mqttServerSpec, type MqttCarrier } from "./open.js";
import type { MqttOptions } from "./state.js";
import { urlIsSsl } from "../util/url.js";
import { MgError } from "../util/errors.js";
import { splitHandlerArgs } from "../util/check.js";

/** Options of mqttListen(). */
export interface MqttListenOptions extends CoreOptions, MqttOptions {}

/**
 * Listens for MQTT clients. See Manager.mqttListen(). `carrier` adds the schemes of
 * another transport (ws:// and wss://: MQTT over WebSocket).
 */
export function mqttListen(manager: CoreManager, url: string, handlerOrOpts?: CoreHandler | MqttListenOptions, opts?: MqttListenOptions, carrier?: MqttCarrier): Connection {
  const [handler, o] = splitHandlerArgs<CoreHandler, MqttListenOptions>(handlerOrOpts, opts, "mqttListen");
  const scheme = checkUrl(url, "mqttListen");
  if (carrier !== undefined && carrier.schemes.includes(scheme)) return manager._listen(url, handler, o, carrier.serverSpec(url, o));
  if (scheme !== "mqtt" && scheme !== "mqtts" && scheme !== "tcp" && scheme !== "tls" && scheme !== "ssl") {
    throw new MgError("ERR_INVALID_URL", `mqttListen: expected an mqtt:// or mqtts:// URL${carrier === undefined ? "" : " (or ws://, wss://)"}, got ${url}`);
  }
  return manager._listen(url, handler, o, mqttServerSpec(urlIsSsl(url), o));
}
