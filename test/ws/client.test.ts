// Our client against hand-written servers: handshake checks, masking, protocol errors.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { Manager, WEBSOCKET_OP_BINARY, WEBSOCKET_OP_TEXT } from "../../src/index.js";
import { acceptKey } from "../../src/ws/handshake.js";
import { frame, parseFrame, closeBody, RecordingClient, type Frame } from "./peers.js";
import { startLoop, waitFor, type Loop, leakCheckAfterAll } from "../helpers.js";

interface Peer { sock: net.Socket; head: string; key: string; frames: Frame[]; closed: boolean }

/** A TCP server that hands each upgrade request to `answer` and parses the client's frames. */
async function rawServer(answer: (p: Peer) => void): Promise<{ port: number; peers: Peer[]; close(): Promise<void> }> {
  const peers: Peer[] = [];
  const server = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    let peer: Peer | undefined;
    sock.on("error", () => undefined);
    sock.on("close", () => { if (peer) peer.closed = true; });
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (peer === undefined) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buf.subarray(0, end).toString("latin1");
        buf = buf.subarray(end + 4);
        const key = /\r\nSec-WebSocket-Key: *([^\r]*)/i.exec(head)?.[1] ?? "";
        peer = { sock, head, key, frames: [], closed: false };
        peers.push(peer);
        answer(peer);
      }
      for (let r = parseFrame(buf); r; r = parseFrame(buf)) { peer.frames.push(r[0]); buf = buf.subarray(r[1]); }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    peers,
    close: () => { for (const p of peers) p.sock.destroy(); return new Promise((r) => server.close(() => r())); },
  };
}

