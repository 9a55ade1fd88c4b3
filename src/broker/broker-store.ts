// The interface between MqttBroker and the storage that makes its state survive a
// restart (`persistence: { store }`). The broker tells the store every change as it
// happens (retained messages, persistent sessions, the QoS 1/2 messages on their way to
// those sessions) and reads everything back once, with load(), when it starts. The
// embedded default is MqttFileStore (broker-file-store.ts); any object with these
// methods can replace it.
import type { MqttProperty } from "../mqtt/props.js";

/** A message as stored: times are wall-clock (Date.now()) so that they mean something after a restart. */
export interface MqttStoredMessage {
  topic: string;
  payload: Buffer;
  /** The QoS and retain flag it was published with. */
  qos: number;
  retain: boolean;
  /** MQTT 5 properties to forward (no Message Expiry Interval, Topic Alias or Subscription Identifier). */
  props: MqttProperty[];
  /** When it expires (Date.now() milliseconds), 0 for never. */
  expiresAt: number;
}

export interface MqttStoredSubscription {
  /** The filter as subscribed, "$share/group/filter" included. */
  filter: string;
  qos: number;
  /** The SUBSCRIBE options byte (no local, retain as published, retain handling). */
  options: number;
  /** Subscription Identifier, 0 for none. */
  id: number;
}

/** A persistent session (Session Expiry Interval > 0, or MQTT 3.1.1 clean session 0). */
export interface MqttStoredSession {
  clientId: string;
  version: number;
  /** Session Expiry Interval in seconds (0xFFFFFFFF: never). */
  expiry: number;
  subscriptions: MqttStoredSubscription[];
  /** When its client disconnected (Date.now() milliseconds); 0 while connected. */
  disconnectedAt: number;
  /** A will waiting for its Will Delay Interval, and when it is due (Date.now() milliseconds). */
  will?: MqttStoredMessage;
  willAt?: number;
}

/** One QoS 1/2 message on its way to one session: queued (packetId 0) or sent and not yet completed. */
export interface MqttStoredDelivery {
  /** Unique in the store, increasing in the order deliveries were made. */
  key: number;
  /** Deliveries of one publication share one message object (a store may write it once). */
  message: MqttStoredMessage;
  qos: number;
  /** The retain flag it is delivered with. */
  retain: boolean;
  subIds: number[];
  /** The packet identifier it was sent with; 0 while queued. */
  packetId: number;
  /** QoS 2: PUBREC received and PUBREL sent; PUBCOMP completes it. */
  released: boolean;
}

/** What load() gives back. */
export interface MqttStoreSnapshot {
  retained: MqttStoredMessage[];
  sessions: { session: MqttStoredSession; deliveries: MqttStoredDelivery[] }[];
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
