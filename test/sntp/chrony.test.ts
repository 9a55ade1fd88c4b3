// The SNTP client against a real NTP server: chronyd on loopback.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startChrony, type Chrony } from "./chrony.js";
import { sntpClient } from "./collect.js";
import { Manager, MG_EV_CLOSE, MG_EV_ERROR, MG_EV_SNTP_TIME, type Connection } from "../../src/index.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";

let chrony: Chrony;
before(async () => { chrony = await startChrony(); });
after(async () => { await chrony?.stop(); });

// chronyd serves this machine's own clock, so its time is the local time give or take
// the round trip; a generous bound still catches era, epoch and unit mistakes.
const CLOSE_MS = 2000;

test("udp://127.0.0.1:PORT: a request on connect, MG_EV_SNTP_TIME with chronyd's time", async () => {
  const cl = sntpClient(`udp://127.0.0.1:${chrony.port}`);
  try {
    await waitFor(() => cl.times.length > 0 || cl.errors.length > 0, 5000, "time from chronyd");
    assert.deepEqual(cl.errors, []);
    const t = cl.times[0]!;
    assert.ok(Number.isInteger(t), `epoch ms is an integer: ${t}`);
    assert.ok(Math.abs(t - Date.now()) < CLOSE_MS, `chronyd time ${new Date(t).toISOString()} vs local ${new Date().toISOString()}`);
    // As in Mongoose, the connection closes after the reply.
    await waitFor(() => cl.closed, 5000, "close after the reply");
    assert.equal(cl.times.length, 1);
    assert.throws(() => cl.conn.sntpRequest(), { code: "ERR_CONN_CLOSED" });
  } finally {
    await cl.stop();
  }
});

test("keepOpen: sntpRequest() asks again on the same connection: a second time, not earlier than the first", async () => {
  const cl = sntpClient(`sntp://127.0.0.1:${chrony.port}`, { keepOpen: true });
  try {
    await waitFor(() => cl.times.length === 1, 5000, "first time");
    cl.conn.sntpRequest();
    await waitFor(() => cl.times.length === 2 || cl.errors.length > 0, 5000, "second time");
    assert.deepEqual(cl.errors, []);
    assert.ok(cl.times[1]! >= cl.times[0]! - 50, `${cl.times[1]} after ${cl.times[0]}`);
    assert.ok(Math.abs(cl.times[1]! - Date.now()) < CLOSE_MS);
    assert.equal(cl.closed, false);
  } finally {
    await cl.stop();
  }
});

test("periodic sync as the cymongoose example does it: a timer opens a new connection when the last one closed", async () => {
  const manager = new Manager();
  const times: number[] = [];
  const errors: string[] = [];
  let conn: Connection | undefined;
  let opened = 0;
  const sync = (): void => {
    if (conn !== undefined || times.length >= 3) return;
    opened++;
    conn = manager.sntpConnect(`udp://127.0.0.1:${chrony.port}`, (_c, ev, data) => {
      if (ev === MG_EV_SNTP_TIME) times.push(data);
      else if (ev === MG_EV_ERROR) errors.push(data);
      else if (ev === MG_EV_CLOSE) conn = undefined;
    });
  };
  const timer = manager.timerAdd(20, sync, { repeat: true, runNow: true });
  const loop = startLoop(manager);
  try {
    await waitFor(() => (times.length >= 3 && conn === undefined) || errors.length > 0, 10_000, "three syncs");
    assert.deepEqual(errors, []);
    assert.equal(opened, 3);
    assert.ok(times.every((t) => Math.abs(t - Date.now()) < CLOSE_MS));
    // Each connection closed after its reply: only the timer is left.
    assert.equal(manager.connections.length, 0);
  } finally {
    timer.cancel();
    await loop.stop();
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
