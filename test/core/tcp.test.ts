import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { createHash } from "node:crypto";
import {
  Manager, MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_READ, MG_EV_RESOLVE, MG_EV_OPEN, MG_EV_WRITE,
  eventName, type Connection,
} from "../../src/index.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";
import { copyOut, releaseRead, taintRead, type ReadPlace } from "../../src/core/accept.js";

function echoServer(): { m: Manager; port: number } {
  const m = new Manager((c, ev, _d) => {
    if (ev === MG_EV_READ) { c.send(c.recvData()); c.recvConsume(); }
  });
  const lsn = m.listen("tcp://127.0.0.1:0");
  return { m, port: lsn.localAddr.port };
}

test("raw TCP echo with a real socket peer, 8 MB round trip intact", async () => {
  const { m, port } = echoServer();
  const loop = startLoop(m);
  const payload = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  const got = await new Promise<Buffer>((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    const parts: Buffer[] = [];
    let n = 0;
    s.on("data", (d) => { parts.push(d); n += d.length; if (n >= payload.length) { s.destroy(); resolve(Buffer.concat(parts)); } });
    s.on("error", reject);
    s.write(payload);
  });
  assert.equal(createHash("sha256").update(got).digest("hex"), createHash("sha256").update(payload).digest("hex"));
  await loop.stop();
});

test("our client: OPEN, RESOLVE, CONNECT, WRITE, READ, CLOSE in order (localhost name resolved)", async () => {
  const { m, port } = echoServer();
  const seen: string[] = [];
  let reply = "";
  const c = m.connect(`tcp://localhost:${port}`, (conn, ev, data) => {
    if (ev !== 2) seen.push(eventName(ev));
    if (ev === MG_EV_CONNECT) conn.send("ping");
    if (ev === MG_EV_READ) { reply += conn.recvData().toString(); conn.recvConsume(); if (reply === "ping") conn.close(); }
    if (ev === MG_EV_WRITE) assert.equal(data, 4);
  });
  assert.equal(c.isClient, true);
  const loop = startLoop(m);
  await waitFor(() => seen.includes("MG_EV_CLOSE"), 5000, "close");
  assert.deepEqual(seen.filter((e) => e !== "MG_EV_WRITE"), ["MG_EV_OPEN", "MG_EV_RESOLVE", "MG_EV_CONNECT", "MG_EV_READ", "MG_EV_CLOSE"]);
  assert.ok(seen.includes("MG_EV_WRITE"));
  assert.equal(reply, "ping");
  assert.equal(c.remoteAddr.port, port);
  await loop.stop();
});

test("connect to a closed port: MG_EV_ERROR with a reason, then MG_EV_CLOSE", async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const m = new Manager();
  const events: [string, unknown][] = [];
  m.connect(`tcp://127.0.0.1:${port}`, (_c, ev, data) => { if (ev === MG_EV_ERROR || ev === MG_EV_CLOSE) events.push([eventName(ev), data]); });
  const loop = startLoop(m);
  await waitFor(() => events.some(([e]) => e === "MG_EV_CLOSE"), 5000, "close");
  assert.equal(events[0]![0], "MG_EV_ERROR");
  assert.match(String(events[0]![1]), /ECONNREFUSED/);
  await loop.stop();
});

test("an unknown host name gives a resolve error", async () => {
  const m = new Manager();
  let err = "";
  let closed = false;
  m.connect("tcp://no-such-host.invalid:80", (_c, ev, data) => {
    if (ev === MG_EV_ERROR) err = data;
    if (ev === MG_EV_CLOSE) closed = true;
    if (ev === MG_EV_RESOLVE) assert.fail("must not resolve");
  });
  const loop = startLoop(m);
  await waitFor(() => closed, 10000, "close");
  assert.match(err, /resolve: cannot resolve no-such-host\.invalid/);
  await loop.stop();
});

