// MqttBroker's options: their defaults, their checks, and the MQTT 5 CONNACK properties
// that announce them (section 3.2.2.3).
import type { ConnectionOptions } from "../options.js";
import { MgError } from "../util/errors.js";
import { checkOptionTable, checkOptionsObject, is, optBool, optIntIn, optionKind, type OptionTable } from "../util/check.js";
import {
  MQTT_PROP_MAXIMUM_PACKET_SIZE, MQTT_PROP_MAXIMUM_QOS, MQTT_PROP_RECEIVE_MAXIMUM, MQTT_PROP_RETAIN_AVAILABLE,
  MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE, MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE, MQTT_PROP_TOPIC_ALIAS_MAXIMUM,
  MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE,
} from "../mqtt/constants.js";
import type { MqttProperty } from "../mqtt/message.js";
import { DEFAULT_MAX_PACKET_SIZE } from "../mqtt/state.js";
import type { MqttStore } from "./broker-store.js";
import type { MqttFileStoreOptions } from "./broker-file-store.js";
import type { MqttClusterOptions } from "./cluster/cluster-options.js";

/**
 * `persistence` of MqttBrokerOptions: `{ dir, fsync?, fsyncIntervalMs?, compactBytes? }`
 * for the embedded log (MqttFileStore), or `{ store }` for a store of yours.
 */
export type MqttPersistenceOptions =
  | (MqttFileStoreOptions & {
    /** Not with `dir`: the embedded log is the store. */
    store?: undefined;
  })
  | {
    /** Your store: the broker calls it on every change of what must survive a restart. */
    store: MqttStore;
    /** Not with `store`. */
    dir?: undefined;
  };

/** One step of an exchange, as the hook sees it. */
export interface MqttAuthRequest {
  /** The client identifier of the CONNECT. */
  clientId: string;
  /** The Authentication Method of the CONNECT. */
  method: string;
  /** Authentication Data of the CONNECT (step 0) or of the client's AUTH. */
  data: Buffer | undefined;
  /** 0 for the CONNECT (or the AUTH 0x19 starting a re-authentication), then 1, 2, ... */
  step: number;
  /** True for a re-authentication of a connected client (AUTH 0x19). */
  reauth: boolean;
  /** Yours to keep between the steps of one exchange (starts undefined). */
  state: unknown;
}

/**
 * What the hook answers: `continue` sends AUTH 0x18 with `data`; `success` completes
 * (CONNACK 0, or AUTH 0x00 on re-authentication) with optional `data`; `fail` refuses
 * (CONNACK 0x87 / DISCONNECT 0x87).
 */
export type MqttAuthResult =
  | {
    /** Another step: AUTH 0x18 (continue authentication) goes to the client. */
    status: "continue";
    /** The Authentication Data of that AUTH. */
    data?: Uint8Array;
  }
  | {
    /** Accepted: CONNACK 0, or AUTH 0x00 on re-authentication. */
    status: "success";
    /** Authentication Data sent with it. */
    data?: Uint8Array;
  }
  | {
    /** Refused: CONNACK 0x87 / DISCONNECT 0x87 (not authorized). */
    status: "fail";
  };

/** Return undefined at step 0 for a method you do not support (CONNACK 0x8C). */
export type MqttAuthHook = (req: MqttAuthRequest) => MqttAuthResult | undefined;

/** What `authorize` is asked about: publishing to a topic or subscribing to a filter. */
export type MqttAction = "publish" | "subscribe";

