// A complete MQTT broker on top of mqttListen (MQTT 3.1.1 and 5.0): sessions with expiry,
// subscriptions with "+" and "#", shared subscriptions, retained messages, message expiry,
// QoS 0/1/2 delivery with flow control, wills with delay, topic aliases both ways,
// keep alive, and authenticate / authorize / enhanced auth hooks; optionally persistence
// (broker-persist.ts, broker-file-store.ts) and $SYS topics (broker-sys.ts). Delivery and
// the per-session state are in broker-session.ts, the options in broker-options.ts.
import { Buffer } from "node:buffer"; // the module's binding: the global Buffer is a getter, called at each use
import type { Connection } from "../connection.js";
import type { Manager } from "../manager.js";
import { isPubAckReason, isSubackReason } from "../mqtt/send.js";
import { RouteCache } from "./broker-routes.js";
import { MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_POLL, MG_EV_READ, MG_EV_WRITE, type EventHandler } from "../events.js";
import type { Timer } from "../core/timers.js";
import {
  MQTT_CMD_AUTH, MQTT_CMD_CONNECT, MQTT_CMD_DISCONNECT, MQTT_CMD_PINGREQ, MQTT_CMD_PUBACK, MQTT_CMD_PUBCOMP,
  MQTT_CMD_PUBLISH, MQTT_CMD_PUBREC, MQTT_CMD_PUBREL, MQTT_CMD_SUBACK, MQTT_CMD_SUBSCRIBE, MQTT_CMD_UNSUBACK, MQTT_CMD_UNSUBSCRIBE, MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER,
  MQTT_PROP_AUTHENTICATION_DATA, MQTT_PROP_AUTHENTICATION_METHOD, MQTT_PROP_MAXIMUM_PACKET_SIZE,
  MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, MQTT_PROP_REASON_STRING, MQTT_PROP_RECEIVE_MAXIMUM, MQTT_PROP_SERVER_KEEP_ALIVE,
  MQTT_PROP_SESSION_EXPIRY_INTERVAL, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, MQTT_PROP_TOPIC_ALIAS,
  MQTT_PROP_TOPIC_ALIAS_MAXIMUM, MQTT_PROP_WILL_DELAY_INTERVAL,
} from "../mqtt/constants.js";
import type { MqttMessage, MqttPacket, MqttProperty } from "../mqtt/message.js";
import { isValidFilter, topicMatches } from "../mqtt/topic.js";
import { checkQos } from "../mqtt/builder.js";
import { utf8Field } from "../mqtt/wire.js";
import { subackSize } from "../mqtt/fit.js";
import { randomStr } from "../util/random.js";
import { millis } from "../util/time.js";
import { toBuffer } from "../util/bytes.js";
import { brokerLimits, checkBrokerOptions, EXPIRY_NEVER, type BrokerLimits, type MqttBrokerOptions } from "./broker-options.js";
import { acked, deliver, newSession, pump, resume, type Client, type Session, type Stored, type Subscription } from "./broker-session.js";
import { parseShare, pickMember, type ShareGroup } from "./broker-shared.js";
import { SessionClock } from "./broker-expiry.js";
import { checkPublish } from "./broker-publish.js";
import { authStep, RC_BAD_AUTH_METHOD, RC_CONTINUE_AUTH, RC_NOT_AUTHORIZED, RC_REAUTHENTICATE, type MqttAuthHook } from "./broker-auth.js";
import { BrokerPersistence, storeOf } from "./broker-persist.js";
import { newStats, sysValues, type BrokerStats } from "./broker-sys.js";
import { MgError } from "../util/errors.js";
import { MqttPacket as Packet } from "../mqtt/message.js";
import { BrokerCluster, type Claimed, type ClusterHost } from "./cluster/cluster.js";
import { clusterConfig } from "./cluster/cluster-options.js";
import { urlIsSsl } from "../util/url.js";

export type { MqttAction, MqttBrokerOptions } from "./broker-options.js";
export type { MqttPersistenceOptions } from "./broker-options.js";
export type { MqttStore, MqttStoreSnapshot, MqttStoredDelivery, MqttStoredMessage, MqttStoredSession, MqttStoredSubscription } from "./broker-store.js";
export { MqttFileStore, type MqttFileStoreOptions, type MqttFsyncPolicy } from "./broker-file-store.js";
export type { MqttAuthHook, MqttAuthRequest, MqttAuthResult } from "./broker-auth.js";
export type { MqttClusterOptions } from "./cluster/cluster-options.js";

/** How often a store's tick() runs (deferred fsync, compaction). */
const STORE_TICK_MS = 100;

/** MQTT 5 reason codes the broker sends (section 2.4). */
const RC_PROTOCOL_ERROR = 0x82, RC_TOPIC_FILTER_INVALID = 0x8f;
const RC_SESSION_TAKEN_OVER = 0x8e, RC_RETAIN_NOT_SUPPORTED = 0x9a;
const RC_QOS_NOT_SUPPORTED = 0x9b, RC_SHARED_NOT_SUPPORTED = 0x9e, RC_SUBID_NOT_SUPPORTED = 0xa1;
const RC_WILDCARDS_NOT_SUPPORTED = 0xa2, RC_NO_SUBSCRIPTION = 0x11, RC_SERVER_UNAVAILABLE = 0x88, RC_PACKET_TOO_LARGE = 0x95;

/**
 * A SUBACK/UNSUBACK for SUBSCRIBE/UNSUBSCRIBE `m` would exceed the client's Maximum Packet
 * Size even without properties [MQTT-3.1.2-24]: the broker then refuses the packet
 * (DISCONNECT 0x95) before changing any subscription, instead of leaving it unanswered.
 */
function tooLargeAck(cl: Client, m: MqttMessage): boolean {
  return cl.version >= 5 && subackSize(m.filters!.length) > cl.maxPacket;
}

/** Reason code names (section 2.4), sent as Reason String. */
const REASONS = new Map<number, string>([
  [0x81, "Malformed Packet"], [0x82, "Protocol Error"], [0x87, "Not authorized"], [0x8e, "Session taken over"], [0x93, "Receive Maximum exceeded"],
  [0x94, "Topic Alias invalid"], [0x9a, "Retain not supported"], [0x9b, "QoS not supported"],
  [0x95, "Packet too large"], [0xa1, "Subscription Identifiers not supported"],
]);


/** What `broker.sessionInfo(clientId)` reports. */
export interface MqttSessionInfo {
  /** Its client is connected now. */
  connected: boolean;
  /** How many subscriptions it has. */
  subscriptions: number;
  /** QoS 1/2 messages queued for it. */
  queued: number;
  /** The size of the queued messages (topics, payloads and a fixed overhead each). */
  queuedBytes: number;
  /** Sent and not yet acknowledged. */
  inflight: number;
  /** Messages dropped for this session (queue bound, backed-up socket, over its Maximum Packet Size). */
  dropped: number;
  /** Bytes waiting to be written to its connection. */
  sendQueueBytes: number;
}

