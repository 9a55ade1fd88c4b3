// The client against a scripted UDP server: malformed, spoofed, kiss-o'-death, silent
// and unsolicited replies give MG_EV_ERROR and no MG_EV_SNTP_TIME.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as dgram from "node:dgram";
import { Manager, MG_EV_CLOSE, MG_EV_RESOLVE } from "../../src/index.js";
import { buildReply, fakeServer, type FakeReply } from "./fake-server.js";
import { sntpClient } from "./collect.js";
import { startServer, waitFor, leakCheckAfterAll } from "../helpers.js";

// Waits until both replies of the first request were handled: the bad one (an error),
// then a good one, which proves the bad one did not cancel the pending request.
async function rejectedThenAccepted(bad: FakeReply | ((req: Buffer) => Buffer), reason: RegExp): Promise<void> {
  const t = Date.parse("2031-05-05T05:05:05Z");
  const srv = await fakeServer((req, n) => n > 0 ? [] : [
    typeof bad === "function" ? bad(req) : buildReply(req, bad),
    buildReply(req, { receiveMs: t, transmitMs: t }),
  ]);
  const cl = sntpClient(`udp://127.0.0.1:${srv.port}`);
  try {
    await waitFor(() => cl.times.length > 0, 5000, "the good reply");
    assert.equal(cl.errors.length, 1, cl.errors.join("; "));
    assert.match(cl.errors[0]!, reason);
    assert.match(cl.errors[0]!, new RegExp(`from 127\\.0\\.0\\.1:${srv.port}`));
    assert.equal(cl.times.length, 1);
    assert.ok(cl.times[0]! >= t && cl.times[0]! < t + 5000, `time ${cl.times[0]}`);
  } finally {
    await cl.stop();
    await srv.close();
  }
}

test("truncated reply (47 bytes) is rejected", () => rejectedThenAccepted({ size: 47 }, /bad packet size 47/));
test("oversized reply (100 bytes) is rejected", () => rejectedThenAccepted({ size: 100 }, /bad packet size 100/));
test("empty datagram is rejected", () => rejectedThenAccepted(() => Buffer.alloc(0), /bad packet size 0/));
test("mode 3 (a client packet, e.g. our own reflected) is rejected", () => rejectedThenAccepted({ mode: 3 }, /not a server reply \(mode 3\)/));
test("version 2 is rejected", () => rejectedThenAccepted({ version: 2 }, /unsupported version 2/));
test("zero transmit timestamp is rejected", () => rejectedThenAccepted({ transmitMs: "zero" }, /zero transmit timestamp/));
test("unsynchronized server (LI 3) is rejected", () => rejectedThenAccepted({ leap: 3 }, /not synchronized/));
test("spoofed reply (originate does not echo our transmit timestamp) is rejected", () =>
  rejectedThenAccepted((req) => {
    const forged = Buffer.from(req.subarray(40, 48));
    forged[7] = forged[7]! ^ 1;
    return buildReply(req, { originate: forged });
  }, /originate timestamp does not match/));
test("a forged kiss-o'-death (wrong originate) is rejected as spoofed, not obeyed", () =>
  rejectedThenAccepted({ stratum: 0, refId: "DENY", originate: Buffer.alloc(8, 1) }, /originate timestamp does not match/));