/** Options of `new MqttBroker(manager, options)`: where to listen, the hooks, limits and persistence, plus every connection option. */
export interface MqttBrokerOptions extends Omit<ConnectionOptions, "mqttManualAcks"> {
  /** Refused (ERR_INVALID_OPTION): the broker acknowledges every QoS 1/2 PUBLISH itself. */
  mqttManualAcks?: never;
  /**
   * Where to listen: mqtt://host:port, mqtts:// with `tls`, ws:// or wss:// (MQTT over
   * WebSocket, any path or only the URL's path). A list listens on each: one broker
   * for clients of every transport; `tls` then goes to the TLS ones (mqtts://, wss://) only.
   */
  listen: string | readonly string[];
  /** Accepts or refuses a CONNECT (default: everyone). Refused: CONNACK 4 (3.1.1) / 0x86 (5.0). */
  authenticate?: (user: string | undefined, pass: string | undefined, clientId: string) => boolean;
  /**
   * Allows a client to publish to a topic or subscribe to a filter (default: everything).
   * A refused subscription gets 0x87 (not authorized) in an MQTT 5 SUBACK, or the reason
   * code returned instead of false (0x80 and up; 3.1.1 always gets 0x80).
   */
  authorize?: (clientId: string, topic: string, action: MqttAction) => boolean | number;
  /** MQTT 5 enhanced authentication (AUTH exchange); without it an Authentication Method gets CONNACK 0x8C. */
  auth?: MqttAuthHook;
  /** QoS 1/2 messages queued per session (client away, or its window full); the oldest go first. Default 1000. */
  maxQueuedMessages?: number;
  /** Bytes (topics and payloads) queued per session; the oldest go first. Default 16 MiB. */
  maxQueuedBytes?: number;
  /** Unacknowledged QoS 1/2 deliveries per client (an MQTT 5 client's Receive Maximum can lower it). Default 100. */
  maxInflightMessages?: number;
  /** While more bytes than this wait to be written to a client, its QoS 0 messages are dropped and QoS 1/2 queued. Default 1 MiB. */
  maxSendQueueBytes?: number;
  /** QoS 2 messages a client may have unreleased (MQTT 5 Receive Maximum, announced in CONNACK). Default 100. */
  receiveMaximum?: number;
  /** Topic aliases an MQTT 5 client may use (Topic Alias Maximum in CONNACK; 0 refuses aliases). Default 10. */
  topicAliasMaximum?: number;
  /** Use topic aliases towards MQTT 5 clients that allow them (their Topic Alias Maximum). Default true. */
  outboundTopicAliases?: boolean;
  /** Longest session kept after a disconnect, in seconds (3.1.1 persistent sessions included). Default: no limit. */
  maxSessionExpiry?: number;
  /** Largest keep alive, in seconds: MQTT 5 clients asking more (or 0) get this as Server Keep Alive. Default: none. */
  maxKeepAlive?: number;
  /** Highest QoS accepted from clients (0, 1 or 2). Default 2. */
  maxQos?: number;
  /** Retained messages kept (false: a retained PUBLISH is refused, MQTT 5 0x9A). Default true. */
  retainAvailable?: boolean;
  /** Subscriptions with "+" or "#" allowed. Default true. */
  wildcardSubscriptions?: boolean;
  /** MQTT 5 subscription identifiers allowed. Default true. */
  subscriptionIdentifiers?: boolean;
  /** Shared subscriptions ($share/group/filter) allowed. Default true. */
  sharedSubscriptions?: boolean;
  /** A connection that sends no CONNECT within this time is closed. Default 10 s. */
  connectTimeoutMs?: number;
  /** Retained messages and persistent sessions survive a restart (docs/mqtt.md, Persistence). Default: kept in memory only. */
  persistence?: MqttPersistenceOptions;
  /** Seconds between $SYS/broker/... updates (0: none). Default 0. */
  sysInterval?: number;
  /**
   * Run as one node of a cluster of brokers on Redis: messages, retained messages and
   * persistent sessions are shared with the other nodes (docs/scaling.md). Not with `persistence`.
   */
  cluster?: MqttClusterOptions;
}

/** The broker's limits once checked and defaulted. */
export interface BrokerLimits {
  maxQueued: number;
  maxQueuedBytes: number;
  maxInflight: number;
  maxSendQueue: number;
  receiveMaximum: number;
  topicAliasMaximum: number;
  outboundAliases: boolean;
  maxSessionExpiry: number;
  maxKeepAlive: number;
  maxQos: number;
  retain: boolean;
  wildcards: boolean;
  subIds: boolean;
  shared: boolean;
  connectTimeoutMs: number;
  sysInterval: number;
  maxPacket: number;
  /** CONNACK properties every MQTT 5 client gets. */
  connackProps: MqttProperty[];
}

/** Session Expiry Interval meaning "never" (section 3.1.2.11.2). */
export const EXPIRY_NEVER = 0xffffffff;

/** What prefixes the messages of the broker's option checks. */
const W = "MqttBroker";

const LISTEN_ALLOWED = 'a URL ("mqtt://0.0.0.0:1883", mqtts://, ws://, wss://) or a non-empty list of them';

/**
 * The broker's own options besides the limits (checked by brokerLimits), `persistence`
 * (storeOf) and `cluster` (clusterConfig); the connection options are checked by
 * mqttListen, as listen() does. Unknown names are let through, as listen() does.
 */
