// The MQTT client: connects (mqtt:// or, through the TLS layer, mqtts://), sends
// CONNECT at once (it is queued before anything the application sends), and reports
// the CONNACK's return code as MG_EV_MQTT_OPEN.
import type { Connection } from "../core/connection.js";
import type { Manager } from "../core/manager.js";
import type { EventHandler } from "../core/events.js";
import type { ConnectionOptions } from "../core/options.js";
import type { MqttProperty } from "./message.js";
import { buildConnect } from "./builder.js";
import { mqttProto } from "./layer.js";
import { createMqttState, DEFAULT_CONNECT_TIMEOUT_MS, sendPacket } from "./state.js";
import { urlPass, urlScheme, urlUser } from "../util/url.js";
import { randomStr } from "../util/random.js";
import { millis } from "../util/time.js";

export interface MqttWillOptions {
  topic: string;
  message: string | Uint8Array;
  qos?: number;
  retain?: boolean;
  /** MQTT 5 will properties (will delay interval, message expiry, ...). */
  props?: MqttProperty[];
}

/** Options of Manager.mqttConnect(): connection options plus the CONNECT packet's. */
export interface MqttConnectOptions extends ConnectionOptions {
  /** Client identifier; a random one when empty or omitted. */
  clientId?: string;
  /** User name (default: the URL's user). */
  user?: string;
  /** Password (default: the URL's password). */
  pass?: string | Uint8Array;
  /** Keep alive in seconds (default 60; 0: off). PINGREQ goes out when the client was idle that long. */
  keepAlive?: number;
  /** Clean session / clean start (default true). */
  clean?: boolean;
  will?: MqttWillOptions;
  /** Protocol level: 4 (MQTT 3.1.1, default) or 5 (MQTT 5.0). */
  version?: 4 | 5;
  /** MQTT 5 CONNECT properties (session expiry, receive maximum, user properties, ...). */
  props?: MqttProperty[];
  /** Time allowed from mqttConnect() to the CONNACK. Default 30 s. */
  connectTimeoutMs?: number;
}

export const DEFAULT_KEEPALIVE_S = 60;

/** Connects to an MQTT server. See Manager.mqttConnect(). */
export function mqttConnect(manager: Manager, url: string, handlerOrOpts?: EventHandler | MqttConnectOptions, opts?: MqttConnectOptions): Connection {
  const handler = typeof handlerOrOpts === "function" ? handlerOrOpts : undefined;
  const o: MqttConnectOptions = typeof handlerOrOpts === "function" ? (opts ?? {}) : { ...(handlerOrOpts ?? {}), ...(opts ?? {}) };
  const scheme = urlScheme(url);
  if (scheme !== "mqtt" && scheme !== "mqtts" && scheme !== "tcp" && scheme !== "tls" && scheme !== "ssl") {
    throw new Error(`mqttConnect: expected an mqtt:// or mqtts:// URL, got ${url}`);
  }
  const { clientId, user, pass, keepAlive, clean, will, version, props, connectTimeoutMs, ...connOpts } = o;
  const v = version ?? 4;
  if (v !== 4 && v !== 5) throw new Error(`mqttConnect: version must be 4 or 5, got ${String(v)}`);
  const ka = keepAlive ?? DEFAULT_KEEPALIVE_S;
  const timeout = connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (!(timeout > 0)) throw new Error(`mqttConnect: connectTimeoutMs must be positive, got ${timeout}`);
  const urlU = urlUser(url), urlP = urlPass(url);
  // Built before connecting, so bad options throw here and no connection is left behind.
  const packet = buildConnect({
    version: v,
    clientId: clientId !== undefined && clientId !== "" ? clientId : `tsmongoose-${randomStr(12)}`,
    user: user ?? (urlU !== "" ? urlU : undefined),
    pass: pass ?? (urlP !== "" ? urlP : undefined),
    keepAlive: ka,
    clean: clean ?? true,
    will: will === undefined ? undefined : { topic: will.topic, message: will.message, qos: will.qos ?? 0, retain: will.retain === true, props: will.props },
    props,
  });
  const c = manager.connect(url, handler, { ...connOpts, http: false });
  const st = createMqttState(c, false, v);
  st.keepAliveMs = ka * 1000;
  st.connectDeadline = millis() + timeout;
  c._mqtt = st;
  c._proto = mqttProto;
  sendPacket(c, st, packet);
  return c;
}
