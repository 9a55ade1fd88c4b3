// Between the broker's live state and its MqttStore: turns sessions, deliveries and
// retained messages into store records as they change (times from the monotonic clock to
// the wall clock), and back into live state when the broker starts. Only persistent
// sessions (an expiry after disconnect) are stored; QoS 0 is never queued, so never stored.
import { millis } from "../util/time.js";
import { MgError } from "../util/errors.js";
import type { BrokerLimits } from "./broker-options.js";
import { EXPIRY_NEVER } from "./broker-options.js";
import { MqttFileStore, type MqttFileStoreOptions } from "./broker-file-store.js";
import { parseShare } from "./broker-shared.js";
import { newSession, type Delivery, type DeliveryLog, type Session, type Stored } from "./broker-session.js";
import type { MqttStore, MqttStoredDelivery, MqttStoredMessage, MqttStoredSession } from "./broker-store.js";
import type { BrokerStats } from "./broker-sys.js";

/** The store the option asks for (checked where given). */
export function storeOf(p: unknown): MqttStore {
  if (p === null || typeof p !== "object" || Array.isArray(p)) throw new MgError("ERR_INVALID_OPTION", "option persistence must be { dir } or { store }");
  const o = p as Record<string, unknown>;
  if (o.store !== undefined) {
    if (o.dir !== undefined) throw new MgError("ERR_INVALID_OPTION", "option persistence takes either dir or store, not both");
    const s = o.store as Record<string, unknown>;
    for (const m of ["load", "setRetained", "setSession", "deleteSession", "addDelivery", "updateDelivery", "deleteDelivery", "commit", "close"]) {
      if (typeof s?.[m] !== "function") throw new MgError("ERR_INVALID_OPTION", `option persistence.store must have a ${m}() method`);
    }
    return o.store as MqttStore;
  }
  return new MqttFileStore(o as unknown as MqttFileStoreOptions);
}

/** Wall-clock time of a monotonic deadline (0 stays 0). */
const toWall = (t: number, nowMono: number, nowWall: number): number => (t === 0 ? 0 : nowWall + (t - nowMono));
const toMono = (t: number, nowMono: number, nowWall: number): number => (t === 0 ? 0 : nowMono + (t - nowWall));

export class BrokerPersistence implements DeliveryLog {
  private seq = 0;
  private closed = false;
  /** Something was told to the store since the last commit. */
  private dirty = false;
  /** Stored -> its record, so that the deliveries of one publication share one record object. */
  private readonly records = new WeakMap<Stored, MqttStoredMessage>();

  constructor(readonly store: MqttStore) {}

  /** Reads the store into sessions and retained messages; expired ones are dropped (and forgotten by the store). */
  load(l: BrokerLimits, stats: BrokerStats): { sessions: Session[]; retained: Stored[] } {
    const snap = this.store.load();
    const mono = millis(), wall = Date.now();
    const live = this.liveOf(mono, wall);
    const retained: Stored[] = [];
    for (const m of snap.retained) {
      if (m.expiresAt !== 0 && wall >= m.expiresAt) { this.store.setRetained(m.topic, undefined); continue; }
      retained.push(live(m));
    }
    const sessions: Session[] = [];
    for (const { session: r, deliveries } of snap.sessions) {
      const s = this.revive(r, deliveries, l, stats, live, mono, wall);
      if (s !== undefined) sessions.push(s);
    }
    this.store.commit();
    return { sessions, retained };
  }

  /** Turns records into live messages, one per record object (deliveries of one publication share it). */
  private liveOf(mono: number, wall: number): (m: MqttStoredMessage) => Stored {
    const back = new Map<MqttStoredMessage, Stored>();
    return (m) => {
      let s = back.get(m);
      if (s === undefined) {
        s = { topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, props: m.props, expiresAt: toMono(m.expiresAt, mono, wall) };
        back.set(m, s);
        this.records.set(s, m);
      }
      return s;
    };
  }

