// What the broker keeps per session and per connection, and how messages reach a
// session: sent at once when the client's window and socket have room, queued otherwise
// (bounded), acknowledged, and sent again with DUP=1 when the session resumes.
import { Buffer } from "node:buffer"; // the module's binding: the global Buffer is a getter, called at each use
import type { Connection } from "../connection.js";
import { MQTT_CMD_PUBREL, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, MQTT_PROP_TOPIC_ALIAS } from "../mqtt/constants.js";
import type { MqttPacket, MqttProperty } from "../mqtt/message.js";
import { buildAck, buildPublishRaw } from "../mqtt/builder.js";
import type { BrokerLimits } from "./broker-options.js";
import type { BrokerStats } from "./broker-sys.js";
import { millis } from "../util/time.js";
import { IdMap } from "../mqtt/id-set.js";

/** A message as the broker keeps it (retained, queued, or a will). */
export interface Stored {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  /** MQTT 5 properties to forward, without Message Expiry Interval, Topic Alias and Subscription Identifier. */
  props: MqttProperty[];
  /** When the message expires (millis), 0 for never (Message Expiry Interval, section 3.3.2.3.3). */
  expiresAt: number;
  /** The topic's UTF-8 bytes, encoded at the first delivery and reused by the others. */
  topicBytes?: Buffer;
  /** QoS 0 PUBLISH packets built for this message, by [version 5 ? 2 : 0 | retain]. */
  qos0Packets?: Buffer[];
  /**
   * A 3.1.1 QoS 1/2 PUBLISH as a client sent it (a view of the receive buffer; in the stable
   * copy, a copy with `payload` a view of it). A QoS 1/2 delivery to a 3.1.1 session is these
   * bytes with its own flags and packet identifier (the same layout, section 3.3): one copy,
   * no encoding. The packet identifier is the two bytes before the payload.
   */
  raw?: Buffer;
  /** The stable copy's `raw` is no delivery's packet yet: the first delivery sends it as it is, the others copy it. */
  rawFree?: boolean;
  /** Its stable copy once made, for the other deliveries of one routing (broker.ts stableOf): payload views do not outlive the event. */
  copy?: Stored;
}

/** One message on its way to one session. */
export interface Delivery {
  msg: Stored;
  qos: number;
  retain: boolean;
  subIds: number[] | undefined;
  /** Packet identifier once sent (QoS 1/2). */
  id: number;
  /** QoS 2: PUBREC received and PUBREL sent; PUBCOMP completes it. */
  released: boolean;
  /** Its key in the store (0: not stored). */
  key: number;
}

/** Told of every change to a stored session's deliveries (broker-persist.ts). */
export interface DeliveryLog {
  /** A delivery entered the session (queued, or sent at once). */
  add(s: Session, d: Delivery): void;
  /** Sent (packet identifier set) or released (QoS 2 PUBREC). */
  update(s: Session, d: Delivery): void;
  /** Completed, expired or dropped. */
  remove(s: Session, d: Delivery): void;
}

export interface Subscription {
  qos: number;
  options: number;
  /** Subscription Identifier (0: none). */
  id: number;
  /** The filter to match topics with (for "$share/g/f": f). */
  filter: string;
  shared: boolean;
}

