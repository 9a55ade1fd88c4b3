// The MQTT client: connects (mqtt:// or, through the TLS layer, mqtts://), sends
// CONNECT at once (it is queued before anything the application sends), and reports
// the CONNACK's return code as MG_EV_MQTT_OPEN.
import type { CoreConnection as Connection, CoreHandler } from "../core/connection.js";
import type { CoreManager } from "../core/manager.js";
import type { CoreOptions } from "../core/options.js";
import type { MqttProperty } from "./props.js";
import { buildConnect } from "./builder.js";
import { mqttClientSpec, type MqttCarrier } from "./open.js";
import { createMqttState, DEFAULT_CONNECT_TIMEOUT_MS, sendPacket, type MqttClientAuth, type MqttOptions } from "./state.js";
import {
  MQTT_CMD_CONNECT, MQTT_PROP_AUTHENTICATION_DATA, MQTT_PROP_AUTHENTICATION_METHOD, MQTT_PROP_SESSION_EXPIRY_INTERVAL, MQTT_PROP_TOPIC_ALIAS_MAXIMUM,
} from "./constants.js";
import { urlIsSsl, urlPass, urlScheme, urlUser } from "../util/url.js";
import { MgError, optionError } from "../util/errors.js";
import { checkSendProps } from "./send-props.js";
import { PROPS_WILL } from "./props.js";
import { MqttClientSession } from "./session.js";
import { checkOptionTable, is, splitHandlerArgs, optBool, optFunction, optIntIn, optPositiveInt, type OptionTable } from "../util/check.js";
import { randomStr } from "../util/random.js";
import { millis } from "../util/time.js";

/** The will message of `mqttConnect()`: published by the broker when this client goes away without DISCONNECT. */
export interface MqttWillOptions {
  /** The will's topic. */
  topic: string;
  /** The will's payload (strings are UTF-8). */
  message: string | Uint8Array;
  /** QoS of the will: 0 (default), 1 or 2. */
  qos?: number;
  /** Publish the will as a retained message (default false). */
  retain?: boolean;
  /** MQTT 5 will properties (will delay interval, message expiry, ...). */
  props?: MqttProperty[];
}

/** Options of Manager.mqttConnect(): connection options plus the CONNECT packet's. */
export interface MqttConnectOptions extends CoreOptions, MqttOptions {
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
  /** The will message (default: none). */
  will?: MqttWillOptions;
  /** Protocol level: 4 (MQTT 3.1.1, default) or 5 (MQTT 5.0). */
  version?: 4 | 5;
  /** MQTT 5 CONNECT properties (session expiry, receive maximum, user properties, ...). */
  props?: MqttProperty[];
  /** Time allowed from mqttConnect() to the CONNACK. Default 30 s. */
  connectTimeoutMs?: number;
  /** MQTT 5: Session Expiry Interval in seconds (0xFFFFFFFF: never); with `clean: false` a reconnect resumes the session. */
  sessionExpiry?: number;
  /** MQTT 5: topic aliases the server may use towards us (CONNECT Topic Alias Maximum; default 0: none). The layer resolves them: `msg.topic` is always the topic. */
  topicAliasMaximum?: number;
  /** MQTT 5: publish with topic aliases, up to the server's CONNACK Topic Alias Maximum (default false). */
  useTopicAliases?: boolean;
  /** MQTT 5: QoS 1/2 publishes that may wait for the server's Receive Maximum (default 1000); past it mqttPub throws. */
  maxQueuedPublishes?: number;
  /** MQTT 5 enhanced authentication: the Authentication Method (and first Authentication Data) sent in CONNECT. */
  authMethod?: string;
  /** MQTT 5 enhanced authentication: the first Authentication Data sent in CONNECT (needs `authMethod`). */
  authData?: string | Uint8Array;
  /** MQTT 5 enhanced authentication: answers each AUTH 0x18 of the server (before CONNACK and on re-authentication). */
  auth?: MqttClientAuth;
  /**
   * The client's session state, shared by the connections of one client (session.ts):
   * with `clean: false` a reconnect resends our unacknowledged QoS 1/2 PUBLISHes (DUP=1)
   * and PUBRELs when the CONNACK says Session Present 1, and drops them (listed in
   * `session.dropped`) when it says 0. Without it a connection's in-flight state ends with it.
   */
  session?: MqttClientSession;
}

export const DEFAULT_KEEPALIVE_S = 60;

/** The CONNECT packet's options whose type the checks below do not cover (numbers and flags are read with their defaults). */
const CONNECT_OPTIONS: OptionTable = {
  clientId: is.string,
  user: is.string,
  pass: is.bytes,
  will: is.object,
  "will.topic": is.requiredString,
  "will.message": is.requiredBytes,
  "will.qos": is.intIn(0, 2),
  "will.retain": is.boolean,
  "will.props": is.array,
  props: is.array,
  authMethod: is.string,
  authData: is.bytes,
};

/**
 * Connects to an MQTT server. See Manager.mqttConnect(). `carrier` adds the schemes of
 * another transport (ws:// and wss://: MQTT over WebSocket).
 */
