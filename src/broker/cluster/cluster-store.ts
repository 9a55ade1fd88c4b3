// The MqttStore of a broker in a cluster: every change to a persistent session (its record,
// its queued and in-flight QoS 1/2 deliveries) and to the retained messages is written to
// Redis as it happens, pipelined and sent at each commit(), so that another node can take
// the session over from what Redis holds. Nothing is read back at start (sessions are
// loaded when their client connects, retained messages by the cluster): load() is empty.
//
// While Redis is unreachable the writes are dropped, not queued: the records of the
// sessions this node holds are kept here, and resync() writes them whole once Redis is
// back (a Redis that restarted empty gets them all again, one that did not gets the same).
import type { Redis, ChainableCommander } from "ioredis";
import type { MqttStore, MqttStoreSnapshot, MqttStoredDelivery, MqttStoredMessage, MqttStoredSession } from "../broker-store.js";
import { EXPIRY_NEVER } from "../broker-options.js";
import { decodeFrame, encodeFrame, messageFromJson, messageToJson } from "./cluster-codec.js";

/** The names of everything a cluster keeps in Redis (all under one prefix). */
export class ClusterKeys {
  readonly retained: string;
  readonly shares: string;
  readonly msgChannel: string;
  readonly ctlChannel: string;
  constructor(readonly prefix: string) {
    this.retained = `${prefix}retained`;
    this.shares = `${prefix}shares`;
    this.msgChannel = `${prefix}msg`;
    this.ctlChannel = `${prefix}ctl`;
  }
  session(id: string): string { return `${this.prefix}session:${id}`; }
  deliveries(id: string): string { return `${this.prefix}deliveries:${id}`; }
  owner(id: string): string { return `${this.prefix}owner:${id}`; }
  node(id: string): string { return `${this.prefix}node:${id}`; }
}

/** Kept after the Session Expiry Interval, so that a node taking over a session at its end still finds it. */
const EXPIRY_SLACK_MS = 5000;

export class RedisStore implements MqttStore {
  private pipe: ChainableCommander | undefined;
  /** The records of the persistent sessions this node holds, and their deliveries. */
  private readonly sessions = new Map<string, MqttStoredSession>();
  private readonly deliveries = new Map<string, Map<number, MqttStoredDelivery>>();

  /** `redis()` is the command connection while it is ready, else undefined. */
  constructor(private readonly k: ClusterKeys, private readonly redis: () => Redis | undefined) {}

  load(): MqttStoreSnapshot { return { retained: [], sessions: [] }; }

  private p(): ChainableCommander | undefined {
    if (this.pipe !== undefined) return this.pipe;
    const r = this.redis();
    return r === undefined ? undefined : (this.pipe = r.pipeline());
  }

  setRetained(topic: string, msg: MqttStoredMessage | undefined): void {
    const p = this.p();
    if (p === undefined) return;
    if (msg === undefined) p.hdel(this.k.retained, topic);
    else p.hset(this.k.retained, topic, encodeFrame(msg));
  }

  setSession(r: MqttStoredSession): void {
    this.sessions.set(r.clientId, r);
    if (!this.deliveries.has(r.clientId)) this.deliveries.set(r.clientId, new Map());
    const p = this.p();
    if (p !== undefined) this.writeSession(p, r);
  }

  private writeSession(p: ChainableCommander, r: MqttStoredSession): void {
    const rec: Record<string, unknown> = { ...r, will: r.will === undefined ? undefined : messageToJson(r.will) };
    p.set(this.k.session(r.clientId), JSON.stringify(rec));
    this.expire(p, r);
  }

  /** A disconnected session's keys end with it in Redis too (when no node is left to end it); a connected one's do not. */
  private expire(p: ChainableCommander, r: MqttStoredSession): void {
    const keys = [this.k.session(r.clientId), this.k.deliveries(r.clientId)];
    if (r.disconnectedAt > 0 && r.expiry !== EXPIRY_NEVER) {
      const at = r.disconnectedAt + r.expiry * 1000 + EXPIRY_SLACK_MS;
      for (const key of keys) p.pexpireat(key, at);
    } else {
      for (const key of keys) p.persist(key);
    }
  }