/** What one connection negotiated (topic aliases do not outlive it [MQTT-3.3.2-7]). */
export interface Client {
  session: Session | undefined;
  version: number;
  will: Stored | undefined;
  /** Will Delay Interval in seconds. */
  willDelay: number;
  /** DISCONNECT 0x00 received: the will is dropped [MQTT-3.14.4-3]. */
  graceful: boolean;
  keepAliveMs: number;
  lastRecv: number;
  acceptedAt: number;
  /** The Session Expiry Interval the CONNECT gave (a DISCONNECT may not raise 0). */
  connectExpiry: number;
  /** The client's Receive Maximum and Maximum Packet Size (MQTT 5 CONNECT). */
  receiveMax: number;
  maxPacket: number;
  /** Aliases the client set (alias -> topic), and the ones we set towards it (topic -> alias). */
  aliasesIn: Map<number, string> | undefined;
  aliasesOut: Map<string, number> | undefined;
  aliasOutMax: number;
  /** QoS 2 PUBLISH ids from the client not yet released by PUBREL (its use of our Receive Maximum); the session's set once connected. */
  qos2In: Set<number>;
  /** An enhanced authentication exchange in progress. */
  auth: AuthExchange | undefined;
  /** The Authentication Method of the CONNECT (re-authentication must use it). */
  connectMethod: string | undefined;
  /** In a cluster, while the CONNECT waits for the session (cluster/cluster.ts): the packets that came after it. */
  held: [number, MqttPacket][] | undefined;
  /** Bytes came since the last MG_EV_POLL (which then sets lastRecv). */
  recvSeen: boolean;
}

export interface AuthExchange {
  method: string;
  step: number;
  state: unknown;
  reauth: boolean;
  clientId: string;
  /** At CONNECT: completes it, with the CONNACK's authentication properties. */
  finish: ((authProps: MqttProperty[]) => void) | undefined;
}

export interface Session {
  clientId: string;
  version: number;
  /** Session Expiry Interval in seconds (EXPIRY_NEVER: kept until a clean start). */
  expiry: number;
  subs: Map<string, Subscription>;
  conn: Connection | undefined;
  client: Client | undefined;
  /** QoS 1/2 deliveries waiting for the client's window, its socket, or its return. */
  queue: Delivery[];
  queuedBytes: number;
  /** Sent and not yet completed, by packet identifier (insertion order is sending order). */
  inflight: IdMap<Delivery>;
  nextId: number;
  /** While disconnected: when the session ends (millis; Infinity: never). */
  endsAt: number;
  /** While disconnected: a will waiting for its delay, and when it is due. */
  will: Stored | undefined;
  willAt: number;
  /** Messages dropped for this session (queue full, socket backed up, too large for the client). */
  dropped: number;
  /** Set while the session is persistent and the broker has a store. */
  log: DeliveryLog | undefined;
  /** The broker's counters ($SYS). */
  stats: BrokerStats;
  /**
   * QoS 2 PUBLISH ids received from the client and not yet released: session state
   * (MQTT 5 section 4.1), so a PUBLISH resent after a reconnect is acknowledged, not routed
   * twice [MQTT-4.3.3-10]. In memory only (a broker restart forgets it).
   */
  qos2In: Set<number>;
}

export function newSession(clientId: string, version: number, expiry: number, stats: BrokerStats): Session {
  return {
    clientId, version, expiry, subs: new Map(), conn: undefined, client: undefined, queue: [], queuedBytes: 0,
    inflight: new IdMap(), nextId: 0, endsAt: Infinity, will: undefined, willAt: 0, dropped: 0, log: undefined, stats,
    qos2In: new Set(),
  };
}

const NO_TOPIC = Buffer.alloc(0);

const sizeOf = (d: Delivery): number => d.msg.payload.length + d.msg.topic.length + 64;

/** Delivers towards the session's connection, as the subscription grants. `msg` is stable (not a view) when qos > 0. */
export function deliver(s: Session, msg: Stored, qos: number, retain: boolean, subIds: number[] | undefined, l: BrokerLimits, now: number): void {
  // [MQTT-3.3.2-5]: an expired message is not sent on.
  if (msg.expiresAt !== 0 && now >= msg.expiresAt) return;
  const c = usable(s);
  if (qos === 0) {
    // QoS 0 is not queued: dropped while the client is away or its socket is backed up.
    if (c === undefined) return;
    if (c.sendLen > l.maxSendQueue) { s.dropped++; s.stats.dropped++; return; }
    write(s, c, msg, 0, retain, subIds, 0, false, now);
    return;
  }
  const d: Delivery = { msg, qos, retain, subIds, id: 0, released: false, key: 0 };
  if (c !== undefined && s.queue.length === 0 && s.inflight.size < windowOf(s, l) && c.sendLen <= l.maxSendQueue) {
    if (sendNew(s, c, d, now)) s.log?.add(s, d);
    return;
  }
  s.queue.push(d);
  s.queuedBytes += sizeOf(d);
  s.log?.add(s, d);
  // Bounded: the oldest queued messages go first.
  while (s.queue.length > 0 && (s.queue.length > l.maxQueued || (s.queuedBytes > l.maxQueuedBytes && s.queue.length > 1))) {
    const old = s.queue.shift()!;
    s.queuedBytes -= sizeOf(old);
    s.dropped++;
    s.stats.dropped++;
    s.log?.remove(s, old);
  }
}

