// The own DNS client (Manager option dnsServer) against dnsmasq on loopback, and
// against a scripted UDP server for what dnsmasq never sends: wrong ids, wrong
// questions, garbage, silence, truncation.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as dgram from "node:dgram";
import * as net from "node:net";
import { Manager, MG_EV_RESOLVE, MG_EV_ERROR, MG_EV_CONNECT, MG_EV_CLOSE, MG_EV_ACCEPT, type Connection } from "../../src/index.js";
import { parseResponse } from "../../src/dns/codec.js";
import { header, question, record, name, ip4, QNAME_AT } from "./wire.js";
import { startDnsmasq, DNSMASQ_NAMES, type Dnsmasq } from "./dnsmasq.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";

let dnsmasq: Dnsmasq;
before(async () => { dnsmasq = await startDnsmasq(); });
after(async () => { await dnsmasq.stop(); });

interface Seen { events: number[]; errors: string[]; conn: Connection }

/** resolve(name) on a UDP listener (not a client): only MG_EV_RESOLVE or MG_EV_ERROR. */
async function resolveOnly(mgr: Manager, host: string): Promise<Seen> {
  const events: number[] = [];
  const errors: string[] = [];
  const conn = mgr.listen("udp://127.0.0.1:0", (_c, ev, data) => {
    events.push(ev);
    if (ev === MG_EV_ERROR) errors.push(data);
  });
  conn.resolve(host);
  await waitFor(() => events.includes(MG_EV_RESOLVE) || events.includes(MG_EV_ERROR), 8000, `resolve ${host}`);
  return { events, errors, conn };
}

test("dnsmasq: connect() to a name under test.local resolves with our client and connects", async () => {
  const mgr = new Manager(undefined, { dnsServer: dnsmasq.url });
  const loop = startLoop(mgr);
  let accepted = 0;
  const srv = mgr.listen("tcp://127.0.0.1:0", (_c, ev, _d) => { if (ev === MG_EV_ACCEPT) accepted++; });
  const events: number[] = [];
  const c = mgr.connect(`tcp://${DNSMASQ_NAMES.v4}:${srv.localAddr.port}`, (_c, ev, _d) => { events.push(ev); });
  await waitFor(() => events.includes(MG_EV_CONNECT) || events.includes(MG_EV_CLOSE), 8000, "connect");
  assert.deepEqual(events.filter((e) => e === MG_EV_RESOLVE || e === MG_EV_CONNECT), [MG_EV_RESOLVE, MG_EV_CONNECT]);
  assert.equal(c.remoteAddr.ip, "127.0.0.1");
  await waitFor(() => accepted === 1, 5000, "accept");
  await loop.stop();
});

test("dnsmasq: resolve() only resolves: IPv4, a CNAME, IPv6 when there is no A record", async () => {
  const mgr = new Manager(undefined, { dnsServer: dnsmasq.url });
  const loop = startLoop(mgr);
  const v4 = await resolveOnly(mgr, DNSMASQ_NAMES.v4);
  assert.deepEqual(v4.errors, []);
  assert.deepEqual(v4.conn.remoteAddr, { ip: "127.0.0.1", port: 0, isIp6: false });
  const alias = await resolveOnly(mgr, `udp://${DNSMASQ_NAMES.alias}:99`);
  assert.deepEqual(alias.conn.remoteAddr, { ip: "127.0.0.3", port: 99, isIp6: false });
  const v6 = await resolveOnly(mgr, `${DNSMASQ_NAMES.v6}:8080`);
  assert.deepEqual(v6.errors, []);
  assert.deepEqual(v6.conn.remoteAddr, { ip: "::1", port: 8080, isIp6: true });
  // Nothing connected: no MG_EV_CONNECT on any of them, and they stay open.
  for (const s of [v4, alias, v6]) { assert.ok(!s.events.includes(MG_EV_CONNECT)); assert.equal(s.conn.isClosed, false); }
  await loop.stop();
});

