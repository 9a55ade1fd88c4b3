// One node of a cluster of MqttBrokers on Redis (docs/scaling.md, "A cluster of brokers on
// Redis"). The node delivers to its own clients locally, as a lone broker does, and:
// - publishes every message its clients (or wills, or the application) publish on one
//   Redis pub/sub channel; every other node delivers it to its own subscribers;
// - keeps retained messages in a Redis hash (and a copy in memory, for SUBSCRIBE);
// - writes its persistent sessions to Redis as they change (cluster-store.ts);
// - owns the sessions of its clients through a key per client id (`owner:ID` = node id).
//   A CONNECT takes the key; when another live node held it, that node is asked (control
//   channel) to let the session go: it ends the connection there (DISCONNECT 0x8E for MQTT 5),
//   writes the session's last state and answers; then this node reads the session from Redis.
// - keeps the members of shared subscriptions cluster-wide (cluster-shares.ts).
//
// ioredis is loaded with import() when a broker is given the `cluster` option: a broker
// without it never loads the Redis client.
import type { Redis, RedisOptions } from "ioredis";
import { randomStr } from "../../util/random.js";
import { millis } from "../../util/time.js";
import type { MqttStoredDelivery, MqttStoredSession } from "../broker-store.js";
import type { Stored } from "../broker-session.js";
import type { ClusterConfig } from "./cluster-options.js";
import { decodeFrame, encodeFrame, encodeBatch, splitBatch, type WireMessage } from "./cluster-codec.js";
import { ClusterKeys, RedisStore, decodeSession } from "./cluster-store.js";
import { ShareView, type ShareMember } from "./cluster-shares.js";

/** What the broker does for its cluster node. */
export interface ClusterHost {
  /** A message another node published; `targets` are the shared subscription members it picked ([group key, client id]). */
  remote(msg: Stored, targets: [string, string][] | undefined): void;
  /** Another node takes the session: end its connection here, write its last state and let it go (synchronously). */
  release(clientId: string, clean: boolean): void;
  /** A retained message read from Redis (undefined: cleared). */
  retained(topic: string, msg: Stored | undefined): void;
  /** The retained messages held here. */
  retainedAll(): Iterable<Stored>;
  /** Client ids of the sessions held here. */
  sessionIds(): Iterable<string>;
  hasSession(clientId: string): boolean;
  /** While Redis was away another node took this session: end it here without a trace in Redis. */
  lost(clientId: string): void;
  /** The shared subscriptions of the sessions held here: [group key, filter, client id, connected]. */
  sharedSubs(): Iterable<[string, string, string, boolean]>;
  /** The store's changes so far go out. */
  commit(): void;
  warn(line: string): void;
}

/** A session as Redis gave it at CONNECT; undefined record: none there (or a clean start). */
export interface Claimed { local: boolean; record: { session: MqttStoredSession; deliveries: MqttStoredDelivery[] } | undefined }

/** How often a node says it is alive; it is taken for dead after three silent periods. */
const HEARTBEAT_MS = 2000;
const NODE_TTL_MS = 3 * HEARTBEAT_MS;

/** Deletes the owner key only while it is still ours (another node may have taken it). */
const DISOWN_LUA = 'if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end';

type Ctl =
  | { op: "rel"; n: string; to: string; id: string; clean: boolean; req: string }
  | { op: "reld"; n: string; to: string; req: string }
  | { op: "sh"; n: string; k: string; f: string; id: string; on: boolean }
  | { op: "shx"; n: string; k: string; id: string }
  | { op: "hb"; n: string }
  | { op: "bye"; n: string };

// A batch of messages to the other nodes is sent at the end of the event-loop turn, or
// sooner once it holds this many messages or bytes.
const BATCH_MAX = 512;
const BATCH_BYTES = 256 * 1024;

export class BrokerCluster {
  readonly nodeId = randomStr(12);
  readonly keys: ClusterKeys;
  readonly store: RedisStore;
  readonly shares = new ShareView();
  /** Resolves once both connections are up, the retained messages read and the channels subscribed. */
  readonly ready: Promise<void>;
  /** Messages published while Redis was away (they reached this node's clients only). */
  dropped = 0;
  private cmd: Redis | undefined;
  private sub: Redis | undefined;
  private up = false;
  private subUp = false;
  private everUp = false;
  private closed = false;
  private warned = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly upWaiters = new Set<() => void>();
  /** Per client id: claims and releases run one after the other. */
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Release requests waiting for their answer, by request id. */
  private readonly pendingReleases = new Map<string, () => void>();
  /** When each other node was last heard of (millis). */
  private readonly seen = new Map<string, number>();
  private readonly msgChannel: Buffer;

