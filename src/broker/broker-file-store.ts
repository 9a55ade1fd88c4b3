// MqttFileStore: the broker's embedded store, one append-only log in a directory
// (format in broker-log.ts). Changes are appended at each commit(); the log is
// compacted by writing the current state to a new file, syncing it, and renaming it
// over the old one (then syncing the directory), so at every instant the directory
// holds either the old log or the new one, whole. On open, a torn or corrupt tail (a
// crash during a write) is dropped and the valid prefix loads.
import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { MgError } from "../util/errors.js";
import type { MqttStore, MqttStoreSnapshot, MqttStoredDelivery, MqttStoredMessage, MqttStoredSession } from "./broker-store.js";
import {
  decodeRecords, encodeDelivery, encodeDone, encodeRecord, encodeUpdate, LOG_MAGIC, messageHead, messageOf, REC_DELIVERY, REC_DONE, REC_END_SESSION, REC_MESSAGE,
  REC_RETAIN, REC_SESSION, REC_UNRETAIN, REC_UPDATE,
} from "./broker-log.js";

/**
 * When appended changes are forced to the disk (fdatasync): `"always"` at every commit
 * that wrote something (the end of each event that changed the state), `"interval"` at
 * most `fsyncIntervalMs` after a write, `"never"` when the OS decides. In every mode the
 * bytes reach the OS at each commit, so a killed broker process loses nothing; the
 * policy is about power loss and OS crashes.
 */
export type MqttFsyncPolicy = "always" | "interval" | "never";

/** Options of the embedded store (`persistence: { dir, ... }` of MqttBrokerOptions, or `new MqttFileStore(options)`). */
export interface MqttFileStoreOptions {
  /** Directory of the log (created if missing). */
  dir: string;
  /** Default "interval". */
  fsync?: MqttFsyncPolicy;
  /** For "interval": default 1000 ms. */
  fsyncIntervalMs?: number;
  /** Compact when the log is larger than this and than twice the state it holds. Default 4 MiB. */
  compactBytes?: number;
}

/** The log's file name in the directory; the compaction writes `${LOG_NAME}.tmp` first. */
export const LOG_NAME = "mqtt-broker.log";

interface SessionRec { session: MqttStoredSession; deliveries: Map<number, MqttStoredDelivery> }

/**
 * The embedded MqttStore: an append-only log file in a directory, compacted when it
 * grows, synced as `fsync` says.
 */
export class MqttFileStore implements MqttStore {
  /** The log file's path (`dir`/mqtt-broker.log). */
  readonly path: string;
  /** What the last load() found: records read and bytes of torn or corrupt tail dropped. */
  loaded = {
    /** Records read. */
    records: 0,
    /** Bytes of a torn or corrupt tail that were dropped. */
    discardedBytes: 0,
  };
  private readonly dir: string;
  private readonly policy: MqttFsyncPolicy;
  private readonly intervalMs: number;
  private readonly compactBytes: number;
  private fd = -1;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes in the file now, and the size it had after the last compaction. */
  private size = 0;
  private baseSize = 0;
  private unsyncedSince = 0;
  // A mirror of the state, for compaction (it holds the broker's buffers, not copies).
  private readonly retained = new Map<string, MqttStoredMessage>();
  private readonly sessions = new Map<string, SessionRec>();
  /** Message records written, by object: deliveries of one publication share one. */
  private msgKeys = new WeakMap<MqttStoredMessage, number>();
  private nextMsgKey = 1;

  constructor(opts: MqttFileStoreOptions) {
    if (typeof opts?.dir !== "string" || opts.dir === "") throw new MgError("ERR_INVALID_OPTION", "option persistence.dir must be a directory path");
    const f = opts.fsync ?? "interval";
    if (f !== "always" && f !== "interval" && f !== "never") throw new MgError("ERR_INVALID_OPTION", `option persistence.fsync must be "always", "interval" or "never", got ${String(f)}`);
    const iv = opts.fsyncIntervalMs ?? 1000;
    if (!Number.isInteger(iv) || iv < 0) throw new MgError("ERR_INVALID_OPTION", `option persistence.fsyncIntervalMs must be a non-negative integer, got ${String(iv)}`);
    const cb = opts.compactBytes ?? 4 * 1024 * 1024;
    if (!Number.isInteger(cb) || cb < 0) throw new MgError("ERR_INVALID_OPTION", `option persistence.compactBytes must be a non-negative integer, got ${String(cb)}`);
    this.dir = opts.dir;
    this.policy = f;
    this.intervalMs = iv;
    this.compactBytes = cb;
    this.path = join(opts.dir, LOG_NAME);
  }