test("a full receive buffer pauses reading; consuming resumes it; nothing is lost", async () => {
  const max = 64 * 1024;
  let conn: Connection | undefined;
  let maxSeen = 0;
  const m = new Manager((c, ev, _d) => {
    if (ev === MG_EV_OPEN && !c.isListening) conn = c;
    if (ev === MG_EV_READ) maxSeen = Math.max(maxSeen, c.recvLen);
  });
  const lsn = m.listen("tcp://127.0.0.1:0", { maxRecvSize: max });
  const loop = startLoop(m);
  const total = 4 * 1024 * 1024;
  const s = net.connect(lsn.localAddr.port, "127.0.0.1");
  s.write(Buffer.alloc(total, 7));
  await waitFor(() => conn !== undefined && conn.isFull, 5000, "isFull");
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(conn!.recvLen < max * 2, `buffer bounded (${conn!.recvLen})`);
  let got = 0;
  while (got < total) {
    await waitFor(() => conn!.recvLen > 0, 5000, "more data");
    got += conn!.recvLen;
    conn!.recvConsume();
  }
  assert.equal(got, total);
  assert.ok(maxSeen < max * 2);
  s.destroy();
  await loop.stop();
});

test("drain() closes after everything is written; close() stops sending", async () => {
  const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
  const m = new Manager((c, ev, _d) => {
    if (ev === MG_EV_READ) {
      const cmd = c.recvData().toString(); c.recvConsume();
      c.send(big);
      if (cmd.startsWith("drain")) c.drain();
      else c.close();
      if (cmd.startsWith("drain")) assert.equal(c.send("more"), true, "send while draining is queued");
      else assert.throws(() => c.send("more"), { code: "ERR_CONN_CLOSED" }, "send after close() throws");
    }
  });
  const lsn = m.listen("tcp://127.0.0.1:0");
  const loop = startLoop(m);
  const fetchAll = (cmd: string) => new Promise<number>((resolve) => {
    let n = 0;
    const s = net.connect(lsn.localAddr.port, "127.0.0.1", () => s.write(cmd));
    s.on("data", (d) => { n += d.length; });
    s.on("close", () => resolve(n));
    s.on("error", () => resolve(n));
  });
  assert.equal(await fetchAll("drain"), big.length + 4);
  await waitFor(() => m.connections.length === 1, 3000, "server side closed");
  await loop.stop();
});

test("a peer that half-closes still gets its answer", async () => {
  const { m, port } = echoServer();
  const loop = startLoop(m);
  const got = await new Promise<string>((resolve) => {
    let s = "";
    const sock = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => sock.end("bye"));
    sock.on("data", (d) => { s += d; });
    sock.on("end", () => resolve(s));
  });
  assert.equal(got, "bye");
  await waitFor(() => m.connections.length === 1, 3000, "closed");
  await loop.stop();
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
test("a written send queue keeps no pointer to the buffers it held (emptied in place, not replaced)", async () => {
  // A queue array dropped with its elements would keep a written payload alive through
  // V8's young-generation GCs once the array is in the old generation (see flush()).
  const big = Buffer.alloc(256 * 1024, 7);
  let queue: (Buffer | string)[] | undefined;
  const m = new Manager((c, ev) => {
    if (ev === MG_EV_READ) {
      c.recvConsume();
      queue = c._out;
      c.send(Buffer.from("hdr")); // two chunks, one big: the writev path
      c.send(big);
    }
  });
  const port = m.listen("tcp://127.0.0.1:0").localAddr.port;
  const loop = startLoop(m);
  const n = await new Promise<number>((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    let got = 0;
    s.on("data", (d) => { got += d.length; if (got >= 3 + big.length) { s.destroy(); resolve(got); } });
    s.on("error", reject);
    s.write("x");
  });
  assert.equal(n, 3 + big.length);
  assert.ok(queue !== undefined);
  assert.equal(queue.length, 0);
  const conn = [...m.connections].find((c) => !c.isListening);
  if (conn !== undefined) assert.equal(conn._out, queue); // the same array, reused
  await loop.stop();
});

test("received bytes kept by a handler stay intact while later reads arrive (small reads share a slab, large ones do not)", async () => {
  // Accepted sockets read into one shared buffer and the bytes are copied out (core/accept.ts):
  // every chunk a handler keeps must still hold what was read, after thousands of reads
  // of this and other connections.
  const kept: Buffer[] = [];
  let keptBytes = 0;
  const m = new Manager((c, ev) => {
    if (ev === MG_EV_READ) { const d = c.recvData(); kept.push(d); keptBytes += d.length; c.recvConsume(); }
  });
  const port = m.listen("tcp://127.0.0.1:0").localAddr.port;
  const loop = startLoop(m);
  const sizes = [1, 7, 100, 4095, 4096, 4097, 30000, 65536, 200000];
  const sent: Buffer[] = [];
  const peers = await Promise.all([0, 1].map((p) => new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.on("error", reject);
    s.setNoDelay(p === 0);
  })));
  let total = 0;
  for (let round = 0; round < 300; round++) {
    const size = sizes[round % sizes.length]!;
    const b = Buffer.alloc(size);
    for (let i = 0; i < size; i++) b[i] = (round * 131 + i * 7) & 0xff;
    sent.push(b);
    total += size;
    peers[round % 2]!.write(b);
    await waitFor(() => keptBytes >= total, 5000);
  }
  for (const s of peers) s.destroy();
  await waitFor(() => m.connections.length === 1, 5000);
  await loop.stop();
  // Each write was read whole before the next was sent, so the kept chunks, in order, are the writes.
  const all = Buffer.concat(kept), want = Buffer.concat(sent);
  assert.equal(all.length, want.length);
  assert.ok(all.equals(want), "a kept chunk was overwritten by a later read");
});

