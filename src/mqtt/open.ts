// How an MQTT connection is opened: the transport spec with the MQTT layer's factory,
// used by mqttListen(), mqttConnect() and the public Manager for mqtt:// and mqtts://.
import type { OpenSpec } from "../core/manager.js";
import type { CoreOptions } from "../core/options.js";
import { MqttLayer } from "./layer.js";
import { createMqttState, type MqttConnState, type MqttOptions } from "./state.js";

/** Server side: checks the options; every accepted connection gets an MQTT layer. */
export function mqttServerSpec(tls: boolean, opts: MqttOptions): OpenSpec {
  createMqttState(opts, true); // throws on a bad option, here and now
  return { udp: false, tls, layer: (c) => new MqttLayer(c, createMqttState(opts, true)) };
}

/** Client side: the connection's MQTT layer uses `st` (made by mqttConnect). */
export function mqttClientSpec(tls: boolean, st: MqttConnState): OpenSpec {
  return { udp: false, tls, layer: (c) => new MqttLayer(c, st) };
}

/**
 * A transport other than TCP and TLS that carries MQTT (MQTT over WebSocket,
 * src/mqttws, which the public Manager passes in: this folder knows no WebSocket). Its
 * URL schemes, and the specs that give its connections their layers.
 */
export interface MqttCarrier {
  readonly schemes: readonly string[];
  /** Client: the spec for `url`, with the connection options left once the carrier took its own from `o`. */
  clientSpec(url: string, st: MqttConnState, o: CoreOptions): { spec: OpenSpec; connOpts: CoreOptions };
  /** Server: the listener's spec (checks the options). */
  serverSpec(url: string, o: MqttOptions & CoreOptions): OpenSpec;
}