/**
 * An MQTT 3.1.1 and 5.0 broker on the manager's loop: `new MqttBroker(manager, { listen })`
 * listens at once; sessions, retained messages, QoS 1/2, wills, shared subscriptions,
 * topic aliases, optional persistence and hooks to authenticate and authorize.
 */
export class MqttBroker {
  /** The listening connection (`listener.localAddr.port` is the real port); the first one when `listen` is a list. */
  readonly listener: Connection;
  /** Every listening connection, in the order of `listen`. */
  readonly listeners: readonly Connection[];
  private readonly sessions = new Map<string, Session>();
  private readonly clients = new Map<Connection, Client>();
  private readonly retained = new Map<string, Stored>();
  /** Shared subscription groups, by their whole "$share/group/filter". */
  private readonly groups = new Map<string, ShareGroup<Session>>();
  /** Disconnected sessions with a delayed will or an end in time. */
  private readonly clock: SessionClock;
  private readonly authenticate: MqttBrokerOptions["authenticate"];
  private readonly authorize: MqttBrokerOptions["authorize"];
  private readonly auth: MqttAuthHook | undefined;
  private readonly l: BrokerLimits;
  private readonly stats: BrokerStats = newStats(millis());
  /** Set with the `persistence` option. */
  private readonly persist: BrokerPersistence | undefined;
  private readonly timers: Timer[] = [];
  /** The $SYS values last published, to send only what changed. */
  private readonly sysLast = new Map<string, string>();
  /** Set with the `cluster` option: this broker is one node of a cluster on Redis. */
  private readonly cluster: BrokerCluster | undefined;
  /**
   * Resolves when the broker is ready: at once, or with `cluster`, once Redis is reached
   * and the retained messages read (clients that connect before wait for it).
   */
  readonly ready: Promise<void>;
  /** The sessions each topic reaches (broker-routes.ts). */
  private readonly routes = new RouteCache();
  /** The connection of the last event and its Client (see dispatch). */
  private lastConn: Connection | undefined;
  private lastClient: Client | undefined;

  constructor(manager: Manager, opts: MqttBrokerOptions) {
    // Every option is checked before anything listens or is opened.
    checkBrokerOptions(opts);
    const {
      listen, authenticate, authorize, auth, maxQueuedMessages, maxQueuedBytes, maxInflightMessages, maxSendQueueBytes,
      receiveMaximum, topicAliasMaximum, outboundTopicAliases, maxSessionExpiry, maxKeepAlive, maxQos, retainAvailable,
      wildcardSubscriptions, subscriptionIdentifiers, sharedSubscriptions, connectTimeoutMs, persistence, sysInterval, cluster, ...connOpts
    } = opts;
    const urls: readonly string[] = typeof listen === "string" ? [listen] : listen;
    this.l = brokerLimits(opts);
    const cfg = cluster === undefined ? undefined : clusterConfig(cluster);
    if (cfg !== undefined && persistence !== undefined) throw new MgError("ERR_INVALID_OPTION", "options cluster and persistence do not go together: a cluster keeps its state in Redis");
    this.clock = new SessionClock(manager, { will: (x) => this.publishWill(x), end: (x) => { this.endSession(x); this.cluster?.disown(x.clientId); } });
    this.authenticate = authenticate;
    this.authorize = authorize;
    this.auth = auth;
    // Both checked (and the store loaded) before anything listens: a bad option or an unreadable log throws here.
    const store = persistence === undefined ? undefined : storeOf(persistence);
    if (store !== undefined) {
      this.persist = new BrokerPersistence(store);
      this.restore(this.persist);
    }
    const listeners: Connection[] = [];
    try {
      // With a list, `tls` is for the TLS listeners only (an mqtt:// listener given `tls` would speak TLS).
      const { tls: _tls, ...plain } = connOpts;
      for (const u of urls) listeners.push(manager.mqttListen(u, this.handler, urls.length > 1 && !urlIsSsl(u) ? plain : connOpts));
    } catch (e) {
      for (const l of listeners) l.close();
      this.clock.stop();
      this.persist?.close();
      throw e;
    }
    this.listeners = listeners;
    this.listener = listeners[0]!;
    if (cfg !== undefined) {
      this.cluster = new BrokerCluster(cfg, this.clusterHost());
      this.persist = new BrokerPersistence(this.cluster.store);
    }
    this.ready = this.cluster?.ready ?? Promise.resolve();
    if (this.persist !== undefined) {
      const p = this.persist;
      this.timers.push(manager.timerAdd(STORE_TICK_MS, () => p.tick(), { repeat: true }));
    }
    if (this.l.sysInterval > 0) {
      this.timers.push(manager.timerAdd(this.l.sysInterval * 1000, () => this.publishSys(), { repeat: true, runNow: true }));
    }
  }

  /** Puts back what the store holds: retained messages and persistent sessions (their clients all away). */
  private restore(p: BrokerPersistence): void {
    const { sessions, retained } = p.load(this.l, this.stats);
    for (const r of retained) this.retained.set(r.topic, r);
    for (const s of sessions) {
      for (const [key, sub] of s.subs) if (sub.shared) this.joinGroup(s, key, sub.filter);
      this.sessions.set(s.clientId, s);
      this.routes.invalidate();
      this.clock.watch(s);
    }
  }

  /** Publishes the $SYS topics whose values changed (retained, QoS 0). */
  private publishSys(): void {
    let pending = 0, disconnected = 0;
    for (const s of this.sessions.values()) {
      pending += s.queue.length + s.inflight.size;
      if (s.conn === undefined) disconnected++;
    }
    const g = { connected: this.clientCount, disconnected, subscriptions: this.subscriptionCount, retained: this.retained.size, stored: pending };
    const now = millis();
    for (const [topic, value] of sysValues(this.stats, g, now)) {
      if (this.sysLast.get(topic) === value) continue;
      this.sysLast.set(topic, value);
      this.route(stored(topic, Buffer.from(value), 0, true, [], now), undefined);
    }
  }

  /** Client ids of the sessions held (connected or persistent). */
  get sessionIds(): string[] { return [...this.sessions.keys()]; }
  /** Topics with a retained message. */
  get retainedTopics(): string[] { return [...this.retained.keys()]; }
  /** Subscriptions held, over all sessions. */
  get subscriptionCount(): number { let n = 0; for (const s of this.sessions.values()) n += s.subs.size; return n; }
  /** Connections that completed CONNECT. */
  get clientCount(): number { let n = 0; for (const c of this.clients.values()) if (c.session) n++; return n; }