  constructor(private readonly cfg: ClusterConfig, private readonly host: ClusterHost) {
    this.keys = new ClusterKeys(cfg.prefix);
    this.msgChannel = Buffer.from(this.keys.msgChannel);
    this.store = new RedisStore(this.keys, () => (this.up ? this.cmd : undefined));
    this.ready = this.start();
    // The broker goes on without Redis: a failed start is reported, not thrown at nobody.
    this.ready.catch((e: Error) => host.warn(`cluster: ${e.message}`));
  }

  private async start(): Promise<void> {
    let mod: { Redis: typeof Redis };
    try { mod = await import("ioredis"); } catch { throw new Error("the cluster option needs the ioredis package (an optional dependency of tsmongoose): npm install ioredis"); }
    if (this.closed) return;
    const opts: RedisOptions = {
      // Reconnect for ever, at most 1 s apart; commands wait meanwhile (CONNECT claims) instead of failing.
      retryStrategy: (n) => Math.min(n * 100, 1000),
      maxRetriesPerRequest: null,
      enableReadyCheck: true,
      connectionName: `tsmongoose-${this.nodeId}`,
    };
    const cmd = new mod.Redis(this.cfg.redis, opts);
    const sub = new mod.Redis(this.cfg.redis, opts);
    this.cmd = cmd;
    this.sub = sub;
    const onError = (e: Error): void => {
      if (!this.warned && !this.closed) { this.warned = true; this.host.warn(`cluster: Redis ${this.cfg.redis}: ${e.message}; reconnecting`); }
    };
    cmd.on("error", onError);
    sub.on("error", onError);
    cmd.on("close", () => { this.up = false; });
    sub.on("close", () => { this.subUp = false; });
    sub.on("messageBuffer", (ch: Buffer, data: Buffer) => {
      if (ch.equals(this.msgChannel)) this.onMessage(data);
      else this.onControl(data.toString("utf8"));
    });
    // ioredis subscribes again by itself after a reconnect (autoResubscribe).
    sub.on("ready", () => { this.subUp = true; for (const w of [...this.upWaiters]) w(); });
    await sub.subscribe(this.keys.msgChannel, this.keys.ctlChannel);
    const first = new Promise<void>((resolve) => {
      const onReady = (): void => {
        this.up = true;
        this.warned = false;
        if (this.everUp) { this.resync(); } else { this.everUp = true; void this.loadRetained().then(resolve, resolve); }
        for (const w of [...this.upWaiters]) w();
      };
      if (cmd.status === "ready") onReady();
      cmd.on("ready", onReady);
    });
    await first;
    this.subUp = sub.status === "ready";
    this.beat();
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
  }

  /** Stops: this node's keys go (sessions stay in Redis for other nodes), the connections close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const w of [...this.upWaiters]) w();
    for (const w of this.pendingReleases.values()) w();
    const cmd = this.cmd, sub = this.sub;
    sub?.disconnect();
    this.sendOutbox(); // (what was published this turn still goes out, before the goodbye)
    if (cmd !== undefined && this.up) {
      // The last writes go out first (same connection); a Redis gone meanwhile does not hold the stop up.
      this.store.commit();
      this.ctl({ op: "bye", n: this.nodeId });
      await within(cmd.del(this.keys.node(this.nodeId)), 1000);
    }
    cmd?.disconnect();
  }

  private beat(): void {
    if (!this.up || this.cmd === undefined) return;
    this.cmd.set(this.keys.node(this.nodeId), "1", "PX", NODE_TTL_MS).catch(() => undefined);
    this.ctl({ op: "hb", n: this.nodeId });
  }

  /** True for this node, and for nodes heard of within the last three heartbeats. */
  alive = (node: string): boolean => node === this.nodeId || millis() - (this.seen.get(node) ?? -Infinity) < NODE_TTL_MS;

  // ---- messages -----------------------------------------------------------------

  /**
   * Sends a message to the other nodes (dropped while Redis is away: it reached only this
   * node's clients). Messages published in one event-loop turn go as one PUBLISH, in
   * order: one Redis command and one delivery on each node instead of one per message.
   */
  publish(msg: Stored, targets: [string, string][] | undefined): void {
    if (!this.up || this.cmd === undefined) { this.dropped++; return; }
    const wire: WireMessage = { ...msg, expiresAt: toWall(msg.expiresAt) };
    const frame = encodeFrame(wire, targets === undefined ? { n: this.nodeId } : { n: this.nodeId, s: targets });
    this.outbox.push(frame);
    this.outBytes += frame.length;
    if (this.outbox.length >= BATCH_MAX || this.outBytes >= BATCH_BYTES) this.sendOutbox();
    else if (!this.outboxQueued) { this.outboxQueued = true; setImmediate(this.sendOutboxFn); }
  }

  private outbox: Buffer[] = [];
  private outBytes = 0;
  private outboxQueued = false;
  private readonly sendOutboxFn = (): void => { this.outboxQueued = false; this.sendOutbox(); };