const ok101 = (p: Peer, extra = ""): string =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(p.key)}\r\n${extra}\r\n`;

describe("our client against hand-written servers", () => {
  let loop: Loop;
  before(() => { loop = startLoop(new Manager()); });
  after(() => loop.stop());

  it("sends a valid upgrade request and masks every frame with fresh keys", async () => {
    const srv = await rawServer((p) => p.sock.write(ok101(p)));
    try {
      const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${srv.port}/a/b?c=d`, { wsDeflate: false });
      await cl.next("open");
      const head = srv.peers[0]!.head;
      assert.match(head, /^GET \/a\/b\?c=d HTTP\/1\.1\r\n/);
      assert.match(head, new RegExp(`\r\nHost: 127\\.0\\.0\\.1:${srv.port}(\r\n|$)`));
      assert.match(head, /\r\nUpgrade: websocket\r\n/);
      assert.match(head, /\r\nConnection: Upgrade\r\n/);
      assert.match(head, /\r\nSec-WebSocket-Version: 13(\r\n|$)/);
      assert.equal(Buffer.from(srv.peers[0]!.key, "base64").length, 16);
      assert.doesNotMatch(head, /Sec-WebSocket-Extensions/);
      assert.ok(cl.conn.isWebsocket);
      cl.conn.wsSend("one"); cl.conn.wsSend(Buffer.from("two"), WEBSOCKET_OP_BINARY); cl.conn.wsSend("three".repeat(100));
      await waitFor(() => srv.peers[0]!.frames.length === 3);
      const fr = srv.peers[0]!.frames;
      assert.deepEqual(fr.map((f) => [f.op, f.masked, f.payload.toString().slice(0, 5)]), [[1, true, "one"], [2, true, "two"], [1, true, "three"]]);
      cl.conn.close();
      await cl.next("close");
    } finally { await srv.close(); }
  });

  it("delivers frames that arrive in the same packet as the 101", async () => {
    const srv = await rawServer((p) => p.sock.write(Buffer.concat([Buffer.from(ok101(p)), frame({ op: WEBSOCKET_OP_TEXT, payload: "early", mask: false })])));
    try {
      const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${srv.port}/`);
      await cl.next("open");
      assert.equal((await cl.next("msg")).data!.toString(), "early");
      cl.conn.close();
    } finally { await srv.close(); }
  });

  const badAnswers: [string, (p: Peer) => string, RegExp][] = [
    ["a 404", () => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", /404/],
    ["a 200", () => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", /200/],
    ["a wrong Sec-WebSocket-Accept", () => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey("x")}\r\n\r\n`, /Sec-WebSocket-Accept/],
    ["no Sec-WebSocket-Accept", () => "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", /Sec-WebSocket-Accept/],
    ["no Upgrade header", (p) => `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(p.key)}\r\n\r\n`, /Upgrade/],
    ["a subprotocol that was not offered", (p) => ok101(p, "Sec-WebSocket-Protocol: other\r\n"), /subprotocol/],
    ["an extension that was not offered", (p) => ok101(p, "Sec-WebSocket-Extensions: x-custom\r\n"), /not offered/],
    ["garbage", () => "SSH-2.0-OpenSSH\r\n\r\n", /bad handshake response/],
    ["a closed connection", () => "", /closed before the handshake/],
  ];
  for (const [name, answer, re] of badAnswers) {
    it(`fails the connection on ${name}: MG_EV_ERROR, no MG_EV_WS_OPEN`, async () => {
      const srv = await rawServer((p) => { const a = answer(p); if (a) p.sock.write(a); else p.sock.end(); });
      try {
        const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${srv.port}/`, { protocols: ["chat"] });
        const err = await cl.next("error");
        assert.match(err.text!, re);
        await cl.next("close");
        assert.ok(!cl.has("open"));
        assert.ok(!cl.conn.isWebsocket);
      } finally { await srv.close(); }
    });
  }

  it("gives up when the server never answers (handshakeTimeoutMs)", async () => {
    const srv = await rawServer(() => undefined);
    try {
      const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${srv.port}/`, { handshakeTimeoutMs: 150 });
      assert.match((await cl.next("error")).text!, /no handshake response in time/);
      await cl.next("close");
      assert.ok(!cl.has("open"));
    } finally { await srv.close(); }
  });

  it("reports a refused connection with MG_EV_ERROR and MG_EV_CLOSE", async () => {
    const srv = await rawServer(() => undefined);
    const port = srv.port;
    await srv.close();
    const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${port}/`);
    assert.match((await cl.next("error")).text!, /ECONNREFUSED/);
    await cl.next("close");
  });

  it("refuses a masked frame from the server with close 1002", async () => {
    const srv = await rawServer((p) => p.sock.write(Buffer.concat([Buffer.from(ok101(p)), frame({ op: 1, payload: "masked!", mask: true })])));
    try {
      const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${srv.port}/`);
      assert.match((await cl.next("error")).text!, /masked frame from a server/);
      await waitFor(() => srv.peers[0]!.frames.some((f) => f.op === 8));
      const close = srv.peers[0]!.frames.find((f) => f.op === 8)!;
      assert.ok(close.masked);
      assert.equal(close.payload.readUInt16BE(0), 1002);
      await cl.next("close");
      assert.ok(!cl.has("msg"));
    } finally { await srv.close(); }
  });

  it("answers pings with masked pongs and the server's close with a masked close", async () => {
    const srv = await rawServer((p) => p.sock.write(Buffer.concat([
      Buffer.from(ok101(p)), frame({ op: 9, payload: "ping!", mask: false }), frame({ op: 8, payload: closeBody(1001, "going"), mask: false }),
    ])));
    try {
      const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${srv.port}/`);
      await cl.next("close");
      const fr = srv.peers[0]!.frames;
      await waitFor(() => fr.length >= 2);
      assert.deepEqual(fr.map((f) => [f.op, f.masked]), [[10, true], [8, true]]);
      assert.equal(fr[0]!.payload.toString(), "ping!");
      assert.equal(fr[1]!.payload.readUInt16BE(0), 1001);
      const ctl = cl.events.filter((e) => e.ev === "ctl").map((e) => e.op);
      assert.deepEqual(ctl, [9, 8]);
      assert.ok(!cl.has("error"));
    } finally { await srv.close(); }
  });

  it("offers permessage-deflate by default and accepts a server that declines it", async () => {
    const srv = await rawServer((p) => p.sock.write(ok101(p)));
    try {
      const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${srv.port}/`, { headers: "X-One: 1\r\nHost: example.test" });
      await cl.next("open");
      const head = srv.peers[0]!.head;
      assert.match(head, /\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits(\r\n|$)/);
      assert.match(head, /\r\nX-One: 1(\r\n|$)/);
      assert.match(head, /\r\nHost: example\.test(\r\n|$)/);
      assert.equal(head.match(/\r\nHost:/gi)!.length, 1, "our Host header gives way to the caller's");
      cl.conn.wsSend("x".repeat(5000)); // over the threshold, but not compressed: declined
      await waitFor(() => srv.peers[0]!.frames.length === 1);
      assert.equal(srv.peers[0]!.frames[0]!.rsv, 0);
      cl.conn.close();
    } finally { await srv.close(); }
  });

  it("rejects bad arguments synchronously", () => {
    assert.throws(() => loop.manager.wsConnect("mqtt://127.0.0.1:1/"), /ws:\/\//);
    assert.throws(() => loop.manager.wsConnect("ws://127.0.0.1:1/", { protocols: ["bad proto"] }), /subprotocol/);
    assert.throws(() => loop.manager.wsConnect("ws://127.0.0.1:1/", { headers: { "Bad Name": "x" } }), /header name/);
    assert.throws(() => loop.manager.wsConnect("ws://127.0.0.1:1/", { wsDeflate: { serverMaxWindowBits: 20 } }), /8\.\.15/);
  });
});