  /** The state of one session, or undefined when there is none. */
  sessionInfo(clientId: string): MqttSessionInfo | undefined {
    const s = this.sessions.get(clientId);
    if (s === undefined) return undefined;
    return {
      connected: s.conn !== undefined, subscriptions: s.subs.size, queued: s.queue.length, queuedBytes: s.queuedBytes,
      inflight: s.inflight.size, dropped: s.dropped, sendQueueBytes: s.conn?.sendLen ?? 0,
    };
  }

  /** Publishes from the application, as if a client had. */
  publish(topic: string, payload: string | Uint8Array, opts: { qos?: number; retain?: boolean; props?: MqttProperty[] } = {}): void {
    const qos = opts.qos ?? 0;
    checkQos(qos);
    utf8Field(topic, "topic");
    if (topic === "" || topic.includes("+") || topic.includes("#")) throw new Error(`MqttBroker.publish: bad topic name ${JSON.stringify(topic)}`);
    this.route(stored(topic, Buffer.from(toBuffer(payload)), qos, opts.retain === true, opts.props ?? [], millis()), undefined);
    this.persist?.commit();
  }

  /** Stops listening and closes every client connection; the store writes what is pending and closes. */
  close(): void {
    this.stopTimers();
    this.persist?.close();
    for (const l of this.listeners) l.close();
    for (const c of this.clients.keys()) c.close();
    void this.cluster?.close();
  }

  private stopTimers(): void {
    this.clock.stop();
    for (const t of this.timers) t.cancel();
    this.timers.length = 0;
  }

  private readonly handler: EventHandler = (c, ev, data) => {
    if (c.isListening) {
      // The manager closes: so does the store (what clients do after this is not recorded).
      if (ev === MG_EV_CLOSE) { this.stopTimers(); this.persist?.close(); void this.cluster?.close(); }
      return;
    }
    this.dispatch(c, ev, data);
    // The end of an event: the store writes the changes it made as one batch.
    this.persist?.commit();
  };

  private dispatch(c: Connection, ev: number, data: unknown): void {
    if (ev === MG_EV_ACCEPT) {
      const now = millis();
      this.clients.set(c, {
        session: undefined, version: 4, will: undefined, willDelay: 0, graceful: false, keepAliveMs: 0, lastRecv: now,
        acceptedAt: now, connectExpiry: 0, receiveMax: 65535, maxPacket: Infinity, aliasesIn: undefined,
        aliasesOut: undefined, aliasOutMax: 0, qos2In: new Set(), auth: undefined, connectMethod: undefined, held: undefined,
        recvSeen: false,
      });
      return;
    }
    // A connection's events come in a burst (READ, its packets, POLL, WRITE): the last one's
    // Client is kept at hand rather than looked up in the map for each.
    let cl = this.lastClient;
    if (c !== this.lastConn || cl === undefined) {
      cl = this.clients.get(c);
      if (cl === undefined) return;
      this.lastConn = c;
      this.lastClient = cl;
    }
    if (cl.held !== undefined && (ev === MG_EV_MQTT_MSG || ev === MG_EV_MQTT_CMD)) { cl.held.push([ev, copyPacket(data as MqttPacket)]); return; }
    // The time of a READ is taken from the MG_EV_POLL that follows a connection's events in
    // the same dispatch (with the dispatch's clock): no clock read per READ.
    if (ev === MG_EV_READ) { cl.recvSeen = true; this.stats.bytesIn += data as number; }
    else if (ev === MG_EV_WRITE) this.stats.bytesOut += data as number;
    else if (ev === MG_EV_POLL) this.poll(c, cl, data as number);
    else if (ev === MG_EV_MQTT_MSG) { this.stats.publishIn++; this.onPublish(c, cl, data as MqttPacket); }
    else if (ev === MG_EV_MQTT_CMD) { this.count(data as MqttPacket); this.onCommand(c, cl, data as MqttPacket); }
    else if (ev === MG_EV_CLOSE) this.onClose(c, cl);
  }

  /** $SYS counters: the packet received, and the answer the layer or the broker sends to it. */
  private count(m: MqttPacket): void {
    const st = this.stats;
    st.msgsIn++;
    switch (m.cmd) {
      case MQTT_CMD_PUBLISH: if (m.qos > 0) st.msgsOut++; break; // PUBACK / PUBREC
      case MQTT_CMD_CONNECT: case MQTT_CMD_SUBSCRIBE: case MQTT_CMD_UNSUBSCRIBE: case MQTT_CMD_PINGREQ:
      case MQTT_CMD_PUBREL: case MQTT_CMD_PUBREC: st.msgsOut++; break; // CONNACK, SUBACK, UNSUBACK, PINGRESP, PUBCOMP, PUBREL
    }
  }

  private poll(c: Connection, cl: Client, now: number): void {
    if (cl.recvSeen) { cl.lastRecv = now; cl.recvSeen = false; }
    if (c.isClosing) return;
    const s = cl.session;
    if (s === undefined) {
      if (cl.held === undefined && now - cl.acceptedAt > this.l.connectTimeoutMs) c.error("MQTT: no CONNECT in time");
    } else if (cl.keepAliveMs > 0 && now - cl.lastRecv > cl.keepAliveMs * 1.5) {
      // [MQTT-3.1.2-22]: nothing for one and a half keep alive periods.
      c.error("MQTT: keep alive timeout");
    } else if (s.queue.length > 0) {
      pump(s, this.l, now); // the socket may have drained
    }
  }

  /**
   * Refuses what the client did: MQTT 5 gets DISCONNECT with `code` (section 4.13), or
   * CONNACK with it before the connection was accepted; 3.1.1 a closed connection.
   */
  private refuse(c: Connection, cl: Client, code: number): void {
    if (c.isClosing || c.isDraining) return;
    cl.graceful = false;
    // The Reason String says it in words (and clients that only read reasons followed by properties see the code).
    // Without it when the packet would then exceed the client's Maximum Packet Size [MQTT-3.2.2-19] [MQTT-3.14.2-3]
    // (CONNACK/DISCONNECT: 2 header bytes, reason code, property length, then 3 + the string's bytes).
    const why = REASONS.get(code);
    const props = why === undefined || 7 + why.length > cl.maxPacket ? undefined : [{ id: MQTT_PROP_REASON_STRING, val: why }];
    if (cl.version < 5) c.close();
    else if (cl.session === undefined) c.mqttConnack(code, { props });
    else c.mqttDisconnect(code, props);
  }

