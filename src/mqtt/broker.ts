// A complete MQTT broker on top of mqttListen (MQTT 3.1.1 and 5.0): sessions (clean or
// persistent, taken over by a reconnecting client id), subscriptions with "+" and "#",
// retained messages, QoS 0/1/2 delivery at the lower of the publish and subscription
// QoS, wills, keep alive timeouts, and authenticate/authorize hooks.
import type { Connection } from "../connection.js";
import type { Manager } from "../manager.js";
import type { ConnectionOptions } from "../options.js";
import {
  MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_POLL, MG_EV_READ, type EventHandler,
} from "../events.js";
import {
  MQTT_CMD_CONNECT, MQTT_CMD_DISCONNECT, MQTT_CMD_PINGREQ, MQTT_CMD_PUBACK, MQTT_CMD_PUBREC, MQTT_CMD_SUBSCRIBE,
  MQTT_CMD_UNSUBSCRIBE, MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
  MQTT_PROP_SUBSCRIPTION_IDENTIFIER, MQTT_PROP_TOPIC_ALIAS,
} from "./constants.js";
import type { MqttMessage, MqttProperty } from "./message.js";
import { isValidFilter, topicMatches } from "./topic.js";
import { checkQos } from "./builder.js";
import { utf8Field } from "./wire.js";
import { randomStr } from "../util/random.js";
import { millis } from "../util/time.js";
import { toBuffer } from "../util/bytes.js";

export type MqttAction = "publish" | "subscribe";

export interface MqttBrokerOptions extends ConnectionOptions {
  /** Where to listen: mqtt://host:port, or mqtts:// with `tls`. */
  listen: string;
  /** Accepts or refuses a CONNECT (default: everyone). Refused: CONNACK 4 (3.1.1) / 0x86 (5.0). */
  authenticate?: (user: string | undefined, pass: string | undefined, clientId: string) => boolean;
  /** Allows a client to publish to a topic or subscribe to a filter (default: everything). */
  authorize?: (clientId: string, topic: string, action: MqttAction) => boolean;
  /** QoS 1/2 messages kept for a disconnected persistent session; the oldest go first. Default 1000. */
  maxQueuedMessages?: number;
  /** A connection that sends no CONNECT within this time is closed. Default 10 s. */
  connectTimeoutMs?: number;
}

/** A message as the broker keeps it (retained, queued, or a will). */
interface Stored {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  props: MqttProperty[];
}

interface Subscription { qos: number; options: number; id: number }

interface Session {
  clientId: string;
  /** Survives the connection (3.1.1: clean session 0; 5.0: session expiry interval > 0). */
  persistent: boolean;
  subs: Map<string, Subscription>;
  conn: Connection | undefined;
  version: number;
  /** Messages waiting for the client to come back. */
  queue: Stored[];
  /** Delivered at QoS 1/2 and not yet acknowledged (PUBACK / PUBREC), by packet id. */
  unacked: Map<number, Stored>;
}

interface Client {
  session: Session | undefined;
  will: Stored | undefined;
  /** DISCONNECT received: the will is dropped. */
  graceful: boolean;
  keepAliveMs: number;
  lastRecv: number;
  acceptedAt: number;
}