const BROKER_OPTIONS: OptionTable = {
  listen: optionKind(LISTEN_ALLOWED, (v) => (typeof v === "string" && v !== "") ||
    (Array.isArray(v) && v.length > 0 && v.every((u) => typeof u === "string" && u !== "")), true),
  authenticate: is.function,
  authorize: is.function,
  auth: is.function,
};

/** Checks the options object and the broker's own options; throws ERR_INVALID_OPTION naming the first bad one. */
export function checkBrokerOptions(opts: unknown): asserts opts is MqttBrokerOptions {
  if (opts === undefined || opts === null) {
    throw new MgError("ERR_INVALID_OPTION", `${W}: options are required, at least listen: new MqttBroker(manager, { listen: "mqtt://0.0.0.0:1883" })`);
  }
  checkOptionsObject(opts, `${W} options`);
  checkOptionTable(opts as object, BROKER_OPTIONS, W);
}

export function brokerLimits(o: MqttBrokerOptions): BrokerLimits {
  // The broker answers every QoS 1/2 PUBLISH itself (after authorize, routing and, with
  // persistence, the store): an application ack per message has no handler to come from.
  if ((o as { mqttManualAcks?: unknown }).mqttManualAcks !== undefined) {
    throw new MgError("ERR_INVALID_OPTION", `${W}: option mqttManualAcks is not accepted: the broker acknowledges every QoS 1/2 PUBLISH itself (use the authorize hook to refuse one, or mqttListen() with your own handler to ack by hand)`);
  }
  const l: BrokerLimits = {
    maxQueued: optIntIn(o, "maxQueuedMessages", 1000, 0, 2 ** 31, W),
    maxQueuedBytes: optIntIn(o, "maxQueuedBytes", 16 * 1024 * 1024, 0, 2 ** 48, W),
    maxInflight: optIntIn(o, "maxInflightMessages", 100, 1, 65535, W),
    maxSendQueue: optIntIn(o, "maxSendQueueBytes", 1024 * 1024, 0, 2 ** 48, W),
    receiveMaximum: optIntIn(o, "receiveMaximum", 100, 1, 65535, W),
    topicAliasMaximum: optIntIn(o, "topicAliasMaximum", 10, 0, 65535, W),
    outboundAliases: optBool(o, "outboundTopicAliases", true, W),
    maxSessionExpiry: optIntIn(o, "maxSessionExpiry", EXPIRY_NEVER, 0, EXPIRY_NEVER, W),
    maxKeepAlive: optIntIn(o, "maxKeepAlive", 0, 0, 65535, W),
    maxQos: optIntIn(o, "maxQos", 2, 0, 2, W),
    retain: optBool(o, "retainAvailable", true, W),
    wildcards: optBool(o, "wildcardSubscriptions", true, W),
    subIds: optBool(o, "subscriptionIdentifiers", true, W),
    shared: optBool(o, "sharedSubscriptions", true, W),
    connectTimeoutMs: optIntIn(o, "connectTimeoutMs", 10_000, 1, 2 ** 31, W),
    sysInterval: optIntIn(o, "sysInterval", 0, 0, 86_400, W),
    maxPacket: o.mqttMaxPacketSize ?? DEFAULT_MAX_PACKET_SIZE,
    connackProps: [],
  };
  // Section 3.2.2.3: absent properties mean the defaults (65535, no aliases, no limit, QoS 2, all available).
  const p = l.connackProps;
  if (l.receiveMaximum < 65535) p.push({ id: MQTT_PROP_RECEIVE_MAXIMUM, iv: l.receiveMaximum });
  if (l.maxQos < 2) p.push({ id: MQTT_PROP_MAXIMUM_QOS, iv: l.maxQos });
  if (!l.retain) p.push({ id: MQTT_PROP_RETAIN_AVAILABLE, iv: 0 });
  if (l.maxPacket < 268_435_460) p.push({ id: MQTT_PROP_MAXIMUM_PACKET_SIZE, iv: l.maxPacket });
  if (l.topicAliasMaximum > 0) p.push({ id: MQTT_PROP_TOPIC_ALIAS_MAXIMUM, iv: l.topicAliasMaximum });
  // Said even when available (the default), so clients need not guess.
  p.push({ id: MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE, iv: l.wildcards ? 1 : 0 });
  p.push({ id: MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE, iv: l.subIds ? 1 : 0 });
  p.push({ id: MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE, iv: l.shared ? 1 : 0 });
  return l;
}