  /**
   * One stored session back into a live one (its client away); undefined when it
   * expired (the store forgets it then).
   */
  private revive(r: MqttStoredSession, deliveries: MqttStoredDelivery[], l: BrokerLimits, stats: BrokerStats, live: (m: MqttStoredMessage) => Stored, mono: number, wall: number): Session | undefined {
    for (const d of deliveries) if (d.key > this.seq) this.seq = d.key;
    // The session's end counts from its client's disconnect; a client connected at the stop disconnected then.
    const since = r.disconnectedAt > 0 ? r.disconnectedAt : wall;
    const left = r.expiry === EXPIRY_NEVER ? Infinity : since + Math.min(r.expiry, l.maxSessionExpiry) * 1000 - wall;
    if (left <= 0) { this.store.deleteSession(r.clientId); return undefined; }
    const s = newSession(r.clientId, r.version, Math.min(r.expiry, l.maxSessionExpiry), stats);
    s.endsAt = left === Infinity ? Infinity : mono + left;
    s.log = this;
    for (const x of r.subscriptions) {
      // The broker joins shared ones to their groups (a "$share/g/f" subscription matches with f).
      const share = parseShare(x.filter);
      const ok = share !== undefined && share !== "invalid";
      s.subs.set(x.filter, { qos: x.qos, options: x.options, id: x.id, filter: ok ? share.filter : x.filter, shared: ok });
    }
    if (r.will !== undefined) { s.will = live(r.will); s.willAt = toMono(r.willAt ?? wall, mono, wall); }
    for (const id of r.qos2In ?? []) s.qos2In.add(id);
    for (const d of [...deliveries].sort((a, b) => a.key - b.key)) {
      const del: Delivery = { msg: live(d.message), qos: d.qos, retain: d.retain, subIds: d.subIds.length > 0 ? d.subIds : undefined, id: d.packetId, released: d.released, key: d.key };
      if (d.packetId > 0 && !s.inflight.has(d.packetId)) s.inflight.set(d.packetId, del);
      else { del.id = 0; s.queue.push(del); s.queuedBytes += d.message.payload.length + d.message.topic.length + 64; }
      if (d.packetId > s.nextId) s.nextId = d.packetId;
    }
    return s;
  }

  /**
   * A session another broker of a cluster held, read from Redis when its client connects
   * here (cluster/cluster.ts); undefined when it expired meanwhile.
   */
  adopt(r: MqttStoredSession, deliveries: MqttStoredDelivery[], l: BrokerLimits, stats: BrokerStats): Session | undefined {
    const mono = millis(), wall = Date.now();
    const live = this.liveOf(mono, wall);
    return this.revive(r, deliveries, l, stats, live, mono, wall);
  }

  /** The store's record of `m` (made once per message object). */
  private record(m: Stored): MqttStoredMessage {
    let r = this.records.get(m);
    if (r === undefined) {
      r = { topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, props: m.props, expiresAt: toWall(m.expiresAt, millis(), Date.now()) };
      this.records.set(m, r);
    }
    return r;
  }

  retain(topic: string, m: Stored | undefined): void {
    if (this.closed || topic.startsWith("$SYS/")) return; // $SYS is the broker's own, made afresh
    this.store.setRetained(topic, m === undefined ? undefined : this.record(m));
    this.dirty = true;
  }

  /**
   * The session is persistent (expiry > 0): writes its record, and the first time its
   * deliveries too. Not persistent: forgets it.
   */
  session(s: Session): void {
    if (this.closed) return;
    if (s.expiry === 0) { this.end(s); return; }
    const first = s.log === undefined;
    s.log = this;
    const r: MqttStoredSession = {
      clientId: s.clientId, version: s.version, expiry: s.expiry, disconnectedAt: s.conn === undefined ? Date.now() : 0,
      subscriptions: [...s.subs].map(([filter, x]) => ({ filter, qos: x.qos, options: x.options, id: x.id })),
    };
    if (s.will !== undefined) { r.will = this.record(s.will); r.willAt = toWall(s.willAt, millis(), Date.now()); }
    if (s.qos2In.size > 0) r.qos2In = [...s.qos2In];
    this.store.setSession(r);
    this.dirty = true;
    if (first) {
      for (const d of s.inflight.values()) this.add(s, d);
      for (const d of s.queue) this.add(s, d);
    }
  }

  /**
   * The QoS 2 ids awaiting PUBREL of a stored session changed (a QoS 2 PUBLISH routed, or
   * its PUBREL): the session record carries them, written in the same commit as the
   * deliveries the PUBLISH made, so a restart neither loses nor repeats the message.
   */
  qos2(s: Session): void {
    if (s.log === this) this.session(s);
  }

  end(s: Session): void {
    if (s.log === undefined) return;
    s.log = undefined;
    if (!this.closed) { this.store.deleteSession(s.clientId); this.dirty = true; }
  }

  add(s: Session, d: Delivery): void {
    if (this.closed) return;
    d.key = ++this.seq;
    this.dirty = true;
    this.store.addDelivery(s.clientId, {
      key: d.key, message: this.record(d.msg), qos: d.qos, retain: d.retain, subIds: d.subIds ?? [], packetId: d.id, released: d.released,
    });
  }

  update(s: Session, d: Delivery): void {
    if (!this.closed && d.key > 0) { this.store.updateDelivery(s.clientId, d.key, d.id, d.released); this.dirty = true; }
  }

  remove(s: Session, d: Delivery): void {
    if (!this.closed && d.key > 0) { this.store.deleteDelivery(s.clientId, d.key); this.dirty = true; }
  }

  /** The end of an event: the store gets commit() when the event changed something. */
  commit(): void {
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    this.store.commit();
  }

  tick(): void {
    if (this.closed) return;
    this.commit();
    this.store.tick?.();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.store.close();
  }
}
