// The library's own DNS client (Mongoose's mg_dns): one UDP connection per manager to
// the configured server, carrying every lookup. Each query has a random id; a reply is
// taken only when its id and its question (name, type, class) match a pending query
// (RFC 5452 section 4: both must match), so stale, stray and spoofed datagrams are
// ignored and the query keeps waiting. The socket is connected, so the kernel drops
// datagrams from any other source address. A query is sent again until its attempts
// are used up, then the lookup fails. A name with no A record is asked again for AAAA.
// A truncated answer (TC) without an address is asked again over TCP.
// Answers are cached for their TTL (capped), in a small map.
import { randomInt } from "node:crypto";
import type { CoreConnection, Layer } from "../core/connection.js";
import type { CoreManager, Resolver, ResolveCallback } from "../core/manager.js";
import { MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_POLL, MG_EV_READ } from "../core/events.js";
import { millis } from "../util/time.js";
import { MgError } from "../util/errors.js";
import { logDebug } from "../util/log.js";
import {
  buildQuery, checkQueryName, findAddress, messageId, parseResponse, sameName,
  DNS_CLASS_IN, DNS_RCODE_NOERROR, DNS_RCODE_NXDOMAIN, DNS_TYPE_A, DNS_TYPE_AAAA,
} from "./codec.js";
import { DNS_ATTEMPTS, DNS_CACHE_SIZE, DNS_MAX_CACHE_TTL, type DnsClientOptions } from "./options.js";

const RCODE_NAMES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];

interface Query {
  id: number;
  name: string;
  type: number;
  packet: Buffer;
  /** Times sent so far. */
  sent: number;
  /** millis() when the next attempt goes out (or the lookup fails, after the last). */
  nextAt: number;
  /** Family asked by the caller: 0 asks AAAA after an A query finds nothing. */
  family: 0 | 4 | 6;
  cb: ResolveCallback;
  /** The TCP connection asking again after a truncated answer. */
  tcp?: CoreConnection;
}

interface CacheEntry { address: string; family: 4 | 6; expires: number }

/** A DNS client: lookup() is the manager's resolver. */
export class DnsClient {
  readonly #mgr: CoreManager;
  readonly #opts: DnsClientOptions;
  readonly #pending = new Map<number, Query>();
  readonly #cache = new Map<string, CacheEntry>();
  #conn: CoreConnection | undefined;

  constructor(mgr: CoreManager, opts: DnsClientOptions) {
    this.#mgr = mgr;
    this.#opts = opts;
  }

  /** The resolver hook for the core. */
  readonly resolver: Resolver = (host, family, cb) => this.lookup(host, family, cb);

