// The client side of MQTT over WebSocket: mqttConnect("ws://host:port/path") opens a
// WebSocket offering the subprotocol "mqtt" [MQTT-6.0.0-3]; the CONNECT that
// mqttConnect queues goes out in the first binary frame once the 101 has arrived.
import type { OpenSpec } from "../core/manager.js";
import type { CoreOptions } from "../core/options.js";
import type { MqttConnectOptions } from "../mqtt/client.js";
import type { MqttConnState } from "../mqtt/state.js";
import type { HeadersInit } from "../http/reply.js";
import { wsClientState } from "../ws/client.js";
import type { WsOptions } from "../ws/state.js";
import { MqttWsLayer } from "./layer.js";

/**
 * Options of Manager.mqttConnect() for ws:// and wss:// URLs: those of every MQTT
 * connection, plus the WebSocket handshake's.
 */
export interface MqttWsConnectOptions extends MqttConnectOptions, Pick<WsOptions, "wsMaxMessageSize" | "wsDeflate" | "wsCloseTimeoutMs" | "wsMaxFragments"> {
  /** Extra headers of the upgrade request (Authorization, Cookie, Origin, ...). */
  headers?: HeadersInit;
  /** Time allowed from mqttConnect() to the server's 101 response. Default 30 s. */
  handshakeTimeoutMs?: number;
}

/** The client's spec: a WebSocket handshake offering "mqtt", then the MQTT layer over it. */
export function mqttWsClientSpec(url: string, st: MqttConnState, o: CoreOptions): { spec: OpenSpec; connOpts: CoreOptions } {
  // The subprotocol is not the application's choice here [MQTT-6.0.0-3].
  const { st: ws, wss, connOpts } = wsClientState(url, { ...o, protocols: ["mqtt"] });
  return { spec: { udp: false, tls: wss, layer: (c) => new MqttWsLayer(c, st, ws) }, connOpts };
}