test("dnsmasq: a name outside its zone is refused: MG_EV_ERROR naming the answer", async () => {
  const mgr = new Manager(undefined, { dnsServer: dnsmasq.url });
  const loop = startLoop(mgr);
  const r = await resolveOnly(mgr, "nothing.invalid");
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0]!, /REFUSED|no such host/);
  assert.equal(r.conn.lastError?.code, "ERR_RESOLVE");
  assert.ok(!r.events.includes(MG_EV_RESOLVE));
  await loop.stop();
});

/** A scripted DNS server: answer(query) returns the datagrams to send back. */
async function fakeServer(answer: (q: Buffer, n: number) => Buffer[]): Promise<{ url: string; queries: Buffer[]; close(): Promise<void> }> {
  const sock = dgram.createSocket("udp4");
  const queries: Buffer[] = [];
  sock.on("message", (m, rinfo) => {
    queries.push(m);
    for (const d of answer(m, queries.length)) sock.send(d, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  return { url: `udp://127.0.0.1:${sock.address().port}`, queries, close: () => new Promise((r) => sock.close(() => r())) };
}

/** A response to `q` (same id and question unless changed) with one A record. */
function reply(q: Buffer, addr: string, o: { id?: number; qname?: string; flags?: number; ttl?: number } = {}): Buffer {
  const p = parseResponse(Buffer.concat([q.subarray(0, 2), Buffer.from([0x81, 0x80]), q.subarray(4)]));
  if ("error" in p) throw new Error(p.error);
  const qn = o.qname ?? p.question!.name;
  return Buffer.concat([header({ id: o.id ?? p.id, flags: o.flags ?? 0x8180, an: 1 }), question(name(qn), p.question!.type), record(name("", QNAME_AT), p.question!.type, ip4(addr), o.ttl ?? 60)]);
}

test("scripted server: wrong id, wrong question and garbage are ignored; the real answer is taken", async () => {
  const srv = await fakeServer((q) => {
    const id = q.readUInt16BE(0);
    return [
      reply(q, "10.0.0.1", { id: id ^ 1 }), // another id
      reply(q, "10.0.0.2", { qname: "evil.example" }), // another question
      Buffer.from([q[0]!, q[1]!, 0x81]), // truncated header with the right id
      Buffer.concat([q.subarray(0, 2), Buffer.from([0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xc0, 12])]), // a pointer loop
      reply(q, "127.0.0.9"),
    ];
  });
  const mgr = new Manager(undefined, { dnsServer: srv.url });
  const loop = startLoop(mgr);
  const r = await resolveOnly(mgr, "good.example");
  assert.deepEqual(r.errors, []);
  assert.equal(r.conn.remoteAddr.ip, "127.0.0.9");
  assert.equal(srv.queries.length, 1);
  // Cached for its TTL: the second lookup sends nothing.
  const again = await resolveOnly(mgr, "GOOD.example");
  assert.equal(again.conn.remoteAddr.ip, "127.0.0.9");
  assert.equal(srv.queries.length, 1);
  await loop.stop();
  await srv.close();
});

test("scripted server: silence gives MG_EV_ERROR after three attempts; TTL 0 is not cached", async () => {
  let answer = false;
  const srv = await fakeServer((q) => answer ? [reply(q, "127.0.0.5", { ttl: 0 })] : []);
  const mgr = new Manager(undefined, { dnsServer: srv.url, dnsTimeoutMs: 300 });
  const loop = startLoop(mgr);
  const r = await resolveOnly(mgr, "silent.example");
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0]!, /cannot resolve silent\.example: no answer from DNS server 127\.0\.0\.1:\d+ within 300 ms/);
  assert.equal(r.conn.lastError?.code, "ERR_RESOLVE");
  assert.equal(srv.queries.length, 3);
  // Each attempt repeats the same query (same id, same question).
  assert.ok(srv.queries.every((q) => q.equals(srv.queries[0]!)));
  answer = true;
  const n = srv.queries.length;
  for (let i = 0; i < 2; i++) assert.equal((await resolveOnly(mgr, "silent.example")).conn.remoteAddr.ip, "127.0.0.5");
  assert.equal(srv.queries.length, n + 2);
  await loop.stop();
  await srv.close();
});

test("scripted server: a truncated answer without an address is asked again over TCP (RFC 1035 section 4.2.2)", async () => {
  const tcpQueries: Buffer[] = [];
  // The same port over TCP: the whole answer, with its length prefix, in two writes.
  const tcp = net.createServer((sock) => {
    let got = Buffer.alloc(0);
    sock.on("data", (d) => {
      got = Buffer.concat([got, d]);
      if (got.length < 2 || got.length < 2 + got.readUInt16BE(0)) return;
      const q = got.subarray(2, 2 + got.readUInt16BE(0));
      tcpQueries.push(Buffer.from(q));
      const ans = reply(q, "127.0.0.8");
      const framed = Buffer.concat([Buffer.from([ans.length >> 8, ans.length & 0xff]), ans]);
      sock.write(framed.subarray(0, 5));
      setImmediate(() => sock.end(framed.subarray(5)));
    });
  });
  // The UDP server's port may be taken over TCP by another program's connection: then
  // the test takes another pair.
  let srv: Awaited<ReturnType<typeof fakeServer>> | undefined;
  for (let attempt = 0; srv === undefined; attempt++) {
    const u = await fakeServer((q) => [Buffer.concat([header({ id: q.readUInt16BE(0), flags: 0x8380, an: 1 }), q.subarray(12)])]);
    const port = Number(u.url.split(":").pop());
    const ok = await new Promise<boolean>((r) => {
      const onError = (e: NodeJS.ErrnoException): void => { if (e.code === "EADDRINUSE" && attempt < 10) r(false); else throw e; };
      tcp.once("error", onError);
      tcp.listen(port, "127.0.0.1", () => { tcp.off("error", onError); r(true); });
    });
    if (ok) srv = u; else await u.close();
  }
  const mgr = new Manager(undefined, { dnsServer: srv.url });
  const loop = startLoop(mgr);
  const r = await resolveOnly(mgr, "big.example");
  assert.deepEqual(r.errors, []);
  assert.equal(r.conn.remoteAddr.ip, "127.0.0.8");
  assert.equal(tcpQueries.length, 1);
  assert.ok(tcpQueries[0]!.equals(srv.queries[0]!), "the same query over TCP");
  await loop.stop();
  await new Promise<void>((res) => tcp.close(() => res()));
  await srv.close();
});

test("scripted server: truncated, and no TCP server there: MG_EV_ERROR naming both", async () => {
  const srv = await fakeServer((q) => [Buffer.concat([header({ id: q.readUInt16BE(0), flags: 0x8380, an: 1 }), q.subarray(12)])]);
  const mgr = new Manager(undefined, { dnsServer: srv.url });
  const loop = startLoop(mgr);
  const r = await resolveOnly(mgr, "big.example");
  assert.match(r.errors[0] ?? "", /truncated answer, and over TCP: /);
  await loop.stop();
  await srv.close();
});

test("the DNS connection is the library's: the manager's handler never sees its events", async () => {
  const seen: number[] = [];
  const mgr = new Manager((c, ev, _d) => { if (c.isClient) seen.push(ev); }, { dnsServer: dnsmasq.url });
  const loop = startLoop(mgr);
  await resolveOnly(mgr, DNSMASQ_NAMES.v4);
  assert.deepEqual(seen, []);
  await loop.stop();
});

test("dnsServer is checked: udp:// with an IP address", () => {
  for (const bad of ["tcp://127.0.0.1:53", "udp://dns.example:53", "127.0.0.1:53", 53, "udp://127.0.0.1:99999"]) {
    assert.throws(() => new Manager(undefined, { dnsServer: bad as string }), (e: Error & { code?: string }) => e.code === "ERR_INVALID_OPTION" && /dnsServer/.test(e.message), String(bad));
  }
  assert.throws(() => new Manager(undefined, { dnsTimeoutMs: 0 }), /dnsTimeoutMs/);
});

leakCheckAfterAll();