  deleteSession(clientId: string): void {
    this.forget(clientId);
    this.p()?.del(this.k.session(clientId), this.k.deliveries(clientId));
  }

  /** The session went to another node: its records stay in Redis, this node stops keeping them. */
  forget(clientId: string): void {
    this.sessions.delete(clientId);
    this.deliveries.delete(clientId);
  }

  addDelivery(clientId: string, d: MqttStoredDelivery): void {
    let m = this.deliveries.get(clientId);
    if (m === undefined) { m = new Map(); this.deliveries.set(clientId, m); }
    m.set(d.key, d);
    const p = this.p();
    if (p === undefined) return;
    p.hset(this.k.deliveries(clientId), String(d.key), encodeDelivery(d));
    const r = this.sessions.get(clientId);
    if (r !== undefined && r.disconnectedAt > 0) this.expire(p, r); // the hash may be new: give it the session's end
  }

  updateDelivery(clientId: string, key: number, packetId: number, released: boolean): void {
    const d = this.deliveries.get(clientId)?.get(key);
    if (d === undefined) return;
    d.packetId = packetId;
    d.released = released;
    this.p()?.hset(this.k.deliveries(clientId), String(key), encodeDelivery(d));
  }

  deleteDelivery(clientId: string, key: number): void {
    this.deliveries.get(clientId)?.delete(key);
    this.p()?.hdel(this.k.deliveries(clientId), String(key));
  }

  commit(): void {
    const p = this.pipe;
    this.pipe = undefined;
    // A failed write (Redis went away in the middle) is made good by resync() at the reconnect.
    p?.exec().catch(() => undefined);
  }

  close(): void { this.commit(); }

  /** Keeps the records of a session adopted from Redis (another node held it before). */
  adopt(r: MqttStoredSession, ds: MqttStoredDelivery[]): void {
    this.sessions.set(r.clientId, r);
    this.deliveries.set(r.clientId, new Map(ds.map((d) => [d.key, d])));
  }

  /** After a reconnect: every session this node holds, written whole. */
  resync(): void {
    const p = this.p();
    if (p === undefined) return;
    for (const [id, r] of this.sessions) {
      this.writeSession(p, r);
      p.del(this.k.deliveries(id));
      for (const d of this.deliveries.get(id)?.values() ?? []) p.hset(this.k.deliveries(id), String(d.key), encodeDelivery(d));
      this.expire(p, r);
    }
    this.commit();
  }
}

function encodeDelivery(d: MqttStoredDelivery): Buffer {
  return encodeFrame(d.message, { k: d.key, dq: d.qos, dr: d.retain ? 1 : 0, si: d.subIds, pi: d.packetId, rl: d.released ? 1 : 0 });
}

/** A session's record and deliveries as Redis returns them; undefined when there is none (or it is unreadable). */
export function decodeSession(json: string | null, dels: Record<string, Buffer>): { session: MqttStoredSession; deliveries: MqttStoredDelivery[] } | undefined {
  if (json === null) return undefined;
  let o: Record<string, unknown>;
  try { o = JSON.parse(json) as Record<string, unknown>; } catch { return undefined; }
  const session = o as unknown as MqttStoredSession;
  if (typeof session.clientId !== "string" || !Array.isArray(session.subscriptions)) return undefined;
  session.will = o.will === undefined || o.will === null ? undefined : messageFromJson(o.will as Record<string, unknown>);
  const deliveries: MqttStoredDelivery[] = [];
  // One message object per publication would be nicer; each delivery read back has its own.
  for (const b of Object.values(dels)) {
    const f = decodeFrame(b);
    if (f === undefined) continue;
    const h = f.header;
    deliveries.push({
      key: Number(h.k), message: f.msg, qos: Number(h.dq), retain: h.dr === 1, subIds: Array.isArray(h.si) ? (h.si as number[]) : [],
      packetId: Number(h.pi ?? 0), released: h.rl === 1,
    });
  }
  return { session, deliveries };
}
