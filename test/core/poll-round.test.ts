// The loop's scheduling, pinned by counts (never by time): the MG_EV_POLL round visits a
// bounded slice of connections per dispatch and reaches every connection; run() creates
// no timer per poll; a file stream refills when the socket drains, not on a round or a
// timer.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Manager, MG_EV_HTTP_MSG, MG_EV_POLL, MG_EV_READ, type HttpMessage } from "../../src/index.js";
import { waitFor, leakCheckAfterAll } from "../helpers.js";

/** Opens `n` raw TCP clients to `port` and resolves once all are connected. */
async function openClients(port: number, n: number): Promise<net.Socket[]> {
  const socks: net.Socket[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, () => new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, "127.0.0.1", () => resolve(s));
      s.once("error", reject);
    }));
    socks.push(...await Promise.all(batch));
  }
  return socks;
}

test("the MG_EV_POLL round reaches every idle connection, at most 256 of them per dispatch", async () => {
  const N = 700;
  // Per dispatch (manager._polls): how many MG_EV_POLL it delivered; per connection: how many it got.
  const perDispatch = new Map<number, number>();
  const perConn = new Map<number, number>();
  let recording = false;
  const m = new Manager((c, ev) => {
    if (ev !== MG_EV_POLL || !recording || c.isListening) return;
    perDispatch.set(m._polls, (perDispatch.get(m._polls) ?? 0) + 1);
    perConn.set(c.id, (perConn.get(c.id) ?? 0) + 1);
  }, { pollIntervalMs: 200 });
  const lsn = m.listen("tcp://127.0.0.1:0");
  const ac = new AbortController();
  const running = m.run({ signal: ac.signal });
  const socks = await openClients(lsn.localAddr.port, N);
  await waitFor(() => m.connections.length === N + 1, 20000, "every connection accepted");
  recording = true;
  // Two full rounds at least: every connection got MG_EV_POLL twice.
  await waitFor(() => perConn.size === N && [...perConn.values()].every((k) => k >= 2), 20000, "two rounds");
  recording = false;
  const slices = [...perDispatch.values()];
  assert.ok(Math.max(...slices) <= 256, `a dispatch delivered ${Math.max(...slices)} MG_EV_POLL (at most 256 expected)`);
  assert.ok(perDispatch.size >= 2 * Math.ceil(N / 256), `the rounds took ${perDispatch.size} dispatches`);
  for (const s of socks) s.destroy();
  ac.abort();
  await running;
});

test("a request arriving during a round is dispatched before the round ends", async () => {
  const N = 700;
  let roundPolls = 0;
  let readAt = -1;
  let recording = false;
  // No round but the ones the test starts (pollIntervalMs: 1 h).
  const m = new Manager((c, ev) => {
    if (!recording) return;
    if (ev === MG_EV_POLL && !c.isListening) roundPolls++;
    if (ev === MG_EV_READ && readAt < 0) readAt = roundPolls;
  }, { pollIntervalMs: 3_600_000 });
  const lsn = m.listen("tcp://127.0.0.1:0");
  const socks = await openClients(lsn.localAddr.port, N);
  while (m.connections.length < N + 1) await m.poll(10);
  await m.poll(0);
  recording = true;
  // A poll whose wait runs out is an idle tick: the round starts, its first slice goes out.
  await m.poll(1);
  assert.ok(roundPolls > 0 && roundPolls <= 256, `first slice: ${roundPolls} MG_EV_POLL`);
  socks[N - 1]!.write("GET");
  while (readAt < 0) await m.poll(10);
  // One dispatch for the whole round (700) would have delivered the data after it.
  assert.ok(readAt <= 2 * 256, `MG_EV_READ came after ${readAt} MG_EV_POLL of a ${N}-connection round`);
  recording = false;
  for (const s of socks) s.destroy();
  await m.close();
});

test("run() creates no timer per poll: a busy loop reuses one wait timer", async () => {
  const m = new Manager((c, ev) => {
    if (ev === MG_EV_READ && !c.isListening) { c.send(c.recvData()); c.recvConsume(); }
  });
  const lsn = m.listen("tcp://127.0.0.1:0");
  const ac = new AbortController();
  const running = m.run({ signal: ac.signal });
  const [sock] = await openClients(lsn.localAddr.port, 1);
  const echo = (): Promise<void> => new Promise((resolve) => { sock!.once("data", () => resolve()); sock!.write("ping"); });
  await echo();
  const realSetTimeout = globalThis.setTimeout;
  let timers = 0;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => { timers++; return realSetTimeout(...args); }) as typeof setTimeout;
  const polls0 = m._polls;
  try {
    for (let i = 0; i < 200; i++) await echo();
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  const polls = m._polls - polls0;
  assert.ok(polls >= 200, `${polls} dispatches for 200 round trips`);
  assert.ok(timers <= 5, `${timers} timers created for ${polls} polls`);
  sock!.destroy();
  ac.abort();
  await running;
});

test("a file stream on run() refills when the socket drains: no round or timer needed", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "poll-round-"));
  const file = path.join(dir, "big.bin");
  const SIZE = 6 * 1024 * 1024;
  fs.writeFileSync(file, Buffer.alloc(SIZE, 0x61));
  // No round after the first (pollIntervalMs: 1 h): if refilling waited for MG_EV_POLL
  // rounds or poll timeouts, the download would stall.
  const m = new Manager((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.serveFile(data as HttpMessage, file);
  }, { pollIntervalMs: 3_600_000 });
  const lsn = m.listen("http://127.0.0.1:0");
  const ac = new AbortController();
  const running = m.run({ pollMs: 3_600_000, signal: ac.signal });
  const [sock] = await openClients(lsn.localAddr.port, 1);
  const polls0 = m._polls;
  let got = 0;
  let head = "";
  await new Promise<void>((resolve) => {
    sock!.on("data", (b: Buffer) => {
      if (head === "") {
        const s = b.toString("latin1");
        const end = s.indexOf("\r\n\r\n");
        head = s.slice(0, end);
        got += b.length - end - 4;
      } else {
        got += b.length;
      }
      if (got >= SIZE) resolve();
    });
    sock!.write("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
  });
  assert.match(head, /^HTTP\/1\.1 200 /);
  assert.equal(got, SIZE);
  // Each 256 KiB chunk costs a few dispatches (its write, the socket's drain), never a
  // dispatch per poll timeout: 24 chunks.
  const polls = m._polls - polls0;
  assert.ok(polls <= 24 * 6 + 10, `${polls} dispatches to stream ${SIZE} bytes`);
  sock!.destroy();
  ac.abort();
  await running;
  fs.rmSync(dir, { recursive: true, force: true });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