  private onCommand(c: Connection, cl: Client, m: MqttPacket): void {
    if (c.isClosing || c.isDraining) return;
    const s = cl.session;
    if (m.cmd === MQTT_CMD_CONNECT) { this.onConnect(c, cl, m); return; }
    if (m.cmd === MQTT_CMD_AUTH) { this.onAuth(c, cl, m); return; }
    if (m.cmd === MQTT_CMD_DISCONNECT) { this.onDisconnect(c, cl, m); return; }
    // [MQTT-3.1.2-30]: during an AUTH exchange only AUTH and DISCONNECT may come.
    if (s === undefined || cl.auth !== undefined && !cl.auth.reauth) { this.refuse(c, cl, RC_PROTOCOL_ERROR); return; }
    switch (m.cmd) {
      case MQTT_CMD_SUBSCRIBE: this.onSubscribe(c, cl, s, m); break;
      case MQTT_CMD_UNSUBSCRIBE:
        if (tooLargeAck(cl, m)) { this.refuse(c, cl, RC_PACKET_TOO_LARGE); break; }
        c.mqttSuback(m, m.filters!.map((f) => (this.unsubscribe(s, f.topic) || s.version < 5 ? 0 : RC_NO_SUBSCRIPTION)));
        if (s.log !== undefined) this.persist?.session(s);
        break;
      case MQTT_CMD_PINGREQ: c.mqttPong(); break;
      case MQTT_CMD_PUBACK: case MQTT_CMD_PUBCOMP: acked(s, m.id, false, this.l); break;
      case MQTT_CMD_PUBREC: acked(s, m.id, m.ack < 0x80, this.l); break;
      case MQTT_CMD_PUBREL: if (cl.qos2In.delete(m.id)) this.persist?.qos2(s); break;
      // Section 3.9 / 3.11: SUBACK and UNSUBACK go from server to client only.
      case MQTT_CMD_SUBACK: case MQTT_CMD_UNSUBACK: this.refuse(c, cl, RC_PROTOCOL_ERROR); break;
    }
  }

  private onDisconnect(c: Connection, cl: Client, m: MqttPacket): void {
    const s = cl.session;
    if (s !== undefined && cl.version >= 5) {
      const p = m.props.length > 0 ? m.properties().find((x) => x.id === MQTT_PROP_SESSION_EXPIRY_INTERVAL) : undefined;
      if (p !== undefined) {
        // Section 3.14.2.2.2: a Session Expiry Interval of 0 in CONNECT cannot be raised at DISCONNECT.
        if (cl.connectExpiry === 0 && p.iv! > 0) { this.refuse(c, cl, RC_PROTOCOL_ERROR); return; }
        s.expiry = Math.min(p.iv!, this.l.maxSessionExpiry);
      }
    }
    // [MQTT-3.14.4-3]: only reason 0x00 drops the will (0x04 and the others keep it).
    cl.graceful = cl.version < 5 || m.ack === 0;
    c.close();
  }

  // ---- CONNECT and authentication ---------------------------------------------------

  private onConnect(c: Connection, cl: Client, m: MqttPacket): void {
    const info = m.connect!;
    const v5 = info.version >= 5;
    cl.version = info.version;
    const props = v5 && m.props.length > 0 ? m.properties() : [];
    let clientId = info.clientId, assigned = false;
    if (clientId === "") {
      // 3.1.1 section 3.1.3.1: an empty id needs a clean session; 5.0 assigns one [MQTT-3.1.3-6] [MQTT-3.2.2-16].
      if (!info.clean && !v5) { c.mqttConnack(2); return; }
      do clientId = `auto-${randomStr(16)}`; while (this.sessions.has(clientId));
      assigned = true;
    }
    if (this.authenticate !== undefined && !this.authenticate(info.user, info.pass?.toString("utf8"), clientId)) {
      c.mqttConnack(v5 ? 0x86 : 4);
      return;
    }
    const w = info.will;
    if (v5 && w !== undefined) {
      // [MQTT-3.2.2-12] [MQTT-3.2.2-13]: a will the server cannot honour refuses the connection.
      if (w.qos > this.l.maxQos) { c.mqttConnack(RC_QOS_NOT_SUPPORTED); return; }
      if (w.retain && !this.l.retain) { c.mqttConnack(RC_RETAIN_NOT_SUPPORTED); return; }
    }
    for (const p of props) {
      // Section 3.1.2.11: a Receive Maximum or Maximum Packet Size of 0 is a protocol error.
      if ((p.id === MQTT_PROP_RECEIVE_MAXIMUM || p.id === MQTT_PROP_MAXIMUM_PACKET_SIZE) && p.iv === 0) { c.mqttConnack(RC_PROTOCOL_ERROR); return; }
    }
    const finish = (authProps: MqttProperty[]): void => {
      if (this.cluster === undefined) this.finishConnect(c, cl, m, props, clientId, assigned, authProps);
      else this.claimThenConnect(c, cl, m, props, clientId, assigned, authProps);
    };
    const method = props.find((p) => p.id === MQTT_PROP_AUTHENTICATION_METHOD)?.val;
    if (method === undefined) { finish([]); return; }
    // Enhanced authentication (section 4.12); a method nobody supports gets 0x8C [MQTT-4.12.0-1].
    if (this.auth === undefined) { c.mqttConnack(RC_BAD_AUTH_METHOD); return; }
    cl.connectMethod = method;
    cl.auth = { method, step: 0, state: undefined, reauth: false, clientId, finish };
    this.askAuth(c, cl, props.find((p) => p.id === MQTT_PROP_AUTHENTICATION_DATA)?.bin);
  }

  /** One step of an AUTH exchange (broker-auth.ts). */
  private askAuth(c: Connection, cl: Client, data: Uint8Array | undefined): void {
    authStep(this.auth!, c, cl, data, (code) => this.refuse(c, cl, code));
  }

  private onAuth(c: Connection, cl: Client, m: MqttPacket): void {
    const props = m.props.length > 0 ? m.properties() : [];
    const method = props.find((p) => p.id === MQTT_PROP_AUTHENTICATION_METHOD)?.val;
    const a = cl.auth;
    const s = cl.session;
    if (a === undefined) {
      // Re-authentication (section 4.12.1): AUTH 0x19 with the method of the CONNECT.
      if (s === undefined || m.ack !== RC_REAUTHENTICATE || method === undefined || method !== cl.connectMethod || this.auth === undefined) {
        this.refuse(c, cl, RC_PROTOCOL_ERROR);
        return;
      }
      cl.auth = { method, step: 0, state: undefined, reauth: true, clientId: s.clientId, finish: undefined };
    } else if (m.ack !== RC_CONTINUE_AUTH || method !== a.method) {
      // Section 4.12: inside an exchange the client continues (0x18) with the same method.
      this.refuse(c, cl, RC_PROTOCOL_ERROR);
      return;
    } else {
      a.step++;
    }
    this.askAuth(c, cl, props.find((p) => p.id === MQTT_PROP_AUTHENTICATION_DATA)?.bin);
  }