export function mqttConnect(manager: CoreManager, url: string, handlerOrOpts?: CoreHandler | MqttConnectOptions, opts?: MqttConnectOptions, carrier?: MqttCarrier): Connection {
  const [handler, o] = splitHandlerArgs<CoreHandler, MqttConnectOptions>(handlerOrOpts, opts, "mqttConnect");
  const scheme = typeof url === "string" && url.includes("://") ? urlScheme(url) : "";
  const carried = carrier !== undefined && carrier.schemes.includes(scheme);
  if (!carried && scheme !== "mqtt" && scheme !== "mqtts" && scheme !== "tcp" && scheme !== "tls" && scheme !== "ssl") {
    throw new MgError("ERR_INVALID_URL", `mqttConnect: expected an mqtt:// or mqtts:// URL${carrier === undefined ? "" : " (or ws://, wss://)"}, got ${String(url)}`);
  }
  const {
    clientId, user, pass, keepAlive, clean, will, version, props, connectTimeoutMs, sessionExpiry, topicAliasMaximum,
    useTopicAliases, maxQueuedPublishes, authMethod, authData, auth, session, ...connOpts
  } = o;
  checkOptionTable(o, CONNECT_OPTIONS);
  const v = optIntIn(o, "version", 4, 4, 5);
  const ka = optIntIn(o, "keepAlive", DEFAULT_KEEPALIVE_S, 0, 65535);
  const timeout = optPositiveInt(o, "connectTimeoutMs", DEFAULT_CONNECT_TIMEOUT_MS);
  optBool(o, "clean", true);
  const expiry = optIntIn(o, "sessionExpiry", 0, 0, 0xffffffff);
  let aliasMax = optIntIn(o, "topicAliasMaximum", 0, 0, 65535);
  const useAliases = optBool(o, "useTopicAliases", false);
  const maxQueued = optIntIn(o, "maxQueuedPublishes", 1000, 0, 65535);
  const authCb = optFunction<MqttClientAuth>(o, "auth");
  if (session !== undefined && !(session instanceof MqttClientSession)) throw optionError("session", "an MqttClientSession", session);
  const v5only = sessionExpiry !== undefined || topicAliasMaximum !== undefined || useTopicAliases === true || authMethod !== undefined || authData !== undefined || auth !== undefined;
  if (v5only && v < 5) throw new MgError("ERR_INVALID_OPTION", "mqttConnect options sessionExpiry, topicAliasMaximum, useTopicAliases, authMethod, authData and auth need version 5");
  // The options become CONNECT properties; the same properties given in `props` count as well.
  const all: MqttProperty[] = [...(props ?? [])];
  const has = (id: number): MqttProperty | undefined => all.find((p) => p.id === id);
  if (sessionExpiry !== undefined && has(MQTT_PROP_SESSION_EXPIRY_INTERVAL) === undefined) all.push({ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: expiry });
  if (aliasMax > 0 && has(MQTT_PROP_TOPIC_ALIAS_MAXIMUM) === undefined) all.push({ id: MQTT_PROP_TOPIC_ALIAS_MAXIMUM, iv: aliasMax });
  aliasMax = has(MQTT_PROP_TOPIC_ALIAS_MAXIMUM)?.iv ?? 0;
  if (authMethod !== undefined && has(MQTT_PROP_AUTHENTICATION_METHOD) === undefined) all.push({ id: MQTT_PROP_AUTHENTICATION_METHOD, val: authMethod });
  if (authData !== undefined) {
    if (has(MQTT_PROP_AUTHENTICATION_METHOD) === undefined) throw new MgError("ERR_INVALID_OPTION", "mqttConnect option authData needs authMethod");
    all.push({ id: MQTT_PROP_AUTHENTICATION_DATA, bin: typeof authData === "string" ? Buffer.from(authData) : authData });
  }
  const method = has(MQTT_PROP_AUTHENTICATION_METHOD)?.val;
  const urlU = urlUser(url), urlP = urlPass(url);
  if (v >= 5) { checkSendProps(MQTT_CMD_CONNECT, all, "mqttConnect"); checkSendProps(PROPS_WILL, will?.props, "mqttConnect will"); }
  // Built before connecting, so bad options throw here and no connection is left behind.
  const packet = buildConnect({
    version: v,
    clientId: clientId !== undefined && clientId !== "" ? clientId : `tsmongoose-${randomStr(12)}`,
    user: user ?? (urlU !== "" ? urlU : undefined),
    pass: pass ?? (urlP !== "" ? urlP : undefined),
    keepAlive: ka,
    clean: clean ?? true,
    will: will === undefined ? undefined : { topic: will.topic, message: will.message, qos: will.qos ?? 0, retain: will.retain === true, props: will.props },
    props: all,
  });
  const st = createMqttState(o, false, v);
  st.aliasInMax = aliasMax;
  st.useAliases = useAliases;
  st.maxQueuedPubs = maxQueued;
  st.authMethod = method;
  st.auth = authCb;
  st.keepAliveMs = ka * 1000;
  st.connectDeadline = millis() + timeout;
  st.cleanStart = clean ?? true;
  if (session !== undefined) {
    // Its identifiers stay reserved until the CONNACK says whether they are resent.
    st.session = session;
    st.qos2In = session._qos2In;
    st.nextId = session._nextId;
    for (const id of session._entries.keys()) { st.resumeIds.push(id); st.inflight.add(id); }
  }
  const { spec, connOpts: rest } = carried ? carrier!.clientSpec(url, st, connOpts) : { spec: mqttClientSpec(urlIsSsl(url), st), connOpts };
  const c = manager._connect(url, handler, rest, spec);
  sendPacket(c, st, packet); // (over a carrier, held until its handshake is done)
  return c;
}