test("reads placed straight into a layer's buffer land there whole; once the place is given up, later bytes come as usual", async () => {
  // A layer expecting many bytes of one message has the socket read them into its own
  // buffer (the WebSocket receiver, for a large frame): the first read is copied there
  // from the shared buffer, the next ones are read straight into it. Giving the place up
  // while such a read is already set up must not lose or shift what comes next.
  const PLACE_LEN = 1 << 20;
  const dest = Buffer.alloc(PLACE_LEN);
  let place: ReadPlace | undefined;
  let conn: Connection | undefined;
  const got: Buffer[] = [];
  let gotBytes = 0;
  const m = new Manager((c, ev) => {
    if (ev === MG_EV_ACCEPT) { conn = c; place = c._recvPlace(dest, 0, PLACE_LEN); }
    if (ev === MG_EV_READ && c.recvLen > 0) { const d = Buffer.from(c.recvData()); got.push(d); gotBytes += d.length; c.recvConsume(); }
  });
  const port = m.listen("tcp://127.0.0.1:0").localAddr.port;
  const loop = startLoop(m);
  const pattern = (n: number, seed: number): Buffer => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = (seed + i * 13 + (i >>> 9)) & 0xff; return b; };
  const a = pattern(300_000, 1), b = pattern(200_000, 2);
  const s = await new Promise<net.Socket>((resolve, reject) => { const k = net.connect(port, "127.0.0.1", () => resolve(k)); k.on("error", reject); });
  await waitFor(() => place !== undefined, 5000);
  s.write(a);
  await waitFor(() => place!.placed >= a.length, 5000);
  assert.equal(place!.placed, a.length, "more bytes were placed than sent");
  assert.equal(gotBytes, 0, "placed bytes also reached the receive buffer");
  assert.ok(dest.subarray(0, a.length).equals(a), "placed bytes differ from what was sent");
  conn!._recvPlace(undefined);
  s.write(b);
  await waitFor(() => gotBytes >= b.length, 5000);
  assert.ok(Buffer.concat(got).equals(b), "bytes after the place was given up were lost or shifted");
  s.destroy();
  await waitFor(() => m.connections.length === 1, 5000);
  await loop.stop();
});

test("a read marked as kept after the receive buffer let go of it is not reused", () => {
  // A handler's recvData() can gather a read out of the receive buffer (releasing it) while
  // a layer still reads it and then hands on a view of it: that view must stay intact.
  const read = Buffer.alloc(10_000, 1);
  const a = copyOut(read, 0, 10_000);
  releaseRead(a);
  taintRead(a.subarray(100, 200));
  const b = copyOut(read, 0, 10_000);
  assert.notEqual(b.buffer, a.buffer, "the read was reused although a view of it is kept");
  // Without a view, the same sequence reuses the memory.
  const c = copyOut(read, 0, 10_000);
  releaseRead(c);
  assert.equal(copyOut(read, 0, 10_000).buffer, c.buffer);
});

leakCheckAfterAll();