  private finishConnect(c: Connection, cl: Client, m: MqttPacket, props: MqttProperty[], clientId: string, assigned: boolean, authProps: MqttProperty[]): void {
    const info = m.connect!;
    const v5 = info.version >= 5;
    const now = millis();
    const l = this.l;
    let prop: MqttProperty | undefined;
    const find = (id: number): number | undefined => ((prop = props.find((p) => p.id === id)) === undefined ? undefined : prop.iv);
    // Session Expiry Interval (section 3.1.2.11.2); 3.1.1: clean session 0 keeps the session.
    const asked = v5 ? (find(MQTT_PROP_SESSION_EXPIRY_INTERVAL) ?? 0) : info.clean ? 0 : EXPIRY_NEVER;
    const expiry = Math.min(asked, l.maxSessionExpiry);
    cl.connectExpiry = asked;
    cl.receiveMax = find(MQTT_PROP_RECEIVE_MAXIMUM) ?? 65535;
    cl.maxPacket = find(MQTT_PROP_MAXIMUM_PACKET_SIZE) ?? Infinity;
    cl.aliasOutMax = l.outboundAliases ? (find(MQTT_PROP_TOPIC_ALIAS_MAXIMUM) ?? 0) : 0;
    let keepAlive = info.keepAlive;
    const connack: MqttProperty[] = v5 ? [...l.connackProps, ...authProps] : [];
    if (v5 && l.maxKeepAlive > 0 && (keepAlive === 0 || keepAlive > l.maxKeepAlive)) {
      // Section 3.2.2.3.14: the server tells the client the keep alive to use.
      keepAlive = l.maxKeepAlive;
      connack.push({ id: MQTT_PROP_SERVER_KEEP_ALIVE, iv: keepAlive });
    }
    if (v5 && expiry !== asked) connack.push({ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: expiry });
    if (v5 && assigned) connack.push({ id: MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER, val: clientId });

    let s = this.sessions.get(clientId);
    if (s !== undefined) {
      if (s.conn !== undefined) this.takeOver(s, info.clean);
      else if (s.will !== undefined) {
        // A delayed will: a new connection to the session cancels it [MQTT-3.1.3-9]; a clean start ends the session, which sends it.
        if (info.clean) this.publishWill(s); else s.will = undefined;
      }
    }
    // [MQTT-3.1.2-4]: clean start discards the session; [MQTT-3.1.2-5]: otherwise it resumes.
    const present = s !== undefined && !info.clean;
    if (!present) {
      if (s !== undefined) this.endSession(s);
      s = newSession(clientId, info.version, expiry, this.stats);
      this.sessions.set(clientId, s);
      this.routes.invalidate();
    }
    s = s!;
    this.clock.forget(s);
    s.endsAt = Infinity;
    s.expiry = expiry;
    s.version = info.version;
    s.conn = c;
    s.client = cl;
    cl.session = s;
    cl.qos2In = s.qos2In;
    cl.keepAliveMs = keepAlive * 1000;
    cl.aliasesIn = undefined;
    cl.aliasesOut = undefined;
    const w = info.will;
    cl.will = undefined;
    if (w !== undefined) {
      // The Will Delay Interval is the broker's, not forwarded: 0x18 is not a PUBLISH property.
      let delay = 0;
      const wp = w.props.filter((p) => { if (p.id === MQTT_PROP_WILL_DELAY_INTERVAL) { delay = p.iv!; return false; } return true; });
      cl.will = stored(w.topic, Buffer.from(w.message), w.qos, w.retain, wp, 0);
      cl.willDelay = delay;
    }
    // Stored before anything is delivered to it (a resumed session's record now says: connected).
    if (this.persist !== undefined && (s.expiry > 0 || s.log !== undefined)) this.persist.session(s);
    let connected = 0;
    for (const x of this.clients.values()) if (x.session !== undefined) connected++;
    if (connected > this.stats.maxClients) this.stats.maxClients = connected;
    c.mqttConnack(0, { sessionPresent: present, props: v5 ? connack : undefined });
    if (present) resume(s, l, now);
    if (this.cluster !== undefined) this.shareState(this.cluster, s, true);
  }

  /** In a cluster: the other nodes learn that the session's shared subscriptions are (not) connected here. */
  private shareState(cl: BrokerCluster, s: Session, online: boolean): void {
    for (const [key, sub] of s.subs) if (sub.shared) cl.shareSet(key, sub.filter, s.clientId, online);
  }

  // ---- the cluster --------------------------------------------------------------------

  /**
   * A CONNECT in a cluster: the session is claimed first (its owner key taken, the node
   * that held it asked to let go, its state read from Redis); packets that come meanwhile
   * wait. Then the CONNECT completes as on a lone broker.
   */
  private claimThenConnect(c: Connection, cl: Client, m: MqttPacket, props: MqttProperty[], clientId: string, assigned: boolean, authProps: MqttProperty[]): void {
    const info = m.connect!;
    const w = info.will;
    // The will's bytes are views of the receive buffer, which moves on meanwhile.
    if (w !== undefined) { w.message = Buffer.from(w.message); w.props = w.props.map((p) => (p.bin === undefined ? p : { ...p, bin: Buffer.from(p.bin) })); }
    cl.held = [];
    this.cluster!.claim(clientId, info.clean).then((got: Claimed) => {
      const held = cl.held ?? [];
      cl.held = undefined;
      if (got.record !== undefined) this.adoptSession(got.record);
      if (c.isClosing || !this.clients.has(c)) {
        // The client left meanwhile: a session read from Redis stays here, with its client away.
        if (!this.sessions.has(clientId)) this.cluster?.disown(clientId);
      } else {
        this.finishConnect(c, cl, m, props, clientId, assigned, authProps);
        for (const [ev, p] of held) { if (!c.isClosing) this.dispatch(c, ev, p); }
      }
      this.persist?.commit();
    }, () => {
      cl.held = undefined;
      // Redis could not be reached in time: 0x88 Server unavailable (3.1.1: 3).
      if (!c.isClosing) c.mqttConnack(cl.version >= 5 ? RC_SERVER_UNAVAILABLE : 3);
    });
  }