  private sendOutbox(): void {
    const list = this.outbox;
    if (list.length === 0) return;
    this.outbox = [];
    this.outBytes = 0;
    const cmd = this.cmd;
    if (!this.up || cmd === undefined) { this.dropped += list.length; return; }
    cmd.publish(this.keys.msgChannel, list.length === 1 ? list[0]! : encodeBatch(list)).catch(() => undefined);
  }

  private onMessage(data: Buffer): void {
    const frames = splitBatch(data);
    if (frames === undefined) return;
    let any = false;
    for (const b of frames) {
      const f = decodeFrame(b);
      if (f === undefined || f.header.n === this.nodeId) continue;
      const m = f.msg;
      const targets = Array.isArray(f.header.s) ? (f.header.s as [string, string][]) : undefined;
      this.host.remote({ ...m, expiresAt: toMono(m.expiresAt) }, targets);
      any = true;
    }
    if (any) this.host.commit();
  }

  private async loadRetained(): Promise<void> {
    const cmd = this.cmd!;
    const all = await cmd.hgetallBuffer(this.keys.retained);
    for (const [topic, b] of Object.entries(all)) {
      const f = decodeFrame(b);
      if (f !== undefined) this.host.retained(topic, { ...f.msg, expiresAt: toMono(f.msg.expiresAt) });
    }
    const shares = await cmd.hgetall(this.keys.shares);
    this.shares.clear();
    const members: [string, string, { f: string; n: string; on: boolean }][] = [];
    for (const [field, v] of Object.entries(shares)) {
      const [key, id] = field.split("\u0000") as [string, string];
      try { members.push([key, id, JSON.parse(v) as { f: string; n: string; on: boolean }]); } catch { /* not ours */ }
    }
    // Members on nodes that are gone (no heartbeat key) are dropped: their clients join again where they reconnect.
    const nodes = [...new Set(members.map(([, , o]) => o.n))];
    const live = new Set<string>([this.nodeId]);
    for (const n of nodes) {
      // A node with a heartbeat key counts as heard of now (its next heartbeat comes within 2 s).
      if (n !== this.nodeId && (await cmd.exists(this.keys.node(n))) === 1) { live.add(n); if (!this.seen.has(n)) this.seen.set(n, millis()); }
    }
    for (const [key, id, o] of members) {
      if (live.has(o.n)) this.shares.set(key, o.f, { clientId: id, node: o.n, online: o.on });
      else await cmd.hdel(this.keys.shares, `${key}\u0000${id}`);
    }
  }

  /** Redis is back: what this node holds goes back into it (Redis may have restarted empty). */
  private resync(): void {
    const cmd = this.cmd;
    if (cmd === undefined || !this.up) return;
    this.beat();
    this.store.resync();
    for (const r of this.host.retainedAll()) {
      if (!r.topic.startsWith("$SYS/")) cmd.hsetnx(this.keys.retained, r.topic, encodeFrame({ ...r, expiresAt: toWall(r.expiresAt) })).catch(() => undefined);
    }
    for (const [k, f, id, on] of this.host.sharedSubs()) this.shareSet(k, f, id, on);
    const ids = [...this.host.sessionIds()];
    void (async () => {
      for (const id of ids) {
        // NX: a session another node took meanwhile is its now.
        await cmd.set(this.keys.owner(id), this.nodeId, "NX").catch(() => undefined);
        const owner = await cmd.get(this.keys.owner(id)).catch(() => this.nodeId);
        if (owner !== this.nodeId && this.host.hasSession(id)) { this.host.lost(id); this.host.commit(); }
      }
      await this.loadRetained();
    })().catch(() => undefined);
  }

  // ---- control --------------------------------------------------------------------

  private ctl(c: Ctl): void {
    if (!this.up || this.cmd === undefined) return;
    this.cmd.publish(this.keys.ctlChannel, JSON.stringify(c)).catch(() => undefined);
  }

  private onControl(text: string): void {
    let c: Ctl;
    try { c = JSON.parse(text) as Ctl; } catch { return; }
    if (c.n === this.nodeId) return;
    // A node that stopped: its sessions are taken without asking it.
    if (c.op === "bye") { this.seen.delete(c.n); return; }
    this.seen.set(c.n, millis());
    switch (c.op) {
      case "rel":
        if (c.to === this.nodeId) void this.chain(c.id, async () => this.releaseHere(c.id, c.clean, c.n, c.req));
        break;
      case "reld":
        if (c.to === this.nodeId) this.pendingReleases.get(c.req)?.();
        break;
      case "sh": this.shares.set(c.k, c.f, { clientId: c.id, node: c.n, online: c.on }); break;
      case "shx": this.shares.remove(c.k, c.id); break;
    }
  }