test("kiss-o'-death: MG_EV_ERROR with the kiss code, no time, connection closed", async () => {
  const srv = await fakeServer((req) => [buildReply(req, { stratum: 0, refId: "RATE" })]);
  const cl = sntpClient(`udp://127.0.0.1:${srv.port}`);
  try {
    await waitFor(() => cl.closed, 5000, "close after the kiss");
    assert.equal(cl.errors.length, 1);
    assert.match(cl.errors[0]!, /kiss-o'-death RATE/);
    assert.deepEqual(cl.times, []);
  } finally {
    await cl.stop();
    await srv.close();
  }
});

test("no answer: MG_EV_ERROR after timeoutMs, then the connection closes", async () => {
  const srv = await fakeServer(() => []);
  const cl = sntpClient(`sntp://127.0.0.1:${srv.port}`, { timeoutMs: 300 });
  try {
    await waitFor(() => cl.closed, 5000, "close after the timeout");
    assert.deepEqual(cl.errors, [`SNTP: no answer from 127.0.0.1:${srv.port} within 300 ms`]);
    assert.equal(cl.conn.lastError?.code, "ERR_TIMEOUT");
    assert.deepEqual(cl.times, []);
  } finally {
    await cl.stop();
    await srv.close();
  }
});

test("keepOpen: no answer gives MG_EV_ERROR after timeoutMs, the connection stays usable", async () => {
  const t = Date.parse("2029-09-09T09:09:09Z");
  // Silent for the first request, answers the second.
  const srv = await fakeServer((req, n) => n === 0 ? [] : [buildReply(req, { receiveMs: t, transmitMs: t })]);
  const cl = sntpClient(`sntp://127.0.0.1:${srv.port}`, { timeoutMs: 300, keepOpen: true });
  try {
    await waitFor(() => cl.errors.length > 0, 5000, "the timeout");
    assert.equal(cl.errors[0], `SNTP: no answer from 127.0.0.1:${srv.port} within 300 ms`);
    assert.deepEqual(cl.times, []);
    assert.equal(srv.requests.length, 1);
    assert.equal(cl.closed, false);
    cl.conn.sntpRequest();
    await waitFor(() => cl.times.length > 0, 5000, "the second request's answer");
    assert.equal(cl.errors.length, 1);
    assert.ok(cl.times[0]! >= t && cl.times[0]! < t + 5000);
  } finally {
    await cl.stop();
    await srv.close();
  }
});

test("keepOpen: a reply when no request is pending (duplicate) is an error, not a second time", async () => {
  const srv = await fakeServer((req) => { const r = buildReply(req); return [r, r]; });
  const cl = sntpClient(`udp://127.0.0.1:${srv.port}`, { keepOpen: true });
  try {
    await waitFor(() => cl.errors.length > 0, 5000, "the duplicate's error");
    assert.equal(cl.times.length, 1);
    assert.match(cl.errors[0]!, /unexpected reply .*no request pending/);
  } finally {
    await cl.stop();
    await srv.close();
  }
});

test("a reply to an earlier request is stale once sntpRequest() sent a newer one", async () => {
  const held: Buffer[] = [];
  const srv = await fakeServer((req, n) => {
    if (n === 0) { held.push(req); return []; }          // hold the first request's reply
    return [buildReply(held[0]!), buildReply(req)];      // then answer both, the stale one first
  });
  const cl = sntpClient(`udp://127.0.0.1:${srv.port}`);
  try {
    await waitFor(() => srv.requests.length === 1, 5000, "first request");
    cl.conn.sntpRequest();
    await waitFor(() => cl.times.length > 0, 5000, "the answer to the second request");
    assert.equal(cl.errors.length, 1);
    assert.match(cl.errors[0]!, /originate timestamp does not match/);
  } finally {
    await cl.stop();
    await srv.close();
  }
});

test("the time is the server's transmit time plus half the round trip", async () => {
  const t = Date.parse("2033-03-03T03:03:03.000Z");
  // The server says it took no time (receive = transmit), so delay = the whole round trip.
  const srv = await fakeServer((req) => [buildReply(req, { receiveMs: t, transmitMs: t })]);
  const started = performance.now();
  const cl = sntpClient(`udp://127.0.0.1:${srv.port}`);
  try {
    await waitFor(() => cl.times.length > 0, 5000, "time");
    const elapsed = performance.now() - started;
    assert.ok(cl.times[0]! >= t && cl.times[0]! <= t + elapsed / 2 + 1, `${cl.times[0]! - t} ms added, elapsed ${elapsed}`);
  } finally {
    await cl.stop();
    await srv.close();
  }
});

test("after the 2036 rollover: an era-1 transmit timestamp gives a 2036+ date", async () => {
  const t = Date.parse("2037-07-07T07:07:07.000Z");
  const srv = await fakeServer((req) => [buildReply(req, { receiveMs: t, transmitMs: t })]);
  const cl = sntpClient(`udp://127.0.0.1:${srv.port}`);
  try {
    await waitFor(() => cl.times.length > 0, 5000, "time");
    assert.equal(srv.requests[0]!.readUInt32BE(40) >= 0x8000_0000, true, "our request is in era 0 (before 2036)");
    assert.ok(cl.times[0]! >= t && cl.times[0]! < t + 5000, new Date(cl.times[0]!).toISOString());
  } finally {
    await cl.stop();
    await srv.close();
  }
});

test("a duplicate reply after the connection closed is never seen: one time, then MG_EV_CLOSE", async () => {
  const srv = await fakeServer((req) => { const r = buildReply(req); return [r, r]; });
  const cl = sntpClient(`udp://127.0.0.1:${srv.port}`);
  try {
    await waitFor(() => cl.closed, 5000, "close after the reply");
    assert.equal(cl.times.length, 1);
    assert.deepEqual(cl.errors, []);
  } finally {
    await cl.stop();
    await srv.close();
  }
});

test("bad arguments throw; sntp:// and udp:// without a port mean port 123", async () => {
  const mgr = new Manager();
  try {
    assert.throws(() => mgr.sntpConnect("http://127.0.0.1:123"), /expected a udp:\/\/ or sntp:\/\/ URL/);
    assert.throws(() => mgr.sntpConnect("127.0.0.1:123"), /bad URL/);
    assert.throws(() => mgr.sntpConnect("sntp://127.0.0.1:99999"), /bad address/);
    assert.throws(() => mgr.sntpConnect("sntp://127.0.0.1", { timeoutMs: 0 }), /timeoutMs must be a positive number/);
    assert.throws(() => mgr.sntpConnect("sntp://127.0.0.1", { keepOpen: "yes" as unknown as boolean }), /option keepOpen must be true or false/);
    const seen: number[][] = [];
    for (const url of ["sntp://127.0.0.1", "udp://127.0.0.1"]) {
      const c = mgr.sntpConnect(url, (conn, ev, _data) => { if (ev === MG_EV_RESOLVE) seen.push([conn.id, conn.remoteAddr.port]); }, { timeoutMs: 100 });
      assert.equal(c.isUdp, true);
      assert.equal(c.isClient, true);
    }
    for (let i = 0; i < 20 && seen.length < 2; i++) await mgr.poll(10);
    assert.deepEqual(seen.map((s) => s[1]), [123, 123]);
  } finally {
    await mgr.close();
  }
});

test("sntpRequest() throws on a connection that is not SNTP, and on a closed one", async () => {
  const srv = startServer(() => {}, {}, "udp");
  const mgr = new Manager();
  try {
    const plain = mgr.connect(`udp://127.0.0.1:${srv.port}`);
    assert.throws(() => plain.sntpRequest(), /not an SNTP connection/);
    assert.throws(() => srv.listener.sntpRequest(), /not an SNTP connection/);
    let closed = false;
    const c = mgr.sntpConnect(`udp://127.0.0.1:${srv.port}`, (_c, ev, _data) => { if (ev === MG_EV_CLOSE) closed = true; });
    c.close();
    assert.throws(() => c.sntpRequest(), { code: "ERR_CONN_CLOSED" });
    for (let i = 0; i < 20 && !closed; i++) await mgr.poll(10);
    assert.equal(closed, true);
  } finally {
    await mgr.close();
    await srv.stop();
  }
});

test("a server that is not there: the request gets MG_EV_ERROR, never a time", async () => {
  // A bound-then-closed port: nothing listens, so ICMP port unreachable or the timeout answers.
  const sock = dgram.createSocket("udp4");
  const port = await new Promise<number>((r) => sock.bind(0, "127.0.0.1", () => { const p = sock.address().port; sock.close(() => r(p)); }));
  const cl = sntpClient(`udp://127.0.0.1:${port}`, { timeoutMs: 500 });
  try {
    await waitFor(() => cl.errors.length > 0, 5000, "an error");
    assert.deepEqual(cl.times, []);
  } finally {
    await cl.stop();
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
