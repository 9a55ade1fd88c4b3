// The server side of MQTT over WebSocket: the upgrade of one HTTP request to an MQTT
// connection (conn.mqttWsUpgrade(), for an application's own HTTP server), and the
// listener of mqttListen("ws://...") / MqttBroker, whose HTTP layer upgrades every
// request by itself.
import type { CoreConnection as Connection } from "../core/connection.js";
import type { OpenSpec } from "../core/manager.js";
import type { CoreOptions } from "../core/options.js";
import { HttpLayer, httpLayerOf } from "../http/layer.js";
import { HTTP_ALPN } from "../http/open.js";
import { httpSettings, type HttpLimits } from "../http/options.js";
import { httpReply, type HeadersInit } from "../http/reply.js";
import { MG_EV_HTTP_MSG } from "../http/events.js";
import type { HttpMessage } from "../http/message.js";
import { wsAccept } from "../ws/layer.js";
import { checkWsOptions, type WsOptions } from "../ws/options.js";
import { createMqttState, type MqttOptions } from "../mqtt/state.js";
import { MgError } from "../util/errors.js";
import { urlScheme, urlUri } from "../util/url.js";
import { MqttWsLayer } from "./layer.js";

/**
 * The subprotocol to answer with [MQTT-6.0.0-4]: "mqtt" when offered; "mqttv3.1" for
 * clients of MQTT 3.1 that offer only it (as mosquitto does); otherwise the upgrade is
 * refused with 400 (a 101 without "mqtt" would break the rule, and mosquitto's answer
 * to such a client, a WebSocket that never speaks MQTT, helps nobody).
 */
function chooseMqtt(offered: string[]): string | false {
  if (offered.includes("mqtt")) return "mqtt";
  if (offered.includes("mqttv3.1")) return "mqttv3.1";
  return false;
}

/**
 * Server: answers a WebSocket upgrade request with 101 (subprotocol "mqtt") and turns
 * the connection into an MQTT connection carried in binary WebSocket messages; MQTT
 * events follow (no MG_EV_WS_OPEN). The MQTT and WebSocket options are the
 * listener's. A request that is not a valid upgrade, or offers no "mqtt" subprotocol,
 * gets 400 (or 426) and the connection closes: returns false.
 */
export function mqttWsUpgrade(c: Connection, msg: HttpMessage, extra?: HeadersInit): boolean {
  const http = httpLayerOf(c);
  if (http === undefined) throw new MgError("ERR_WRONG_CONN", `mqttWsUpgrade: connection ${c.id} does not speak HTTP`);
  const st = createMqttState(http.connOpts as MqttOptions, true); // (a bad option throws before anything is answered)
  const ws = wsAccept(c, msg, extra, "mqttWsUpgrade", chooseMqtt);
  if (ws === undefined) return false;
  c.setLayer(new MqttWsLayer(c, st, ws));
  c.isWebsocket = true;
  return true;
}

/**
 * The HTTP layer of connections accepted by an MQTT-over-WebSocket listener: each
 * request is upgraded as soon as it is complete (before the handler sees it), on any
 * path, or only on `path` when the listen URL has one (others get 404).
 */
class MqttWsHttpLayer extends HttpLayer {
  constructor(c: Connection, s: ReturnType<typeof httpSettings>, connOpts: object, readonly path: string | undefined) {
    super(c, s, connOpts);
  }

  override onEvent(c: Connection, ev: number, data: unknown): void {
    super.onEvent(c, ev, data);
    if (ev !== MG_EV_HTTP_MSG || !this.isServer || c.layer !== this || !c.canSend || this.responded) return;
    const msg = data as HttpMessage;
    if (this.path !== undefined && msg.uri !== this.path) {
      httpReply(c, 404, "Not Found\n", { Connection: "close" });
      c.drain();
      return;
    }
    mqttWsUpgrade(c, msg);
  }
}

/** The listener's spec for ws:// and wss:// (checks the HTTP, WebSocket and MQTT options now). */
export function mqttWsServerSpec(url: string, opts: MqttOptions & CoreOptions): OpenSpec {
  // (The listener's options are every layer's: mqttListen takes ConnectionOptions.)
  const o = opts as MqttOptions & CoreOptions & HttpLimits & WsOptions;
  const s = httpSettings(o);
  checkWsOptions(o);
  createMqttState(o, true);
  const uri = urlUri(url);
  const path = uri === "" || uri === "/" ? undefined : uri;
  const scheme = urlScheme(url);
  return {
    udp: false, tls: scheme === "wss" || scheme === "https", alpn: HTTP_ALPN,
    layer: (c) => new MqttWsHttpLayer(c, s, o, path),
  };
}