/** Sends what the queue holds while the window and the socket have room. */
export function pump(s: Session, l: BrokerLimits, now: number): void {
  const c = usable(s);
  if (c === undefined) return;
  const win = windowOf(s, l);
  while (s.queue.length > 0 && s.inflight.size < win && c.sendLen <= l.maxSendQueue) {
    const d = s.queue.shift()!;
    s.queuedBytes -= sizeOf(d);
    if (d.msg.expiresAt !== 0 && now >= d.msg.expiresAt) { s.log?.remove(s, d); continue; } // [MQTT-3.3.2-5]
    if (sendNew(s, c, d, now)) s.log?.update(s, d);
    else s.log?.remove(s, d);
  }
}

/** An acknowledgement from the client: PUBACK, PUBREC or PUBCOMP. Frees window room. */
export function acked(s: Session, id: number, released: boolean, l: BrokerLimits): void {
  const d = s.inflight.get(id);
  if (d === undefined) return;
  // PUBREC < 0x80 on QoS 2: the layer sent PUBREL; the window frees on PUBCOMP (section 4.9).
  if (released && d.qos === 2) { d.released = true; s.log?.update(s, d); return; }
  s.inflight.delete(id);
  s.log?.remove(s, d);
  // The clock is read only when something waits (for its expiry).
  if (s.queue.length > 0) pump(s, l, millis());
}

/**
 * A resumed session: unacknowledged PUBLISH packets again with their identifiers and
 * DUP=1, and PUBREL for those already received [MQTT-4.4.0-1] [MQTT-3.3.1-1]; then the queue.
 */
export function resume(s: Session, l: BrokerLimits, now: number): void {
  const c = usable(s);
  if (c === undefined) return;
  for (const d of [...s.inflight.values()]) {
    if (d.released) c.mqttSend(buildAck(MQTT_CMD_PUBREL, s.version, d.id));
    else if (!write(s, c, d.msg, d.qos, d.retain, d.subIds, d.id, true, now)) { s.inflight.delete(d.id); s.log?.remove(s, d); }
  }
  pump(s, l, now);
}

function usable(s: Session): Connection | undefined {
  const c = s.conn;
  // A connection told DISCONNECT drains: nothing more goes on it [MQTT-3.14.4-1].
  return c === undefined || c.isClosing || c.isDraining ? undefined : c;
}

/** At most this many QoS 1/2 PUBLISH unacknowledged [MQTT-4.9.0-2]. */
function windowOf(s: Session, l: BrokerLimits): number {
  const rm = s.client?.receiveMax ?? 65535;
  return rm < l.maxInflight ? rm : l.maxInflight;
}

/** Sends a delivery with a new packet identifier; false when it was too large for the client (discarded). */
function sendNew(s: Session, c: Connection, d: Delivery, now: number): boolean {
  d.id = nextId(s);
  // A packet too large for the client is discarded as if delivered [MQTT-3.1.2-25].
  if (!write(s, c, d.msg, d.qos, d.retain, d.subIds, d.id, false, now)) return false;
  s.inflight.set(d.id, d);
  return true;
}

/** An unused packet identifier, 1..65535 [MQTT-2.2.1-4]. */
function nextId(s: Session): number {
  do s.nextId = s.nextId >= 65535 ? 1 : s.nextId + 1;
  while (s.inflight.has(s.nextId));
  return s.nextId;
}

