// The interface between MqttBroker and the storage that makes its state survive a
// restart (`persistence: { store }`). The broker tells the store every change as it
// happens (retained messages, persistent sessions, the QoS 1/2 messages on their way to
// those sessions) and reads everything back once, with load(), when it starts. The
// embedded default is MqttFileStore (broker-file-store.ts); any object with these
// methods can replace it.
import type { MqttProperty } from "../mqtt/props.js";

/** A message as stored: times are wall-clock (Date.now()) so that they mean something after a restart. */
export interface MqttStoredMessage {
  /** The topic it was published to. */
  topic: string;
  /** Its payload. */
  payload: Buffer;
  /** The QoS it was published with. */
  qos: number;
  /** The retain flag it was published with. */
  retain: boolean;
  /** MQTT 5 properties to forward (no Message Expiry Interval, Topic Alias or Subscription Identifier). */
  props: MqttProperty[];
  /** When it expires (Date.now() milliseconds), 0 for never. */
  expiresAt: number;
}

/** One subscription of a stored session. */
export interface MqttStoredSubscription {
  /** The filter as subscribed, "$share/group/filter" included. */
  filter: string;
  /** The largest QoS granted. */
  qos: number;
  /** The SUBSCRIBE options byte (no local, retain as published, retain handling). */
  options: number;
  /** Subscription Identifier, 0 for none. */
  id: number;
}

/** A persistent session (Session Expiry Interval > 0, or MQTT 3.1.1 clean session 0). */
export interface MqttStoredSession {
  /** The client identifier the session belongs to. */
  clientId: string;
  /** The protocol level its client connected with (4: MQTT 3.1.1, 5: MQTT 5.0). */
  version: number;
  /** Session Expiry Interval in seconds (0xFFFFFFFF: never). */
  expiry: number;
  /** Its subscriptions. */
  subscriptions: MqttStoredSubscription[];
  /** When its client disconnected (Date.now() milliseconds); 0 while connected. */
  disconnectedAt: number;
  /** A will waiting for its Will Delay Interval, and when it is due (Date.now() milliseconds). */
  will?: MqttStoredMessage;
  /** When `will` is due (Date.now() milliseconds). */
  willAt?: number;
  /**
   * QoS 2 packet identifiers received from its client, PUBREC sent, PUBREL not yet
   * received: a PUBLISH resent with one of them after a restart is acknowledged, not
   * delivered again ([MQTT-4.3.3-10]). Absent or empty: none.
   */
  qos2In?: number[];
}

/** One QoS 1/2 message on its way to one session: queued (packetId 0) or sent and not yet completed. */
export interface MqttStoredDelivery {
  /** Unique in the store, increasing in the order deliveries were made. */
  key: number;
  /** Deliveries of one publication share one message object (a store may write it once). */
  message: MqttStoredMessage;
  /** The QoS it is delivered with (the smaller of the publication's and the subscription's). */
  qos: number;
  /** The retain flag it is delivered with. */
  retain: boolean;
  /** MQTT 5: the Subscription Identifiers of the matching subscriptions, sent with it. */
  subIds: number[];
  /** The packet identifier it was sent with; 0 while queued. */
  packetId: number;
  /** QoS 2: PUBREC received and PUBREL sent; PUBCOMP completes it. */
  released: boolean;
}

/** What load() gives back. */
export interface MqttStoreSnapshot {
  /** The retained messages. */
  retained: MqttStoredMessage[];
  /** The persistent sessions, each with its deliveries. */
  sessions: {
    /** The session. */
    session: MqttStoredSession;
    /** Its QoS 1/2 messages still on their way. */
    deliveries: MqttStoredDelivery[];
  }[];
}

/**
 * A place for the broker's state. Calls come from the broker's event loop, in order;
 * each mutation may be buffered until commit(), which the broker calls at the end of
 * every event that changed something (a store decides there what to write and sync),
 * and before each tick().
 */
export interface MqttStore {
  /** Everything stored; called once, when the broker starts. */
  load(): MqttStoreSnapshot;
  /** A retained message set, or cleared when `msg` is undefined. */
  setRetained(topic: string, msg: MqttStoredMessage | undefined): void;
  /** A persistent session created or changed (replaces the previous record). */
  setSession(session: MqttStoredSession): void;
  /** A session ended: it and its deliveries go. */
  deleteSession(clientId: string): void;
  /** A QoS 1/2 message was queued for the session of `clientId`. */
  addDelivery(clientId: string, d: MqttStoredDelivery): void;
  /** A delivery was sent (packet identifier) or, QoS 2, released. */
  updateDelivery(clientId: string, key: number, packetId: number, released: boolean): void;
  /** A delivery completed, expired or was dropped. */
  deleteDelivery(clientId: string, key: number): void;
  /** The end of a batch of changes. */
  commit(): void;
  /** Called by the broker about every 100 ms (deferred syncs, compaction). */
  tick?(): void;
  /** The broker stops: write what is pending, release files. */
  close(): void;
}