  /** Queries pending (tests). */
  get pendingCount(): number { return this.#pending.size; }

  /** Looks `host` up (A, then AAAA for family 0); `cb` runs once unless the returned function cancels. */
  lookup(host: string, family: 0 | 4 | 6, cb: ResolveCallback): () => void {
    const bad = checkQueryName(host);
    if (bad !== undefined) {
      let live = true;
      queueMicrotask(() => { if (live) cb(new MgError("ERR_RESOLVE", `${bad}: ${JSON.stringify(host)}`), "", 0); });
      return () => { live = false; };
    }
    const type = family === 6 ? DNS_TYPE_AAAA : DNS_TYPE_A;
    const hit = this.#cached(host, type) ?? (family === 0 ? this.#cached(host, DNS_TYPE_AAAA) : undefined);
    if (hit !== undefined) {
      let live = true;
      queueMicrotask(() => { if (live) cb(undefined, hit.address, hit.family); });
      return () => { live = false; };
    }
    let q: Query | undefined = this.#ask(host, type, family, cb);
    // A family-0 lookup may move on to an AAAA query: cancel whichever is pending.
    return () => {
      for (const [id, p] of this.#pending) {
        if (p.cb !== cb && p !== q) continue;
        this.#pending.delete(id);
        if (p.tcp !== undefined && !p.tcp.isClosed) p.tcp.close();
      }
      q = undefined;
    };
  }

  #cached(host: string, type: number): CacheEntry | undefined {
    const key = `${type}:${host.toLowerCase()}`;
    const e = this.#cache.get(key);
    if (e === undefined) return undefined;
    if (e.expires <= millis()) { this.#cache.delete(key); return undefined; }
    return e;
  }

  #ask(name: string, type: number, family: 0 | 4 | 6, cb: ResolveCallback): Query {
    let id = randomInt(0x10000);
    while (this.#pending.has(id)) id = (id + 1) & 0xffff;
    const q: Query = { id, name, type, packet: buildQuery(id, name, type), sent: 0, nextAt: 0, family, cb };
    this.#pending.set(id, q);
    this.#send(q);
    return q;
  }

  #send(q: Query): void {
    const c = this.#connection();
    q.sent++;
    q.nextAt = millis() + Math.ceil(this.#opts.timeoutMs / DNS_ATTEMPTS);
    logDebug(`dns: query ${q.id} ${q.type === DNS_TYPE_AAAA ? "AAAA" : "A"} ${q.name} (attempt ${q.sent})`);
    if (c.canSend) c.send(q.packet);
  }

  #connection(): CoreConnection {
    if (this.#conn !== undefined && !this.#conn.isClosed && !this.#conn.isClosing) return this.#conn;
    const { host, port } = this.#opts;
    const url = `udp://${host.includes(":") ? `[${host}]` : host}:${port}`;
    const layer = new DnsLayer(this);
    // A handler of its own that ignores everything: the user's default handler must not
    // see the library's DNS connection.
    this.#conn = this.#mgr._connect(url, ignore, {}, { udp: true, tls: false, layer: () => layer });
    return this.#conn;
  }

  /** @internal One datagram from the server. */
  _onDatagram(buf: Buffer): void {
    const q = this.#pending.get(messageId(buf));
    if (q === undefined) { logDebug("dns: reply with an unknown id ignored"); return; }
    if (q.tcp !== undefined) return; // asked again over TCP: only that answer counts
    this.#onReply(q, buf, false);
  }

  /** @internal The answer that came over TCP for `q`. */
  _onTcpReply(q: Query, buf: Buffer): void {
    if (this.#pending.get(q.id) !== q || messageId(buf) !== q.id) { this.#tcpFailed(q, "answer with another id"); return; }
    if (!this.#onReply(q, buf, true)) this.#tcpFailed(q, "malformed answer or another question");
  }

  /** @internal The TCP connection of `q` failed before its answer. */
  _onTcpGone(q: Query, msg: string): void { if (this.#pending.get(q.id) === q) this.#tcpFailed(q, msg); }

  #tcpFailed(q: Query, why: string): void {
    this.#pending.delete(q.id);
    q.cb(new MgError("ERR_RESOLVE", `truncated answer, and over TCP: ${why}`), "", 0);
  }

  /** Checks and takes a reply to `q`; false when it is not one (malformed, another question). */
  #onReply(q: Query, buf: Buffer, tcp: boolean): boolean {
    const r = parseResponse(buf);
    if ("error" in r) {
      // A broken datagram may be forged: the query keeps waiting for a good one.
      logDebug(`dns: malformed reply to ${q.name} ignored: ${r.error} at byte ${r.offset}`);
      return false;
    }
    const qq = r.question;
    if (qq === undefined || qq.type !== q.type || qq.cls !== DNS_CLASS_IN || !sameName(qq.name, q.name)) {
      logDebug(`dns: reply ${q.id} for another question ignored`);
      return false;
    }
    if (r.rcode !== DNS_RCODE_NOERROR) {
      this.#pending.delete(q.id);
      const what = r.rcode === DNS_RCODE_NXDOMAIN ? "no such host" : `server answered ${RCODE_NAMES[r.rcode] ?? `RCODE ${r.rcode}`}`;
      q.cb(new MgError("ERR_RESOLVE", what), "", 0);
      return true;
    }
    const a = findAddress(r, q.name, q.type);
    if (a === undefined) {
      if (r.truncated && !tcp) {
        // RFC 1035 section 4.2.1: TC means the answer did not fit a datagram: ask again
        // over TCP (section 4.2.2). The records that did fit held no address.
        this.#askTcp(q);
        return true;
      }
      this.#pending.delete(q.id);
      if (q.family === 0 && q.type === DNS_TYPE_A && !r.truncated) { this.#ask(q.name, DNS_TYPE_AAAA, 0, q.cb); return true; }
      q.cb(new MgError("ERR_RESOLVE", r.truncated ? "truncated answer without an address" : "no address"), "", 0);
      return true;
    }
    this.#pending.delete(q.id);
    const ttl = Math.min(a.ttl, DNS_MAX_CACHE_TTL);
    if (ttl > 0) {
      if (this.#cache.size >= DNS_CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(`${q.type}:${q.name.toLowerCase()}`, { address: a.address, family: a.family, expires: millis() + ttl * 1000 });
    }
    q.cb(undefined, a.address, a.family);
    return true;
  }

  /** The same query over TCP, with its two-byte length prefix (RFC 1035 section 4.2.2); the lookup's deadline stays. */
  #askTcp(q: Query): void {
    const { host, port } = this.#opts;
    const url = `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`;
    logDebug(`dns: query ${q.id} truncated, asking ${url}`);
    q.sent = DNS_ATTEMPTS; // no more datagrams; the timeout still applies
    q.tcp = this.#mgr._connect(url, ignore, {}, { udp: false, tls: false, layer: () => new DnsTcpLayer(this, q) });
  }

  /** @internal Retries and timeouts, on every poll of the DNS connection. */
  _onPoll(now: number): void {
    for (const q of this.#pending.values()) {
      if (now < q.nextAt) continue;
      if (q.sent < DNS_ATTEMPTS) { this.#send(q); continue; }
      this.#pending.delete(q.id);
      if (q.tcp !== undefined && !q.tcp.isClosed) q.tcp.close();
      q.cb(new MgError("ERR_TIMEOUT", `no answer from DNS server ${this.#opts.host}:${this.#opts.port} within ${this.#opts.timeoutMs} ms`), "", 0);
    }
  }

  /** @internal The connection failed or closed: every pending lookup fails (the next one opens a new connection). */
  _onGone(c: CoreConnection, msg: string): void {
    if (this.#conn === c) this.#conn = undefined;
    const qs = [...this.#pending.values()];
    this.#pending.clear();
    for (const q of qs) q.cb(new MgError("ERR_RESOLVE", `DNS: ${msg}`), "", 0);
  }
}

class DnsLayer implements Layer {
  readonly #client: DnsClient;
  constructor(client: DnsClient) { this.#client = client; }
  onEvent(c: CoreConnection, ev: number, data: unknown): void {
    if (ev === MG_EV_READ) this.#client._onDatagram(c.recvData());
    else if (ev === MG_EV_POLL) this.#client._onPoll(data as number);
    else if (ev === MG_EV_ERROR) this.#client._onGone(c, data as string);
    else if (ev === MG_EV_CLOSE) this.#client._onGone(c, "connection to the server closed");
  }
}

/** A TCP connection for one query whose UDP answer was truncated. */
class DnsTcpLayer implements Layer {
  readonly #client: DnsClient;
  readonly #q: Query;
  #answered = false;
  constructor(client: DnsClient, q: Query) { this.#client = client; this.#q = q; }
  onEvent(c: CoreConnection, ev: number, data: unknown): void {
    if (ev === MG_EV_CONNECT) {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(this.#q.packet.length);
      c.send(Buffer.concat([len, this.#q.packet]));
    } else if (ev === MG_EV_READ) {
      if (this.#answered || c.recvLen < 2) return;
      const buf = c.recvData();
      const n = (buf[0]! << 8) | buf[1]!;
      if (buf.length < 2 + n) return;
      this.#answered = true;
      const msg = Buffer.from(buf.subarray(2, 2 + n));
      c.close();
      this.#client._onTcpReply(this.#q, msg);
    } else if (ev === MG_EV_ERROR) {
      if (!this.#answered) { this.#answered = true; this.#client._onTcpGone(this.#q, data as string); }
    } else if (ev === MG_EV_CLOSE) {
      if (!this.#answered) { this.#answered = true; this.#client._onTcpGone(this.#q, "connection closed before the answer"); }
    }
  }
}

function ignore(): void { /* the DNS connection's events are the layer's */ }