  load(): MqttStoreSnapshot {
    mkdirSync(this.dir, { recursive: true });
    let buf: Buffer;
    try { buf = readFileSync(this.path); } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      buf = Buffer.alloc(0);
    }
    if (buf.length > 0 && (buf.length < LOG_MAGIC.length || !buf.subarray(0, LOG_MAGIC.length).equals(LOG_MAGIC))) {
      // Not ours (or its header was torn before anything was in it): refuse rather than overwrite.
      if (buf.length >= LOG_MAGIC.length) throw new MgError("ERR_INVALID_OPTION", `${this.path} is not an MQTT broker log`);
      buf = Buffer.alloc(0);
    }
    const { records, end } = buf.length === 0 ? { records: [], end: 0 } : decodeRecords(buf, LOG_MAGIC.length);
    this.loaded = { records: records.length, discardedBytes: buf.length === 0 ? 0 : buf.length - end };
    const msgs = new Map<number, MqttStoredMessage>();
    for (const r of records) {
      const h = r.head;
      try {
        switch (r.type) {
          case REC_RETAIN: { const m = messageOf(h, r.payload); this.retained.set(m.topic, m); break; }
          case REC_UNRETAIN: this.retained.delete(String(h.t)); break;
          case REC_SESSION: {
            const s = sessionOf(h, r.payload);
            const old = this.sessions.get(s.clientId);
            this.sessions.set(s.clientId, { session: s, deliveries: old?.deliveries ?? new Map() });
            break;
          }
          case REC_END_SESSION: this.sessions.delete(String(h.c)); break;
          case REC_MESSAGE: { const k = Number(h.k); msgs.set(k, messageOf(h, r.payload)); if (k >= this.nextMsgKey) this.nextMsgKey = k + 1; break; }
          case REC_DELIVERY: {
            const s = this.sessions.get(String(h.c));
            const m = msgs.get(Number(h.m));
            if (s === undefined || m === undefined) break;
            this.msgKeys.set(m, Number(h.m));
            const d: MqttStoredDelivery = {
              key: Number(h.k), message: m, qos: Number(h.q), retain: h.r === 1,
              subIds: Array.isArray(h.s) ? (h.s as unknown[]).map(Number) : [], packetId: Number(h.i ?? 0), released: h.x === 1,
            };
            s.deliveries.set(d.key, d);
            break;
          }
          case REC_UPDATE: {
            const d = this.sessions.get(String(h.c))?.deliveries.get(Number(h.k));
            if (d !== undefined) { d.packetId = Number(h.i); d.released = h.x === 1; }
            break;
          }
          case REC_DONE: this.sessions.get(String(h.c))?.deliveries.delete(Number(h.k)); break;
          default: break; // a record type from a later version: skipped
        }
      } catch {
        // A record whose CRC is right but whose fields are not: skipped, the rest still loads.
      }
    }
    // Start from a compact file: this also cuts off a torn tail before anything is appended after it.
    this.compact();
    return {
      retained: [...this.retained.values()],
      sessions: [...this.sessions.values()].map((s) => ({ session: s.session, deliveries: [...s.deliveries.values()] })),
    };
  }

  setRetained(topic: string, msg: MqttStoredMessage | undefined): void {
    if (msg === undefined) {
      if (!this.retained.delete(topic)) return;
      this.append(encodeRecord(REC_UNRETAIN, { t: topic }));
    } else {
      this.retained.set(topic, msg);
      this.append(encodeRecord(REC_RETAIN, messageHead(msg), msg.payload));
    }
  }

  setSession(session: MqttStoredSession): void {
    const old = this.sessions.get(session.clientId);
    this.sessions.set(session.clientId, { session, deliveries: old?.deliveries ?? new Map() });
    this.append(sessionRecord(session));
  }

  deleteSession(clientId: string): void {
    if (!this.sessions.delete(clientId)) return;
    this.append(encodeRecord(REC_END_SESSION, { c: clientId }));
  }

  addDelivery(clientId: string, d: MqttStoredDelivery): void {
    const s = this.sessions.get(clientId);
    if (s === undefined) return;
    s.deliveries.set(d.key, d);
    this.putDelivery(clientId, d, undefined, (b) => this.append(b));
  }

  updateDelivery(clientId: string, key: number, packetId: number, released: boolean): void {
    const d = this.sessions.get(clientId)?.deliveries.get(key);
    if (d === undefined) return;
    d.packetId = packetId;
    d.released = released;
    this.append(encodeUpdate(clientId, key, packetId, released));
  }

  deleteDelivery(clientId: string, key: number): void {
    if (this.sessions.get(clientId)?.deliveries.delete(key) !== true) return;
    this.append(encodeDone(clientId, key));
  }

  commit(): void {
    if (this.pendingBytes === 0 || this.fd < 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    writeAll(this.fd, data);
    this.size += data.length;
    if (this.policy === "always") fdatasyncSync(this.fd);
    else if (this.policy === "interval" && this.unsyncedSince === 0) this.unsyncedSince = Date.now();
  }

  tick(): void {
    this.commit();
    if (this.fd < 0) return;
    if (this.unsyncedSince !== 0 && Date.now() - this.unsyncedSince >= this.intervalMs) {
      fdatasyncSync(this.fd);
      this.unsyncedSince = 0;
    }
    if (this.size > this.compactBytes && this.size > 2 * this.baseSize) this.compact();
  }

  close(): void {
    if (this.fd < 0) return;
    this.commit();
    if (this.policy !== "never") fdatasyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }

  /** Bytes in the log now (for tests and monitoring). */
  get logBytes(): number { return this.size + this.pendingBytes; }

  private append(b: Buffer): void {
    this.pending.push(b);
    this.pendingBytes += b.length;
  }

  /**
   * Emits a delivery's record, preceded by its message's record the first time the
   * message goes to this output (`written`: the messages a compaction wrote so far).
   */
  private putDelivery(clientId: string, d: MqttStoredDelivery, written: Set<MqttStoredMessage> | undefined, emit: (b: Buffer) => void): void {
    let mk = this.msgKeys.get(d.message);
    if (mk === undefined || (written !== undefined && !written.has(d.message))) {
      if (mk === undefined) { mk = this.nextMsgKey++; this.msgKeys.set(d.message, mk); }
      written?.add(d.message);
      emit(encodeRecord(REC_MESSAGE, { k: mk, ...messageHead(d.message) }, d.message.payload));
    }
    emit(encodeDelivery(clientId, d.key, mk, d.qos, d.retain, d.subIds, d.packetId, d.released));
  }

  /** Writes the state to `${path}.tmp`, syncs it, renames it over the log, syncs the directory. */
  private compact(): void {
    if (this.fd >= 0) { this.commit(); closeSync(this.fd); this.fd = -1; }
    this.pending = [];
    this.pendingBytes = 0;
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, "w");
    let size = 0;
    try {
      const out: Buffer[] = [LOG_MAGIC];
      let outBytes = LOG_MAGIC.length;
      const flush = (): void => { const b = Buffer.concat(out, outBytes); writeAll(fd, b); size += b.length; out.length = 0; outBytes = 0; };
      const put = (b: Buffer): void => { out.push(b); outBytes += b.length; if (outBytes > 1 << 20) flush(); };
      for (const m of this.retained.values()) put(encodeRecord(REC_RETAIN, messageHead(m), m.payload));
      const written = new Set<MqttStoredMessage>();
      for (const [id, s] of this.sessions) {
        put(sessionRecord(s.session));
        for (const d of s.deliveries.values()) this.putDelivery(id, d, written, put);
      }
      flush();
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    syncDir(this.dir);
    this.fd = openSync(this.path, "a");
    this.size = size;
    this.baseSize = size;
    this.unsyncedSince = 0;
  }
}

