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

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