const DEFAULT_MAX_QUEUED = 1000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export class MqttBroker {
  /** The listening connection (`listener.localAddr.port` is the real port). */
  readonly listener: Connection;
  private readonly sessions = new Map<string, Session>();
  private readonly clients = new Map<Connection, Client>();
  private readonly retained = new Map<string, Stored>();
  private readonly authenticate: MqttBrokerOptions["authenticate"];
  private readonly authorize: MqttBrokerOptions["authorize"];
  private readonly maxQueued: number;
  private readonly connectTimeoutMs: number;

  constructor(manager: Manager, opts: MqttBrokerOptions) {
    const { listen, authenticate, authorize, maxQueuedMessages, connectTimeoutMs, ...connOpts } = opts;
    if (typeof listen !== "string") throw new Error("MqttBroker: `listen` URL is required");
    this.authenticate = authenticate;
    this.authorize = authorize;
    this.maxQueued = maxQueuedMessages ?? DEFAULT_MAX_QUEUED;
    this.connectTimeoutMs = connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.listener = manager.mqttListen(listen, this.handler, connOpts);
  }

  /** Client ids of the sessions held (connected or persistent). */
  get sessionIds(): string[] { return [...this.sessions.keys()]; }
  /** Topics with a retained message. */
  get retainedTopics(): string[] { return [...this.retained.keys()]; }
  /** Subscriptions held, over all sessions. */
  get subscriptionCount(): number { let n = 0; for (const s of this.sessions.values()) n += s.subs.size; return n; }
  /** Connections that completed CONNECT. */
  get clientCount(): number { let n = 0; for (const c of this.clients.values()) if (c.session) n++; return n; }

  /** Publishes from the application, as if a client had. */
  publish(topic: string, payload: string | Uint8Array, opts: { qos?: number; retain?: boolean; props?: MqttProperty[] } = {}): void {
    const qos = opts.qos ?? 0;
    checkQos(qos);
    utf8Field(topic, "topic");
    if (topic === "" || topic.includes("+") || topic.includes("#")) throw new Error(`MqttBroker.publish: bad topic name ${JSON.stringify(topic)}`);
    this.route({ topic, payload: Buffer.from(toBuffer(payload)), qos, retain: opts.retain === true, props: opts.props ?? [] }, undefined);
  }

  /** Stops listening and closes every client connection. */
  close(): void {
    this.listener.close();
    for (const c of this.clients.keys()) c.close();
  }

  private readonly handler: EventHandler = (c, ev, data) => {
    if (c.isListening) return;
    if (ev === MG_EV_ACCEPT) {
      const now = millis();
      this.clients.set(c, { session: undefined, will: undefined, graceful: false, keepAliveMs: 0, lastRecv: now, acceptedAt: now });
      return;
    }
    const cl = this.clients.get(c);
    if (cl === undefined) return;
    if (ev === MG_EV_READ) cl.lastRecv = millis();
    else if (ev === MG_EV_POLL) this.poll(c, cl, data);
    else if (ev === MG_EV_MQTT_MSG) { if (cl.session) this.onPublish(cl.session, data); }
    else if (ev === MG_EV_MQTT_CMD) this.onCommand(c, cl, data);
    else if (ev === MG_EV_CLOSE) this.onClose(c, cl);
  };

  private poll(c: Connection, cl: Client, now: number): void {
    if (c.isClosing) return;
    if (cl.session === undefined) {
      if (now - cl.acceptedAt > this.connectTimeoutMs) c.error("MQTT: no CONNECT in time");
    } else if (cl.keepAliveMs > 0 && now - cl.lastRecv > cl.keepAliveMs * 1.5) {
      // 3.1.1 section 3.1.2.10: nothing for one and a half keep alive periods.
      c.error("MQTT: keep alive timeout");
    }
  }

  private onCommand(c: Connection, cl: Client, m: MqttMessage): void {
    const s = cl.session;
    switch (m.cmd) {
      case MQTT_CMD_CONNECT: this.onConnect(c, cl, m); break;
      case MQTT_CMD_SUBSCRIBE: if (s) this.onSubscribe(c, s, m); break;
      case MQTT_CMD_UNSUBSCRIBE:
        if (s) c.mqttSuback(m, m.filters!.map((f) => (s.subs.delete(f.topic) || s.version < 5 ? 0 : 0x11)));
        break;
      case MQTT_CMD_PINGREQ: c.mqttPong(); break;
      case MQTT_CMD_PUBACK: case MQTT_CMD_PUBREC: s?.unacked.delete(m.id); break;
      case MQTT_CMD_DISCONNECT:
        // MQTT 5 reason 0x04: disconnect with will message.
        cl.graceful = !(s !== undefined && s.version >= 5 && m.ack === 0x04);
        c.close();
        break;
    }
  }

  private onConnect(c: Connection, cl: Client, m: MqttMessage): void {
    const info = m.connect!;
    const v5 = info.version >= 5;
    let clientId = info.clientId, assigned = false;
    if (clientId === "") {
      // 3.1.1 section 3.1.3.1: an empty id needs a clean session.
      if (!info.clean && !v5) { c.mqttConnack(2); return; }
      clientId = `auto-${randomStr(16)}`;
      assigned = true;
    }
    if (this.authenticate !== undefined && !this.authenticate(info.user, info.pass?.toString("utf8"), clientId)) {
      c.mqttConnack(v5 ? 0x86 : 4);
      return;
    }
    const expiry = v5 ? (m.properties().find((p) => p.id === MQTT_PROP_SESSION_EXPIRY_INTERVAL)?.iv ?? 0) : 0;
    const persistent = v5 ? expiry > 0 : !info.clean;
    let s = this.sessions.get(clientId);
    if (s?.conn !== undefined) {
      // Section 3.1.4: a second connection with the same id takes over; the first is closed.
      const old = s.conn;
      this.requeue(s);
      s.conn = undefined;
      old.close();
    }
    const present = s !== undefined && !info.clean && s.persistent;
    if (!present) {
      s = { clientId, persistent, subs: new Map(), conn: undefined, version: info.version, queue: [], unacked: new Map() };
      this.sessions.set(clientId, s);
    }
    s = s!;
    s.persistent = persistent;
    s.version = info.version;
    s.conn = c;
    cl.session = s;
    cl.keepAliveMs = info.keepAlive * 1000;
    const w = info.will;
    cl.will = w === undefined ? undefined : { topic: w.topic, payload: Buffer.from(w.message), qos: w.qos, retain: w.retain, props: w.props };
    c.mqttConnack(0, { sessionPresent: present, props: v5 && assigned ? [{ id: MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER, val: clientId }] : undefined });
    for (const msg of s.queue.splice(0)) this.send(s, msg, msg.qos, msg.retain, []);
  }

  private onSubscribe(c: Connection, s: Session, m: MqttMessage): void {
    const subId = m.properties().find((p) => p.id === MQTT_PROP_SUBSCRIPTION_IDENTIFIER)?.iv ?? 0;
    const v5 = s.version >= 5;
    const added: [string, Subscription, boolean][] = [];
    const codes = m.filters!.map((f) => {
      if (!isValidFilter(f.topic)) return v5 ? 0x8f : 0x80;
      if (f.topic.startsWith("$share/")) return v5 ? 0x9e : 0x80; // shared subscriptions are not supported
      if (this.authorize !== undefined && !this.authorize(s.clientId, f.topic, "subscribe")) return v5 ? 0x87 : 0x80;
      const existed = s.subs.has(f.topic);
      const sub = { qos: f.qos, options: f.options, id: subId };
      s.subs.set(f.topic, sub);
      added.push([f.topic, sub, existed]);
      return f.qos;
    });
    c.mqttSuback(m, codes);
    // Retained messages for the new subscriptions (MQTT 5 retain handling: 1 only when new, 2 never).
    for (const [filter, sub, existed] of added) {
      const rh = (sub.options >> 4) & 3;
      if (rh === 2 || (rh === 1 && existed)) continue;
      for (const r of this.retained.values()) {
        if (topicMatches(filter, r.topic)) this.send(s, r, Math.min(r.qos, sub.qos), true, sub.id > 0 ? [sub.id] : []);
      }
    }
  }

  private onPublish(from: Session, m: MqttMessage): void {
    if (this.authorize !== undefined && !this.authorize(from.clientId, m.topic, "publish")) return;
    const props = m.properties().filter((p) => p.id !== MQTT_PROP_TOPIC_ALIAS && p.id !== MQTT_PROP_SUBSCRIPTION_IDENTIFIER);
    this.route({ topic: m.topic, payload: m.data, qos: m.qos, retain: m.retain, props }, from);
  }

  /** Retains (or clears) and delivers a message to every matching subscription. */
  private route(msg: Stored, from: Session | undefined): void {
    if (msg.retain) {
      // Section 3.3.1.3: an empty retained message removes the retained one.
      if (msg.payload.length === 0) this.retained.delete(msg.topic);
      else this.retained.set(msg.topic, { ...msg, payload: Buffer.from(msg.payload) });
    }
    let copied: Stored | undefined;
    for (const s of this.sessions.values()) {
      let qos = -1, retainAsPublished = false;
      const ids: number[] = [];
      for (const [filter, sub] of s.subs) {
        if (!topicMatches(filter, msg.topic)) continue;
        if ((sub.options & 4) !== 0 && s === from) continue; // MQTT 5 no local
        qos = Math.max(qos, sub.qos);
        if ((sub.options & 8) !== 0) retainAsPublished = true;
        if (sub.id > 0) ids.push(sub.id);
      }
      if (qos < 0) continue;
      // Queued messages outlive the receive buffer's views: keep one copy.
      if (s.conn === undefined && copied === undefined) copied = { ...msg, payload: Buffer.from(msg.payload) };
      this.send(s, s.conn === undefined ? copied! : msg, Math.min(qos, msg.qos), retainAsPublished && msg.retain, ids);
    }
  }

  /** Sends to the session's connection, or queues for a persistent session that is away (QoS 1/2 only). */
  private send(s: Session, msg: Stored, qos: number, retain: boolean, subIds: number[]): void {
    const c = s.conn;
    if (c === undefined || c.isClosing) {
      if (s.persistent && qos > 0) {
        s.queue.push(qos === msg.qos && retain === msg.retain ? msg : { ...msg, qos, retain });
        if (s.queue.length > this.maxQueued) s.queue.shift();
      }
      return;
    }
    let props: MqttProperty[] | undefined;
    if (s.version >= 5) {
      props = msg.props;
      if (subIds.length > 0) props = [...props, ...subIds.map((iv) => ({ id: MQTT_PROP_SUBSCRIPTION_IDENTIFIER, iv }))];
    }
    const id = c.mqttPub(msg.topic, msg.payload, { qos, retain, props });
    if (id !== 0) s.unacked.set(id, qos === msg.qos ? msg : { ...msg, qos });
  }

  /** Unacknowledged deliveries go back to the front of the queue of a persistent session. */
  private requeue(s: Session): void {
    if (s.persistent && s.unacked.size > 0) {
      s.queue.unshift(...[...s.unacked.values()].map((m) => ({ ...m, payload: Buffer.from(m.payload) })));
      if (s.queue.length > this.maxQueued) s.queue.splice(0, s.queue.length - this.maxQueued);
    }
    s.unacked.clear();
  }

  private onClose(c: Connection, cl: Client): void {
    this.clients.delete(c);
    const s = cl.session;
    if (s === undefined) return;
    if (s.conn === c) {
      s.conn = undefined;
      this.requeue(s);
      if (!s.persistent) this.sessions.delete(s.clientId);
    }
    // Section 3.1.2.5: the will goes out when the connection ends without DISCONNECT.
    const w = cl.will;
    if (!cl.graceful && w !== undefined && (this.authorize === undefined || this.authorize(s.clientId, w.topic, "publish"))) {
      this.route(w, undefined);
    }
  }
}
