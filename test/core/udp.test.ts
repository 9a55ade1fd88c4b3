import { test } from "node:test";
import assert from "node:assert/strict";
import * as dgram from "node:dgram";
import { Manager, MG_EV_CONNECT, MG_EV_READ } from "../../src/index.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";

test("UDP listener: one READ per datagram, replies go to each sender", async () => {
  const sizes: number[] = [];
  const m = new Manager((c, ev, data) => {
    if (ev === MG_EV_READ) { sizes.push(data); c.send(Buffer.concat([Buffer.from("echo:"), c.recvData()])); }
  });
  const lsn = m.listen("udp://127.0.0.1:0");
  assert.equal(lsn.isUdp, true);
  const loop = startLoop(m);
  const ask = (text: string) => new Promise<string>((resolve) => {
    const s = dgram.createSocket("udp4");
    s.on("message", (msg) => { s.close(); resolve(msg.toString()); });
    s.send(text, lsn.localAddr.port, "127.0.0.1");
  });
  const [a, b] = await Promise.all([ask("one"), ask("two!")]);
  assert.equal(a, "echo:one");
  assert.equal(b, "echo:two!");
  assert.deepEqual(sizes.sort(), [3, 4]);
  await loop.stop();
});

test("UDP client connect sends and receives datagrams", async () => {
  const peer = dgram.createSocket("udp4");
  await new Promise<void>((r) => peer.bind(0, "127.0.0.1", r));
  peer.on("message", (msg, rinfo) => peer.send(Buffer.from(msg.toString().toUpperCase()), rinfo.port, rinfo.address));
  const m = new Manager();
  let got = "";
  m.connect(`udp://127.0.0.1:${peer.address().port}`, (c, ev, _d) => {
    if (ev === MG_EV_CONNECT) c.send("hello");
    if (ev === MG_EV_READ) got = c.recvData().toString();
  });
  const loop = startLoop(m);
  await waitFor(() => got !== "", 3000, "reply");
  assert.equal(got, "HELLO");
  await loop.stop();
  peer.close();
});

test("UDP: an empty datagram is an MG_EV_READ of 0 bytes with an empty receive buffer (listener and client)", async () => {
  // Listener: "", "ab", "" from one sender; each READ sees exactly its datagram, and the
  // empty ones are answered like the others (so the sender is known: remoteAddr is set).
  const reads: [number, string][] = [];
  const m = new Manager((c, ev, data) => {
    if (ev === MG_EV_READ && c.isListening) {
      reads.push([data, c.recvData().toString()]);
      c.send(`got ${data}`);
    }
  });
  const lsn = m.listen("udp://127.0.0.1:0");
  const loop = startLoop(m);
  const s = dgram.createSocket("udp4");
  const answers: string[] = [];
  s.on("message", (msg) => answers.push(msg.toString()));
  for (const d of ["", "ab", ""]) {
    const before = answers.length;
    s.send(Buffer.from(d), lsn.localAddr.port, "127.0.0.1");
    await waitFor(() => answers.length > before, 3000, `answer to ${JSON.stringify(d)}`);
  }
  assert.deepEqual(reads, [[0, ""], [2, "ab"], [0, ""]]);
  assert.deepEqual(answers, ["got 0", "got 2", "got 0"]);
  s.close();

  // Client connected to one peer: the peer's empty reply is a READ of 0 too.
  const peer = dgram.createSocket("udp4");
  await new Promise<void>((r) => peer.bind(0, "127.0.0.1", r));
  peer.on("message", (_msg, rinfo) => { peer.send(Buffer.alloc(0), rinfo.port, rinfo.address); peer.send("z", rinfo.port, rinfo.address); });
  const got: [number, string][] = [];
  m.connect(`udp://127.0.0.1:${peer.address().port}`, (c, ev, data) => {
    if (ev === MG_EV_CONNECT) c.send("hi");
    if (ev === MG_EV_READ) got.push([data, c.recvData().toString()]);
  });
  await waitFor(() => got.length >= 2, 3000, "two replies");
  assert.deepEqual(got, [[0, ""], [1, "z"]]);
  peer.close();

  // Both ends ours: send("") is an empty datagram, and the listener's READ of 0 answers it.
  const ours: [number, string][] = [];
  m.connect(`udp://127.0.0.1:${lsn.localAddr.port}`, (c, ev, data) => {
    if (ev === MG_EV_CONNECT) { assert.equal(c.send(""), true); c.send("cd"); }
    if (ev === MG_EV_READ) ours.push([data, c.recvData().toString()]);
  });
  await waitFor(() => ours.length >= 2, 3000, "two answers");
  assert.deepEqual(ours, [[5, "got 0"], [5, "got 2"]]);
  assert.deepEqual(reads.slice(3), [[0, ""], [2, "cd"]]);
  await loop.stop();
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