  /** A session read from Redis (another node held it) becomes one of this broker's, its client away. */
  private adoptSession(rec: NonNullable<Claimed["record"]>): void {
    const old = this.sessions.get(rec.session.clientId);
    if (old !== undefined) this.detach(old);
    const s = this.persist!.adopt(rec.session, rec.deliveries, this.l, this.stats);
    if (s === undefined) return;
    for (const [key, sub] of s.subs) if (sub.shared) this.joinGroup(s, key, sub.filter);
    this.sessions.set(s.clientId, s);
    this.routes.invalidate();
    this.clock.watch(s);
  }

  /** The session leaves this broker without ending: its state stays in Redis for the node that takes it. */
  private detach(s: Session): void {
    this.clock.forget(s);
    for (const [key, sub] of s.subs) if (sub.shared) this.leaveGroup(s, key);
    s.log = undefined;
    if (this.sessions.get(s.clientId) === s) this.sessions.delete(s.clientId);
    this.routes.invalidate();
    this.cluster?.store.forget(s.clientId);
  }

  private clusterHost(): ClusterHost {
    return {
      remote: (msg, targets) => this.routeFromNode(msg, targets),
      release: (id, clean) => {
        const s = this.sessions.get(id);
        if (s === undefined) return;
        // As for a takeover on this broker [MQTT-3.1.4-3]: the old connection ends, its will as the rules say.
        if (s.conn !== undefined) this.takeOver(s, clean);
        else if (s.will !== undefined) { if (clean) this.publishWill(s); else s.will = undefined; }
        // Its last state (client away, no will) is what the other node reads.
        if (s.log !== undefined) this.persist?.session(s);
        this.detach(s);
      },
      lost: (id) => {
        const s = this.sessions.get(id);
        if (s === undefined) return;
        const c = s.conn, cl = s.client;
        s.conn = undefined;
        s.client = undefined;
        if (cl !== undefined) { cl.session = undefined; cl.will = undefined; }
        this.detach(s);
        if (c !== undefined && !c.isClosing) {
          if ((cl?.version ?? 4) >= 5) c.mqttDisconnect(RC_SESSION_TAKEN_OVER, [{ id: MQTT_PROP_REASON_STRING, val: REASONS.get(RC_SESSION_TAKEN_OVER)! }]);
          c.close();
        }
      },
      retained: (topic, msg) => { if (msg === undefined) this.retained.delete(topic); else this.retained.set(topic, msg); },
      retainedAll: () => this.retained.values(),
      sessionIds: () => this.sessions.keys(),
      hasSession: (id) => this.sessions.has(id),
      sharedSubs: () => {
        const out: [string, string, string, boolean][] = [];
        for (const s of this.sessions.values()) for (const [key, sub] of s.subs) if (sub.shared) out.push([key, sub.filter, s.clientId, s.conn !== undefined]);
        return out;
      },
      commit: () => this.persist?.commit(),
      warn: (line) => { process.stderr.write(`MqttBroker: ${line}\n`); },
    };
  }

  /**
   * Another connection took the session: the old one gets DISCONNECT 0x8E (MQTT 5) and
   * closes [MQTT-3.1.4-3]. Its will goes out unless the session continues and the will waits for a delay.
   */
  private takeOver(s: Session, clean: boolean): void {
    const old = s.conn!;
    const oc = s.client;
    s.conn = undefined;
    s.client = undefined;
    if (oc !== undefined) {
      oc.session = undefined;
      const w = oc.will;
      oc.will = undefined;
      if (w !== undefined && (clean || oc.willDelay === 0)) this.routeWill(s.clientId, w);
      const why = REASONS.get(RC_SESSION_TAKEN_OVER)!;
      if (oc.version >= 5 && !old.isClosing && !old.isDraining) old.mqttDisconnect(RC_SESSION_TAKEN_OVER, 7 + why.length > oc.maxPacket ? undefined : [{ id: MQTT_PROP_REASON_STRING, val: why }]);
    }
    old.close();
  }

  // ---- PUBLISH --------------------------------------------------------------------

  private onPublish(c: Connection, cl: Client, m: MqttPacket): void {
    const s = cl.session;
    if (s === undefined || c.isClosing || c.isDraining) return;
    if (cl.auth !== undefined && !cl.auth.reauth) { this.refuse(c, cl, RC_PROTOCOL_ERROR); return; }
    // [MQTT-4.3.3-10]: a QoS 2 PUBLISH not yet released, resent (after a reconnect), is
    // acknowledged (the layer sends PUBREC) but not routed again.
    if (m.qos === 2 && cl.qos2In.has(m.id)) return;
    // The clock is only read for a Message Expiry Interval (a property): without one the
    // message's expiresAt is 0, and nothing on its way (checkPublish, route, deliver) reads `now`.
    const now = m.props.length > 0 ? millis() : 0;
    const msg = checkPublish(cl, m, this.l, now);
    if (typeof msg === "number") { if (m.qos === 2) cl.qos2In.delete(m.id); this.refuse(c, cl, msg); return; }
    const ok = this.authorize === undefined ? true : this.authorize(s.clientId, msg.topic, "publish");
    if (refused(ok)) {
      // The layer acks once this handler returns: an MQTT 5 client learns why (0x87 or the hook's code).
      if (m.qos > 0) { cl.qos2In.delete(m.id); c.mqttAck(m, typeof ok === "number" && isPubAckReason(ok) ? ok : RC_NOT_AUTHORIZED); }
      return;
    }
    this.route(msg, s, now);
    if (m.qos === 2) this.persist?.qos2(s); // the id awaiting PUBREL outlives a restart [MQTT-4.3.3-10]
  }

  /** Retains (or clears) and delivers a message to every matching subscription. `msg.payload` may be a view. */
  private route(msg: Stored, from: Session | undefined, now = millis()): void {
    // Queued and in-flight messages outlive the receive buffer's views: one copy, made when
    // needed (stableOf; kept on the message, not in a closure made per message).
    if (msg.retain) {
      // [MQTT-3.3.1-5] replace; [MQTT-3.3.1-6] an empty payload removes the retained message.
      if (msg.payload.length === 0) { if (this.retained.delete(msg.topic)) this.persist?.retain(msg.topic, undefined); }
      else { const r = stableOf(msg); this.retained.set(msg.topic, r); this.persist?.retain(msg.topic, r); }
    }
    this.fanOut(msg, from, now);
    if (this.cluster !== undefined) { this.routeCluster(this.cluster, msg, now); return; }
    if (this.groups.size === 0) return;
    for (const g of this.groups.values()) {
      if (!topicMatches(g.filter, msg.topic)) continue;
      // Section 4.8.2: one member of the group gets it.
      const s = pickMember(g, (x) => x.conn !== undefined && !x.conn.isClosing && !x.conn.isDraining);
      if (s === undefined) continue;
      this.deliverShared(s, g.key, msg, now);
    }
  }

