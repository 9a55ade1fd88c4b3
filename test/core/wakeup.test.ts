import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { Manager, MG_EV_WAKEUP } from "../../src/index.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";

test("wakeup() from this thread and from a worker thread delivers MG_EV_WAKEUP", async () => {
  const got: string[] = [];
  const m = new Manager((_c, ev, data) => { if (ev === MG_EV_WAKEUP) got.push(data.toString()); });
  const lsn = m.listen("tcp://127.0.0.1:0");
  assert.equal(m.wakeup(lsn.id, "local"), true);
  assert.equal(m.wakeup(9999, "nobody"), false);
  const loop = startLoop(m);
  await waitFor(() => got.length === 1, 2000, "local wakeup");
  const handle = m.wakeupHandle();
  const w = new Worker(new URL("./wakeup-worker.js", import.meta.url), { workerData: { handle, id: lsn.id }, transferList: [handle] });
  await new Promise((r) => w.once("exit", r));
  await waitFor(() => got.length === 4, 3000, "worker wakeups");
  assert.deepEqual(got, ["local", "w0", "w1", "w2"]);
  await loop.stop();
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