/** Builds and queues one PUBLISH; false when it is over the client's Maximum Packet Size (not sent). */
function write(s: Session, c: Connection, msg: Stored, qos: number, retain: boolean, subIds: number[] | undefined, id: number, dup: boolean, now: number): boolean {
  const cl = s.client!;
  if (qos > 0 && s.version < 5 && msg.raw !== undefined) return writeRaw(s, c, msg, msg.raw, qos, retain, id, dup);
  let topic = msg.topic, props: MqttProperty[] | undefined, newAlias = false, shareable = qos === 0;
  if (s.version >= 5) {
    props = msg.props;
    let extra: MqttProperty[] | undefined;
    if (msg.expiresAt !== 0) {
      // [MQTT-3.3.2-6]: the interval received minus the time spent waiting here.
      extra = [{ id: MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, iv: Math.max(1, Math.ceil((msg.expiresAt - now) / 1000)) }];
    }
    if (subIds !== undefined) {
      extra ??= [];
      for (const iv of subIds) extra.push({ id: MQTT_PROP_SUBSCRIPTION_IDENTIFIER, iv });
    }
    if (cl.aliasOutMax > 0) {
      // Our aliases stay within the client's Topic Alias Maximum [MQTT-3.3.2-11]; once they are all used, topics go in full.
      const out = (cl.aliasesOut ??= new Map());
      let alias = out.get(topic);
      if (alias !== undefined) topic = "";
      else if (out.size < cl.aliasOutMax) { alias = out.size + 1; out.set(topic, alias); newAlias = true; }
      if (alias !== undefined) (extra ??= []).push({ id: MQTT_PROP_TOPIC_ALIAS, iv: alias });
    }
    if (extra !== undefined) { props = props.length === 0 ? extra : [...props, ...extra]; shareable = false; }
  }
  let pkt: Buffer;
  // A QoS 0 PUBLISH without per-subscriber properties is the same bytes for every
  // subscriber of one protocol level: built once per message (fan-out), queued by reference.
  const slot = shareable ? (s.version >= 5 ? 2 : 0) | (retain ? 1 : 0) : -1;
  const shared = slot >= 0 ? msg.qos0Packets?.[slot] : undefined;
  if (shared !== undefined) pkt = shared;
  else {
    // The topic was checked when it was received (or published by the application).
    const tb = topic === "" ? NO_TOPIC : (msg.topicBytes ??= Buffer.from(topic, "utf8"));
    pkt = buildPublishRaw(s.version, tb, msg.payload, qos, retain, dup, id, props);
    if (slot >= 0) (msg.qos0Packets ??= [])[slot] = pkt;
  }
  if (pkt.length > cl.maxPacket) {
    if (newAlias) cl.aliasesOut!.delete(msg.topic);
    s.dropped++;
    s.stats.dropped++;
    return false;
  }
  c.mqttSend(pkt); // (over WebSocket: in a binary frame)
  s.stats.published++;
  return true;
}

/** A QoS 1/2 PUBLISH to a 3.1.1 session made from the 3.1.1 packet the message came in (see Stored.raw). */
function writeRaw(s: Session, c: Connection, msg: Stored, raw: Buffer, qos: number, retain: boolean, id: number, dup: boolean): boolean {
  let pkt = raw;
  if (msg.rawFree === true) msg.rawFree = false;
  else { pkt = Buffer.allocUnsafe(raw.length); raw.copy(pkt); }
  // Fixed header flags (section 3.3.1): DUP, QoS, RETAIN; the rest of the header is unchanged.
  pkt[0] = 0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0);
  const at = pkt.length - msg.payload.length - 2;
  pkt[at] = id >> 8;
  pkt[at + 1] = id & 0xff;
  if (pkt.length > s.client!.maxPacket) { s.dropped++; s.stats.dropped++; return false; }
  c.mqttSend(pkt); // (over WebSocket: in a binary frame)
  s.stats.published++;
  return true;
}