  /** Delivers to every session whose ordinary (not shared) subscriptions match. */
  private fanOut(msg: Stored, from: Session | undefined, now: number): void {
    const r = this.routes.route(msg.topic, this.sessions);
    if (r.hits.length === 0) return;
    // The topic's bytes come with its route: encoded once per topic, not per message (only deliveries use them).
    if (msg.topicBytes === undefined) msg.topicBytes = r.topicBytes ??= Buffer.from(msg.topic, "utf8");
    for (const { s, subs } of r.hits) {
      let qos = -1, retainAsPublished = false;
      let ids: number[] | undefined;
      for (const sub of subs) {
        if ((sub.options & 4) !== 0 && s === from) continue; // [MQTT-3.8.3-3] no local
        if (sub.qos > qos) qos = sub.qos;
        if ((sub.options & 8) !== 0) retainAsPublished = true;
        if (sub.id > 0) (ids ??= []).push(sub.id); // [MQTT-3.3.4-3]
      }
      if (qos < 0) continue;
      const q = Math.min(qos, msg.qos);
      // [MQTT-3.3.1-12] [MQTT-3.3.1-13]: retain as published keeps the flag, else live messages carry 0.
      deliver(s, q > 0 ? stableOf(msg) : msg, q, retainAsPublished && msg.retain, ids, this.l, now);
    }
  }

  /** A message for one member of a shared subscription group (`key`: "$share/g/f"). */
  private deliverShared(s: Session, key: string, msg: Stored, now: number): void {
    const sub = s.subs.get(key);
    if (sub === undefined) return;
    const q = Math.min(sub.qos, msg.qos);
    deliver(s, q > 0 ? stableOf(msg) : msg, q, (sub.options & 8) !== 0 && msg.retain, sub.id > 0 ? [sub.id] : undefined, this.l, now);
  }

  /**
   * In a cluster, after local delivery: this node picks the member of each shared group
   * (wherever it is), and the message goes to the other nodes with the picks of theirs.
   * The broker's own $SYS topics stay on this node.
   */
  private routeCluster(cl: BrokerCluster, msg: Stored, now: number): void {
    if (msg.topic.startsWith("$SYS/")) return;
    let targets: [string, string][] | undefined;
    if (cl.shares.size > 0) {
      cl.shares.pick(msg.topic, cl.alive, (key, m) => {
        if (m.node !== cl.nodeId) { (targets ??= []).push([key, m.clientId]); return; }
        const s = this.sessions.get(m.clientId);
        if (s !== undefined) this.deliverShared(s, key, msg, now);
      });
    }
    cl.publish(msg, targets);
  }

  /** A message another node of the cluster published (retained there already). */
  private routeFromNode(msg: Stored, targets: [string, string][] | undefined): void {
    const now = millis();
    msg.copy = msg; // decoded from Redis: already a copy of its own
    if (msg.retain) {
      if (msg.payload.length === 0) this.retained.delete(msg.topic);
      else this.retained.set(msg.topic, msg);
    }
    this.fanOut(msg, undefined, now);
    if (targets === undefined) return;
    for (const [key, id] of targets) {
      const s = this.sessions.get(id);
      if (s !== undefined) this.deliverShared(s, key, msg, now);
    }
  }

  // ---- SUBSCRIBE ------------------------------------------------------------------

  private onSubscribe(c: Connection, cl: Client, s: Session, m: MqttMessage): void {
    const v5 = s.version >= 5;
    let subId = 0;
    if (v5) {
      const ids = m.properties().filter((p) => p.id === MQTT_PROP_SUBSCRIPTION_IDENTIFIER);
      if (ids.length > 0 && !this.l.subIds) { this.refuse(c, cl, RC_SUBID_NOT_SUPPORTED); return; }
      // Section 3.8.2.1.2: one identifier at most, and not 0.
      if (ids.length > 1 || (ids.length === 1 && ids[0]!.iv === 0)) { this.refuse(c, cl, RC_PROTOCOL_ERROR); return; }
      subId = ids[0]?.iv ?? 0;
    }
    if (tooLargeAck(cl, m)) { this.refuse(c, cl, RC_PACKET_TOO_LARGE); return; }
    const fail = (code5: number): number => (v5 ? code5 : 0x80);
    const added: [Subscription, boolean][] = [];
    const codes: number[] = [];
    for (const f of m.filters!) {
      const share = parseShare(f.topic);
      if (share === "invalid") { codes.push(fail(RC_TOPIC_FILTER_INVALID)); continue; }
      const filter = share === undefined ? f.topic : share.filter;
      if (!isValidFilter(filter)) { codes.push(fail(RC_TOPIC_FILTER_INVALID)); continue; }
      if (share !== undefined) {
        if (!this.l.shared) { codes.push(fail(RC_SHARED_NOT_SUPPORTED)); continue; }
        // [MQTT-3.8.3-4]: No Local on a shared subscription is a protocol error.
        if ((f.options & 4) !== 0) { this.refuse(c, cl, RC_PROTOCOL_ERROR); return; }
      }
      if (!this.l.wildcards && (filter.includes("+") || filter.includes("#"))) { codes.push(fail(RC_WILDCARDS_NOT_SUPPORTED)); continue; }
      const ok = this.authorize === undefined ? true : this.authorize(s.clientId, f.topic, "subscribe");
      if (refused(ok)) { codes.push(fail(typeof ok === "number" && isSubackReason(ok) ? ok : RC_NOT_AUTHORIZED)); continue; }
      const qos = Math.min(f.qos, this.l.maxQos);
      const existed = s.subs.has(f.topic);
      const sub: Subscription = { qos, options: f.options, id: subId, filter, shared: share !== undefined };
      s.subs.set(f.topic, sub);
      this.routes.invalidate();
      if (share !== undefined && !existed) {
        this.joinGroup(s, f.topic, filter);
        this.cluster?.shareSet(f.topic, filter, s.clientId, true);
      }
      added.push([sub, existed]);
      codes.push(qos);
    }
    c.mqttSuback(m, codes);
    if (added.length > 0 && s.log !== undefined) this.persist?.session(s);
    // Retained messages for the new subscriptions: retain handling 0 always, 1 only when new, 2 never
    // [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11]; none on shared subscriptions (section 4.8.2).
    const now = millis();
    for (const [sub, existed] of added) {
      const rh = (sub.options >> 4) & 3;
      if (sub.shared || rh === 2 || (rh === 1 && existed)) continue;
      for (const r of this.retained.values()) {
        if (r.expiresAt !== 0 && now >= r.expiresAt) { this.retained.delete(r.topic); this.persist?.retain(r.topic, undefined); continue; } // [MQTT-3.3.2-5]
        if (!topicMatches(sub.filter, r.topic)) continue;
        deliver(s, r, Math.min(r.qos, sub.qos), true, sub.id > 0 ? [sub.id] : undefined, this.l, now);
        r.qos0Packets = undefined; // a retained message keeps its payload, not packets built from it
      }
    }
  }