  private releaseHere(id: string, clean: boolean, to: string, req: string): void {
    if (this.host.hasSession(id)) {
      this.host.release(id, clean);
      this.store.forget(id);
    }
    // Sent after the session's last writes, on the same connection: the claimer reads them.
    this.host.commit();
    this.ctl({ op: "reld", n: this.nodeId, to, req });
  }

  /** Runs `f` after whatever is under way for this client id. */
  private chain<T>(id: string, f: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(id) ?? Promise.resolve();
    const next = prev.then(f, f);
    const tail = next.catch(() => undefined);
    this.chains.set(id, tail);
    void tail.then(() => { if (this.chains.get(id) === tail) this.chains.delete(id); });
    return next;
  }

  private waitUp(ms: number): Promise<boolean> {
    if (this.up && this.subUp) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => finish(), ms);
      const finish = (): void => { clearTimeout(t); this.upWaiters.delete(check); resolve(this.up && this.subUp && !this.closed); };
      // Called at each connection's "ready" (and at close): done once both are up.
      const check = (): void => { if (this.closed || (this.up && this.subUp)) finish(); };
      this.upWaiters.add(check);
    });
  }

  // ---- sessions ---------------------------------------------------------------------

  /**
   * A CONNECT for `id` on this node: takes the session's owner key, has the node that held
   * it let it go, and reads what Redis holds for it. Rejects when Redis cannot be reached in time.
   */
  claim(id: string, clean: boolean): Promise<Claimed> {
    return this.chain(id, async () => {
      if (!(await this.waitUp(this.cfg.connectWaitMs))) throw new Error("Redis unreachable");
      const cmd = this.cmd!;
      const prev = await cmd.set(this.keys.owner(id), this.nodeId, "GET");
      if (prev !== null && prev !== this.nodeId) {
        if (this.alive(prev) || (await cmd.exists(this.keys.node(prev))) === 1) await this.askRelease(prev, id, clean);
      }
      if (this.host.hasSession(id)) return { local: true, record: undefined };
      if (clean) {
        await cmd.del(this.keys.session(id), this.keys.deliveries(id));
        return { local: false, record: undefined };
      }
      const [json, dels] = await Promise.all([cmd.get(this.keys.session(id)), cmd.hgetallBuffer(this.keys.deliveries(id))]);
      const record = decodeSession(json, dels);
      if (record !== undefined) this.store.adopt(record.session, record.deliveries);
      return { local: false, record };
    });
  }

  private askRelease(node: string, id: string, clean: boolean): Promise<void> {
    const req = randomStr(12);
    return new Promise((resolve) => {
      // A node that does not answer in time is taken for gone: Redis has its last writes.
      const done = (): void => { clearTimeout(t); this.pendingReleases.delete(req); resolve(); };
      const t = setTimeout(done, this.cfg.takeoverTimeoutMs);
      this.pendingReleases.set(req, done);
      this.ctl({ op: "rel", n: this.nodeId, to: node, id, clean, req });
    });
  }

  /** The session ended here (its client left and it was not persistent, or it expired): its owner key goes. */
  disown(id: string): void {
    void this.chain(id, async () => {
      if (this.host.hasSession(id) || !this.up || this.cmd === undefined) return;
      await this.cmd.eval(DISOWN_LUA, 1, this.keys.owner(id), this.nodeId);
    }).catch(() => undefined);
  }

  // ---- shared subscriptions ----------------------------------------------------------

  /** A member of a group on this node joined, connected or disconnected. */
  shareSet(key: string, filter: string, id: string, online: boolean): void {
    const m: ShareMember = { clientId: id, node: this.nodeId, online };
    this.shares.set(key, filter, m);
    if (!this.up || this.cmd === undefined) return;
    this.cmd.hset(this.keys.shares, `${key}\u0000${id}`, JSON.stringify({ f: filter, n: this.nodeId, on: online })).catch(() => undefined);
    this.ctl({ op: "sh", n: this.nodeId, k: key, f: filter, id, on: online });
  }

  /** A member of a group on this node left it (unsubscribed, or its session ended). */
  shareRemove(key: string, id: string): void {
    this.shares.remove(key, id);
    if (!this.up || this.cmd === undefined) return;
    this.cmd.hdel(this.keys.shares, `${key}\u0000${id}`).catch(() => undefined);
    this.ctl({ op: "shx", n: this.nodeId, k: key, id });
  }
}

/** Waits for `p` at most `ms` (its failure ignored). */
function within(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    p.then(() => { clearTimeout(t); resolve(); }, () => { clearTimeout(t); resolve(); });
  });
}

/** Monotonic deadlines (millis()) to wall-clock ones (Date.now()) and back; 0 stays 0. */
function toWall(t: number): number { return t === 0 ? 0 : Date.now() + (t - millis()); }
function toMono(t: number): number { return t === 0 ? 0 : millis() + (t - Date.now()); }
