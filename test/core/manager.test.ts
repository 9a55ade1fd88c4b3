import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import {
  Manager, MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_OPEN, MG_EV_POLL, MG_EV_READ, MG_EV_USER, eventName,
  type Connection,
} from "../../src/index.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";

test("handlers run only inside poll(); data waits in the receive buffer meanwhile", async () => {
  const seen: string[] = [];
  const m = new Manager((c, ev, _d) => { if (ev !== MG_EV_POLL) seen.push(eventName(ev)); });
  const lsn = m.listen("tcp://127.0.0.1:0");
  await m.poll(0);
  assert.deepEqual(seen, ["MG_EV_OPEN"]);
  const sock = net.connect(lsn.localAddr.port, "127.0.0.1");
  await new Promise((r) => sock.once("connect", r));
  sock.write("hello");
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(seen, ["MG_EV_OPEN"], "nothing dispatched outside poll");
  for (let i = 0; i < 20 && !seen.includes("MG_EV_READ"); i++) await m.poll(20);
  assert.deepEqual(seen.slice(0, 4), ["MG_EV_OPEN", "MG_EV_OPEN", "MG_EV_ACCEPT", "MG_EV_READ"]);
  const c = m.connections.find((x) => !x.isListening)!;
  assert.equal(c.recvData().toString(), "hello");
  sock.destroy();
  await m.close();
});

test("listen on port 0 reports the real port at once; a taken port throws", async () => {
  const m = new Manager();
  const a = m.listen("tcp://127.0.0.1:0");
  assert.ok(a.localAddr.port > 0);
  assert.equal(a.localAddr.ip, "127.0.0.1");
  assert.equal(a.isListening, true);
  assert.throws(() => m.listen(`tcp://127.0.0.1:${a.localAddr.port}`), /cannot bind 127\.0\.0\.1:\d+: EADDRINUSE/);
  assert.throws(() => m.listen("nonsense"), /bad URL/);
  assert.throws(() => m.listen("gopher://127.0.0.1:1"), /unsupported scheme/);
  const u = m.listen("udp://127.0.0.1:0");
  assert.ok(u.localAddr.port > 0);
  assert.throws(() => m.listen(`udp://127.0.0.1:${u.localAddr.port}`), /cannot bind udp/);
  await m.close();
});

test("timers: one-shot, repeat, runNow and cancel run inside poll", async () => {
  const m = new Manager();
  let once = 0, rep = 0, now = 0;
  m.timerAdd(10, () => once++);
  const t = m.timerAdd(5, () => rep++, { repeat: true });
  m.timerAdd(100000, () => now++, { runNow: true });
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(once + rep + now, 0, "timers wait for poll");
  const deadline = Date.now() + 2000;
  while ((once === 0 || rep < 3) && Date.now() < deadline) await m.poll(5);
  assert.equal(once, 1);
  assert.ok(rep >= 3);
  assert.equal(now, 1);
  t.cancel();
  const r = rep;
  for (let i = 0; i < 5; i++) await m.poll(5);
  assert.equal(rep, r, "cancelled timer does not run");
  assert.throws(() => m.timerAdd(-1, () => {}), /non-negative/);
  await m.close();
});

test("a throwing handler goes to errorHandler and the loop goes on", async () => {
  const errors: unknown[] = [];
  let polls = 0;
  const m = new Manager((_c, ev, _d) => {
    if (ev === MG_EV_POLL) { polls++; throw new Error("boom"); }
  }, { errorHandler: (e) => errors.push(e) });
  m.listen("tcp://127.0.0.1:0");
  m.timerAdd(1, () => { throw new Error("timer boom"); });
  for (let i = 0; i < 3; i++) await m.poll(5);
  assert.equal(polls, 3);
  assert.ok(errors.length >= 4);
  assert.ok(errors.some((e) => (e as Error).message === "timer boom"));
  await m.close();
});

test("run() stops on an AbortSignal and closes every connection", async () => {
  const closed: number[] = [];
  const m = new Manager((c, ev, _d) => { if (ev === MG_EV_CLOSE) closed.push(c.id); });
  const lsn = m.listen("tcp://127.0.0.1:0");
  const ac = new AbortController();
  const running = m.run({ pollMs: 10, signal: ac.signal });
  const sock = net.connect(lsn.localAddr.port, "127.0.0.1");
  await waitFor(() => m.connections.length === 2, 3000, "accept");
  ac.abort();
  await running;
  assert.equal(m.connections.length, 0);
  assert.ok(closed.includes(lsn.id));
  assert.equal(closed.length, 2);
  sock.destroy();
});

test("await using closes the manager", async () => {
  let lsn: Connection;
  {
    await using m = new Manager();
    lsn = m.listen("tcp://127.0.0.1:0");
    assert.equal(m.connections.length, 1);
  }
  await assert.rejects(new Promise((resolve, reject) => {
    const s = net.connect(lsn.localAddr.port, "127.0.0.1", () => { s.destroy(); resolve(undefined); });
    s.on("error", reject);
  }));
});

test("user events and per-listener handlers", async () => {
  const got: unknown[] = [];
  const m = new Manager(() => { throw new Error("default handler must not see listener events"); });
  const lsn = m.listen("tcp://127.0.0.1:0", (c, ev, data) => {
    if (ev === MG_EV_USER + 2) got.push(data);
    if (ev === MG_EV_OPEN) c.userdata = "mine";
  });
  await m.poll(0);
  lsn.call(MG_EV_USER + 2, { x: 1 });
  assert.deepEqual(got, [{ x: 1 }]);
  assert.equal(lsn.userdata, "mine");
  let accepted = false;
  lsn.setHandler((c, ev, _d) => { if (ev === MG_EV_ACCEPT) accepted = true; if (ev === MG_EV_READ) c.recvConsume(); });
  const loop = startLoop(m);
  const s = net.connect(lsn.localAddr.port, "127.0.0.1");
  await waitFor(() => accepted, 3000, "accept");
  s.destroy();
  await loop.stop();
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