// wsConnect's options, wrong: [option, value, a fragment of the message]. Each throws
// ERR_INVALID_OPTION at once, and no connection is left behind.
const BAD_WS_CONNECT: [string, unknown, string][] = [
  ["headers", 5, "option headers must be an object { name: value }, a list of [name, value] pairs"],
  ["headers", true, "option headers must be"],
  ["protocols", 5, "option protocols must be a subprotocol name or a list of them, got 5"],
  ["protocols", [5], "option protocols must be a subprotocol name or a list of them, got an array"],
  ["protocols", ["chat", "bad proto"], 'option protocols: invalid subprotocol "bad proto"'],
  ["handshakeTimeoutMs", 0, "option handshakeTimeoutMs must be a positive integer, got 0"],
  ["handshakeTimeoutMs", "1000", "option handshakeTimeoutMs must be a positive integer"],
  ["tls", 5, "option tls must be a TlsOpts object"],
  ["maxRecvSize", -1, "option maxRecvSize must be a positive integer"],
  ["writeTimeoutMs", "x", "option writeTimeoutMs must be a non-negative integer"],
  ["maxHeaderSize", 0, "option maxHeaderSize must be a positive integer"],
  ["wsMaxMessageSize", "1", "option wsMaxMessageSize must be a positive integer"],
  ["wsDeflate", { serverMaxWindowBits: 20 }, "8..15"],
];

it("wsConnect checks each option where it is given (ERR_INVALID_OPTION naming it)", () => {
  const m = new Manager();
  for (const [name, value, fragment] of BAD_WS_CONNECT) {
    const what = `${name}: ${JSON.stringify(value)}`;
    assert.throws(() => m.wsConnect("ws://127.0.0.1:1/", { [name]: value }), (e: Error & { code?: string }) => {
      assert.equal(e.code, "ERR_INVALID_OPTION", `${what}: ${e.message}`);
      assert.ok(e.message.includes(fragment), `${what}: ${JSON.stringify(e.message)} lacks ${JSON.stringify(fragment)}`);
      return true;
    }, what);
  }
  assert.equal(m.connections.length, 0, "no connection is left behind");
});

it("wsConnect accepts a full, valid options object", async () => {
  const m = new Manager();
  const c = m.wsConnect("ws://127.0.0.1:1/", {
    headers: { Origin: "http://example.test" }, protocols: ["chat", "superchat"], handshakeTimeoutMs: 1000,
    tls: {}, maxRecvSize: 1 << 20, writeTimeoutMs: 1000, maxHeaderSize: 8192, maxHeaders: 50,
    wsMaxMessageSize: 1 << 20, wsDeflate: false,
  });
  assert.equal(m.connections.length, 1);
  c.close();
  await m.close();
});

it("manager.close() tells WebSocket peers 1001 going away (ws package as the client)", async () => {
  const { MG_EV_HTTP_MSG } = await import("../../src/index.js");
  const { WebSocket } = await import("ws");
  const m = new Manager((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data); });
  const lsn = m.listen("ws://127.0.0.1:0");
  let running = true;
  const loop = (async () => { while (running) await m.poll(10); })();
  const peer = new WebSocket(`ws://127.0.0.1:${lsn.localAddr.port}/`);
  await new Promise((resolve, reject) => { peer.once("open", resolve); peer.once("error", reject); });
  const closed = new Promise<number>((resolve) => peer.once("close", (code) => resolve(code)));
  running = false;
  await loop;
  await m.close();
  assert.equal(await closed, 1001);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