function writeAll(fd: number, b: Buffer): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
}

/** The rename is durable once the directory itself is synced (POSIX). */
function syncDir(dir: string): void {
  let fd: number;
  try { fd = openSync(dir, "r"); } catch { return; }
  try { fsyncSync(fd); } catch { /* some file systems refuse fsync on directories */ } finally { closeSync(fd); }
}

function sessionRecord(s: MqttStoredSession): Buffer {
  const head: Record<string, unknown> = {
    c: s.clientId, v: s.version, e: s.expiry, d: s.disconnectedAt,
    s: s.subscriptions.map((x) => [x.filter, x.qos, x.options, x.id]),
  };
  if (s.will !== undefined) { head.w = messageHead(s.will); head.wa = s.willAt ?? 0; }
  if (s.qos2In !== undefined && s.qos2In.length > 0) head.q = s.qos2In;
  return encodeRecord(REC_SESSION, head, s.will?.payload);
}

function sessionOf(h: Record<string, unknown>, payload: Buffer): MqttStoredSession {
  if (typeof h.c !== "string" || !Array.isArray(h.s)) throw new Error("bad session record");
  const s: MqttStoredSession = {
    clientId: h.c, version: Number(h.v), expiry: Number(h.e), disconnectedAt: Number(h.d ?? 0),
    subscriptions: (h.s as unknown[][]).map((x) => ({ filter: String(x[0]), qos: Number(x[1]), options: Number(x[2]), id: Number(x[3]) })),
  };
  if (h.w !== undefined && h.w !== null && typeof h.w === "object") {
    s.will = messageOf(h.w as Record<string, unknown>, payload);
    s.willAt = Number(h.wa ?? 0);
  }
  if (Array.isArray(h.q)) s.qos2In = (h.q as unknown[]).map(Number).filter((id) => Number.isInteger(id) && id >= 1 && id <= 65535);
  return s;
}
