// conn.resolve(url) / resolveCancel() as in cymongoose: a host name with or without
// scheme and port, MG_EV_RESOLVE with remoteAddr set, and no connect unless the
// connection was made by connect() and has no socket yet. With the system resolver
// ("localhost") and with the own client against dnsmasq.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as dgram from "node:dgram";
import { Manager, MG_EV_RESOLVE, MG_EV_ERROR, MG_EV_CONNECT, MG_EV_ACCEPT, MG_EV_CLOSE, type Connection } from "../../src/index.js";
import { startDnsmasq, DNSMASQ_NAMES, type Dnsmasq } from "./dnsmasq.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";

let dnsmasq: Dnsmasq;
before(async () => { dnsmasq = await startDnsmasq(); });
after(async () => { await dnsmasq.stop(); });

function recorder(mgr: Manager): { conn: Connection; events: number[]; errors: string[] } {
  const events: number[] = [];
  const errors: string[] = [];
  const conn = mgr.listen("udp://127.0.0.1:0", (_c, ev, data) => { events.push(ev); if (ev === MG_EV_ERROR) errors.push(data); });
  return { conn, events, errors };
}

const LOOPBACK = new Set(["127.0.0.1", "::1"]);

test("system resolver: resolve('localhost'), with a port, with a scheme: MG_EV_RESOLVE only", async () => {
  const mgr = new Manager();
  const loop = startLoop(mgr);
  for (const [url, port] of [["localhost", 0], ["localhost:8123", 8123], ["http://localhost:81/x", 81], ["tcp://127.0.0.1:9", 9], ["[::1]:7", 7]] as const) {
    const r = recorder(mgr);
    r.conn.resolve(url);
    await waitFor(() => r.events.includes(MG_EV_RESOLVE) || r.events.includes(MG_EV_ERROR), 5000, url);
    assert.deepEqual(r.errors, [], url);
    assert.ok(LOOPBACK.has(r.conn.remoteAddr.ip), `${url}: ${r.conn.remoteAddr.ip}`);
    assert.equal(r.conn.remoteAddr.port, port, url);
    assert.equal(r.conn.remoteAddr.isIp6, r.conn.remoteAddr.ip === "::1");
    assert.equal(r.events.filter((e) => e === MG_EV_RESOLVE).length, 1);
    assert.ok(!r.events.includes(MG_EV_CONNECT));
    assert.equal(r.conn.isClosing, false, url);
  }
  await loop.stop();
});

test("resolve() of an empty or bad address: MG_EV_ERROR 'resolve: bad address'", async () => {
  const mgr = new Manager();
  const loop = startLoop(mgr);
  const r = recorder(mgr);
  r.conn.resolve("tcp://:80");
  await waitFor(() => r.errors.length > 0, 5000, "error");
  assert.match(r.errors[0]!, /^resolve: bad address/);
  assert.equal(r.conn.lastError?.code, "ERR_INVALID_URL");
  await loop.stop();
});

test("a connected client: resolve() updates remoteAddr and does not connect again", async () => {
  const mgr = new Manager(undefined, { dnsServer: dnsmasq.url });
  const loop = startLoop(mgr);
  let accepts = 0;
  const srv = mgr.listen("tcp://127.0.0.1:0", (_c, ev, _d) => { if (ev === MG_EV_ACCEPT) accepts++; });
  const events: number[] = [];
  const c = mgr.connect(`tcp://127.0.0.1:${srv.localAddr.port}`, (_c, ev, _d) => { events.push(ev); });
  await waitFor(() => events.includes(MG_EV_CONNECT) && accepts === 1, 5000, "connect");
  c.resolve(`${DNSMASQ_NAMES.alias}:1`);
  await waitFor(() => events.filter((e) => e === MG_EV_RESOLVE).length === 2, 5000, "second resolve");
  assert.deepEqual(c.remoteAddr, { ip: "127.0.0.3", port: 1, isIp6: false });
  assert.equal(events.filter((e) => e === MG_EV_CONNECT).length, 1);
  assert.ok(!events.includes(MG_EV_CLOSE));
  assert.equal(accepts, 1);
  await loop.stop();
});

test("connect() with a name: resolve then connect (the own client), remoteAddr has the port", async () => {
  const mgr = new Manager(undefined, { dnsServer: dnsmasq.url });
  const loop = startLoop(mgr);
  const srv = mgr.listen("udp://127.0.0.1:0");
  const events: number[] = [];
  const c = mgr.connect(`udp://${DNSMASQ_NAMES.v4}:${srv.localAddr.port}`, (_c, ev, _d) => { events.push(ev); });
  await waitFor(() => events.includes(MG_EV_CONNECT), 5000, "connect");
  assert.deepEqual(c.remoteAddr, { ip: "127.0.0.1", port: srv.localAddr.port, isIp6: false });
  assert.ok(events.indexOf(MG_EV_RESOLVE) < events.indexOf(MG_EV_CONNECT));
  await loop.stop();
});

test("resolveCancel(): a cancelled lookup delivers nothing, even when its answer comes", async () => {
  // A server that holds its answers until told.
  const sock = dgram.createSocket("udp4");
  const held: (() => void)[] = [];
  sock.on("message", (m, rinfo) => {
    // Answer with the query turned into a response with one A record 127.0.0.4.
    const ans = Buffer.concat([m.subarray(0, 2), Buffer.from([0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]), m.subarray(12),
      Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 127, 0, 0, 4])]);
    held.push(() => sock.send(ans, rinfo.port, rinfo.address));
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  const mgr = new Manager(undefined, { dnsServer: `udp://127.0.0.1:${sock.address().port}` });
  const loop = startLoop(mgr);
  const a = recorder(mgr);
  a.conn.resolve("cancelled.example");
  await waitFor(() => held.length === 1, 5000, "query");
  a.conn.resolveCancel();
  held.shift()!();
  // A second lookup after the first answer was sent: once it resolved, the first one's
  // answer has been handled (one socket, in order).
  const b = recorder(mgr);
  b.conn.resolve("second.example");
  await waitFor(() => held.length === 1, 5000, "second query");
  held.shift()!();
  await waitFor(() => b.events.includes(MG_EV_RESOLVE), 5000, "second resolve");
  assert.equal(b.conn.remoteAddr.ip, "127.0.0.4");
  assert.ok(!a.events.includes(MG_EV_RESOLVE) && !a.events.includes(MG_EV_ERROR), a.events.join(","));
  assert.equal(a.conn.remoteAddr.ip, "");
  await loop.stop();
  await new Promise<void>((r) => sock.close(() => r()));
});

leakCheckAfterAll();