  private joinGroup(s: Session, key: string, filter: string): void {
    let g = this.groups.get(key);
    if (g === undefined) { g = { key, filter, members: [], next: 0 }; this.groups.set(key, g); }
    g.members.push(s);
  }

  /** Removes a subscription; false when there was none. */
  private unsubscribe(s: Session, key: string): boolean {
    const sub = s.subs.get(key);
    if (sub === undefined) return false;
    s.subs.delete(key);
    this.routes.invalidate();
    if (sub.shared) {
      this.leaveGroup(s, key);
      this.cluster?.shareRemove(key, s.clientId);
    }
    return true;
  }

  private leaveGroup(s: Session, key: string): void {
    const g = this.groups.get(key);
    if (g === undefined) return;
    const i = g.members.indexOf(s);
    if (i >= 0) g.members.splice(i, 1);
    if (g.members.length === 0) this.groups.delete(key);
  }

  // ---- the end of connections and sessions -----------------------------------------

  private onClose(c: Connection, cl: Client): void {
    this.clients.delete(c);
    if (this.lastConn === c) { this.lastConn = undefined; this.lastClient = undefined; }
    const s = cl.session;
    if (s === undefined || s.conn !== c) return;
    s.conn = undefined;
    s.client = undefined;
    const now = millis();
    const w = cl.graceful ? undefined : cl.will;
    // [MQTT-3.1.2-23]: the session outlives the connection for its Session Expiry Interval.
    if (s.expiry === 0) {
      if (w !== undefined) this.routeWill(s.clientId, w);
      this.endSession(s);
      this.cluster?.disown(s.clientId);
      return;
    }
    if (this.cluster !== undefined) this.shareState(this.cluster, s, false);
    s.endsAt = s.expiry === EXPIRY_NEVER ? Infinity : now + s.expiry * 1000;
    if (w !== undefined) {
      // [MQTT-3.1.2-8]: the will goes out once its delay has passed or the session ends, whichever comes first.
      if (cl.willDelay === 0) this.routeWill(s.clientId, w);
      else { s.will = w; s.willAt = now + cl.willDelay * 1000; }
    }
    if (s.log !== undefined) this.persist?.session(s);
    this.clock.watch(s);
  }

  private publishWill(s: Session): void {
    const w = s.will;
    s.will = undefined;
    if (w === undefined) return;
    this.routeWill(s.clientId, w);
    if (s.log !== undefined && s.conn === undefined) this.persist?.session(s);
  }

  /** Publishes a will ([MQTT-3.1.2-14] [MQTT-3.1.2-15]: retained as its flag says); its expiry counts from now. */
  private routeWill(clientId: string, w: Stored): void {
    if (this.authorize !== undefined && refused(this.authorize(clientId, w.topic, "publish"))) return;
    const props: MqttProperty[] = [];
    let expiresAt = 0;
    for (const p of w.props) {
      if (p.id === MQTT_PROP_MESSAGE_EXPIRY_INTERVAL) expiresAt = millis() + p.iv! * 1000;
      else props.push(p);
    }
    this.route({ ...w, props, expiresAt }, undefined);
  }

  /** The session ends: its will (if still waiting) goes out, its subscriptions and messages are dropped. */
  private endSession(s: Session): void {
    this.publishWill(s);
    this.clock.forget(s);
    for (const key of [...s.subs.keys()]) this.unsubscribe(s, key);
    this.persist?.end(s);
    s.queue.length = 0;
    s.queuedBytes = 0;
    s.inflight.clear();
    if (this.sessions.get(s.clientId) === s) this.sessions.delete(s.clientId);
    this.routes.invalidate();
  }
}

/** An `authorize` answer that refuses: false, or a reason code of 0x80 or more. */
const refused = (ok: boolean | number): boolean => ok === false || (typeof ok === "number" && ok >= 0x80);

function stored(topic: string, payload: Buffer, qos: number, retain: boolean, props: MqttProperty[], now: number): Stored {
  let expiresAt = 0;
  const rest: MqttProperty[] = [];
  for (const p of props) {
    if (p.id === MQTT_PROP_MESSAGE_EXPIRY_INTERVAL) { if (now > 0) expiresAt = now + p.iv! * 1000; else rest.push(p); }
    else if (p.id !== MQTT_PROP_TOPIC_ALIAS && p.id !== MQTT_PROP_SUBSCRIPTION_IDENTIFIER) rest.push(p);
  }
  return { topic, payload, qos, retain, props: rest, expiresAt };
}

/**
 * A message that outlives the receive buffer: its payload copied (with the packet it came
 * in, when it keeps one: then the payload is a view of that copy, and the copy is free for
 * the first delivery to send), or the message itself when its packet needs no copy.
 */
function stableOf(msg: Stored): Stored {
  const c = msg.copy;
  if (c !== undefined) return c;
  const { topic, qos, retain, props, expiresAt, topicBytes } = msg;
  const raw = msg.raw;
  if (raw === undefined) return (msg.copy = { topic, payload: Buffer.from(msg.payload), qos, retain, props, expiresAt, topicBytes, raw: undefined, rawFree: false, copy: undefined });
  // A packet that is most of the memory it keeps alive (a socket read of about one
  // packet: each read has a backing store of its own size) is not copied: the receive
  // buffer never writes over bytes it handed out, and these are consumed (so the broker
  // may patch them: writeRaw). A view of a large read (many packets) would keep all of
  // it alive for as long as the message waits: that one is copied.
  if (raw.buffer.byteLength <= 2 * raw.length) {
    msg.rawFree = true;
    return (msg.copy = msg);
  }
  const b = Buffer.from(raw);
  return (msg.copy = { topic, payload: b.subarray(b.length - msg.payload.length), qos, retain, props, expiresAt, topicBytes, raw: b, rawFree: true, copy: undefined });
}

/** A packet that outlives its event (held during a cluster CONNECT): its bytes copied out of the receive buffer. */
function copyPacket(m: MqttPacket): MqttPacket {
  const p = new Packet(m.cmd, m.flags, Buffer.from(m.dgram));
  p.topic = m.topic;
  p.data = Buffer.from(m.data);
  p.id = m.id;
  p.qos = m.qos;
  p.ack = m.ack;
  p.retain = m.retain;
  p.dup = m.dup;
  p.version = m.version;
  p.props = Buffer.from(m.props);
  p.connect = m.connect;
  p.filters = m.filters;
  p.sessionPresent = m.sessionPresent;
  return p;
}
