// Interoperability with the `ws` npm package, as client and as server, with and
// without permessage-deflate and its parameters.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import WebSocket, { WebSocketServer, type PerMessageDeflateOptions } from "ws";
import { Manager, WEBSOCKET_OP_BINARY, WEBSOCKET_OP_CLOSE, WEBSOCKET_OP_TEXT, type ConnectionOptions } from "../../src/index.js";
import { echoServer, RecordingClient } from "./peers.js";
import { startLoop, waitFor, type Loop, leakCheckAfterAll } from "../helpers.js";

/** Opens a ws client; `extensions` is the server's Sec-WebSocket-Extensions answer ("" when none). */
function open(url: string, opts: WebSocket.ClientOptions = {}): Promise<WebSocket & { agreed: string }> {
  const ws = new WebSocket(url, opts) as WebSocket & { agreed: string };
  ws.agreed = "";
  ws.once("upgrade", (res) => { ws.agreed = String(res.headers["sec-websocket-extensions"] ?? ""); });
  return new Promise((resolve, reject) => { ws.once("open", () => resolve(ws)); ws.once("error", reject); });
}

/** Collects messages of a ws client. */
function inbox(ws: WebSocket): { msgs: { data: Buffer; binary: boolean }[]; wait(n: number): Promise<void> } {
  const msgs: { data: Buffer; binary: boolean }[] = [];
  ws.on("message", (d, binary) => msgs.push({ data: Buffer.isBuffer(d) ? d : Buffer.concat(d as Buffer[]), binary }));
  return { msgs, wait: (n) => waitFor(() => msgs.length >= n, 10_000, `${n} messages`) };
}

const SIZES = [0, 1, 125, 126, 2000, 65536, 300_000];

const serverModes: [string, ConnectionOptions, PerMessageDeflateOptions | false, RegExp][] = [
  ["no compression offered", {}, false, /^$/],
  ["compression refused by our server", { wsDeflate: false }, {}, /^$/],
  ["permessage-deflate", {}, {}, /^permessage-deflate/],
  ["permessage-deflate, threshold 0", { wsDeflate: { threshold: 0 } }, { threshold: 0 }, /^permessage-deflate/],
  ["no context takeover both ways", { wsDeflate: { clientNoContextTakeover: true } }, { serverNoContextTakeover: true }, /server_no_context_takeover.*client_no_context_takeover|client_no_context_takeover.*server_no_context_takeover/],
  ["small windows", { wsDeflate: { threshold: 0 } }, { serverMaxWindowBits: 9, clientMaxWindowBits: 10, threshold: 0 }, /server_max_window_bits=9.*client_max_window_bits=10/],
];

for (const [name, ourOpts, theirPmd, extRe] of serverModes) {
  describe(`our server, ws client: ${name}`, () => {
    let srv: ReturnType<typeof echoServer>;
    before(() => { srv = echoServer(ourOpts); });
    after(() => srv.stop());

    it("echoes text and binary messages of many sizes", async () => {
      const ws = await open(`ws://127.0.0.1:${srv.port}/`, { perMessageDeflate: theirPmd });
      assert.match(ws.agreed, extRe);
      const box = inbox(ws);
      const sent: Buffer[] = [];
      for (const n of SIZES) {
        const text = randomBytes(Math.ceil(n / 2)).toString("hex").slice(0, n);
        const bin = Buffer.concat([randomBytes(n >> 1), Buffer.alloc(n - (n >> 1), 7)]);
        ws.send(text); ws.send(bin);
        sent.push(Buffer.from(text), bin);
      }
      await box.wait(sent.length);
      box.msgs.forEach((m, i) => {
        assert.equal(m.binary, i % 2 === 1, `message ${i} type`);
        assert.ok(m.data.equals(sent[i]!), `message ${i} (${sent[i]!.length} bytes)`);
      });
      ws.close();
    });

    it("reassembles fragmented messages from ws", async () => {
      const ws = await open(`ws://127.0.0.1:${srv.port}/`, { perMessageDeflate: theirPmd });
      const box = inbox(ws);
      const parts = ["first part, ".repeat(100), "second ", "third ".repeat(500)];
      ws.send(parts[0], { fin: false });
      ws.send(parts[1], { fin: false });
      ws.send(parts[2], { fin: true });
      await box.wait(1);
      assert.equal(box.msgs[0]!.data.toString(), parts.join(""));
      ws.close();
    });

    it("repeated messages keep decoding across the connection's compression context", async () => {
      const ws = await open(`ws://127.0.0.1:${srv.port}/`, { perMessageDeflate: theirPmd });
      const box = inbox(ws);
      const base = randomBytes(1500).toString("base64");
      for (let i = 0; i < 60; i++) ws.send(`${i}:${base}:${i}`);
      await box.wait(60);
      box.msgs.forEach((m, i) => assert.equal(m.data.toString(), `${i}:${base}:${i}`));
      ws.close();
    });
  });
}

describe("our server, ws client: what goes over the wire", () => {
  let srv: ReturnType<typeof echoServer>;
  before(() => { srv = echoServer({}); });
  after(() => srv.stop());

  async function wireBytes(pmd: PerMessageDeflateOptions | false): Promise<number> {
    const ws = await open(`ws://127.0.0.1:${srv.port}/`, { perMessageDeflate: pmd });
    const box = inbox(ws);
    const base = randomBytes(1500).toString("base64"); // incompressible within one message
    const sock = (ws as unknown as { _socket: import("node:net").Socket })._socket;
    const start = sock.bytesRead;
    for (let i = 0; i < 40; i++) ws.send(base);
    await box.wait(40);
    const n = sock.bytesRead - start;
    ws.close();
    return n;
  }

  it("context takeover: a repeated message costs a few bytes after the first", async () => {
    const plain = await wireBytes(false);
    const takeover = await wireBytes({});
    const reset = await wireBytes({ serverNoContextTakeover: true });
    assert.ok(plain >= 40 * 2000, `uncompressed: ${plain}`);
    assert.ok(takeover < 2000 + 40 * 100, `with context takeover: ${takeover}`);
    assert.ok(reset > 40 * 1000, `without context takeover each message stands alone: ${reset}`);
  });

  it("marks received compressed messages with RSV1 in flags", async () => {
    srv.events.length = 0;
    const ws = await open(`ws://127.0.0.1:${srv.port}/`, { perMessageDeflate: { threshold: 0 } });
    const box = inbox(ws);
    ws.send("compress me please ".repeat(10));
    ws.send("raw", { compress: false });
    await box.wait(2);
    const flags = srv.events.filter((e) => e.ev === "msg").map((e) => e.flags);
    assert.deepEqual(flags, [0xc1, 0x81]);
    ws.close();
  });
});

describe("our server, ws client: control frames and closing", () => {
  let srv: ReturnType<typeof echoServer>;
  before(() => {
    srv = echoServer({}, ([c, ev, data]) => {
      if (ev === 13 /* MG_EV_WS_MSG */ && data.text === "please close") c.wsClose(4002, "server bye");
    });
  });
  after(() => srv.stop());

  it("answers ws pings with pongs carrying the same data", async () => {
    const ws = await open(`ws://127.0.0.1:${srv.port}/`);
    const got = new Promise<Buffer>((r) => ws.once("pong", r));
    ws.ping(Buffer.from("are you there"));
    assert.equal((await got).toString(), "are you there");
    ws.close();
  });

  it("a close from ws: the code and reason reach MG_EV_WS_CTL, and the code is echoed", async () => {
    srv.events.length = 0;
    const ws = await open(`ws://127.0.0.1:${srv.port}/`);
    const closed = new Promise<[number, string]>((r) => ws.once("close", (code, reason) => r([code, reason.toString()])));
    ws.close(4001, "client bye");
    assert.deepEqual((await closed)[0], 4001);
    await waitFor(() => srv.events.some((e) => e.ev === "close"));
    const ctl = srv.events.find((e) => e.ev === "ctl" && e.op === WEBSOCKET_OP_CLOSE && e.data!.length > 2)!;
    assert.equal(ctl.data!.readUInt16BE(0), 4001);
    assert.equal(ctl.data!.subarray(2).toString(), "client bye");
  });

  it("wsClose() from our server reaches ws with its code and reason", async () => {
    const ws = await open(`ws://127.0.0.1:${srv.port}/`);
    const closed = new Promise<[number, string]>((r) => ws.once("close", (code, reason) => r([code, reason.toString()])));
    ws.send("please close");
    assert.deepEqual(await closed, [4002, "server bye"]);
  });
});

const clientModes: [string, WsConnectMode, PerMessageDeflateOptions | false, RegExp][] = [
  ["no compression", { wsDeflate: false }, {}, /^$/],
  ["server without compression", {}, false, /^$/],
  ["permessage-deflate", {}, {}, /^permessage-deflate/],
  ["no context takeover both ways", { wsDeflate: { serverNoContextTakeover: true, threshold: 0 } }, { clientNoContextTakeover: true, threshold: 0 }, /client_no_context_takeover/],
  ["small windows", { wsDeflate: { threshold: 0 } }, { serverMaxWindowBits: 9, clientMaxWindowBits: 9, threshold: 0 }, /client_max_window_bits=9/],
];
type WsConnectMode = import("../../src/index.js").WsConnectOptions;

for (const [name, ourOpts, theirPmd, extRe] of clientModes) {
  describe(`our client, ws server: ${name}`, () => {
    let wss: WebSocketServer;
    let loop: Loop;
    let port = 0;
    before(async () => {
      wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: theirPmd });
      await new Promise((r) => wss.once("listening", r));
      port = (wss.address() as { port: number }).port;
      wss.on("connection", (s) => s.on("message", (m, binary) => s.send(m as Buffer, { binary })));
      loop = startLoop(new Manager());
    });
    after(async () => { await loop.stop(); await new Promise((r) => wss.close(r)); });

    it("echo round trips of many sizes through the ws server", async () => {
      const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${port}/echo`, ourOpts);
      const opened = await cl.next("open");
      assert.match(opened.text!, extRe);
      const sent: [number, Buffer][] = [];
      const base = randomBytes(800).toString("hex");
      for (const n of SIZES) {
        const text = base.repeat(Math.ceil(n / base.length) || 1).slice(0, n);
        const bin = randomBytes(n);
        cl.conn.wsSend(text); cl.conn.wsSend(bin, WEBSOCKET_OP_BINARY);
        sent.push([WEBSOCKET_OP_TEXT, Buffer.from(text)], [WEBSOCKET_OP_BINARY, bin]);
      }
      for (const [op, data] of sent) {
        const m = await cl.next("msg");
        assert.equal(m.op, op);
        assert.ok(m.data!.equals(data), `${data.length} bytes`);
      }
      cl.conn.wsClose();
      await cl.next("close");
      assert.ok(!cl.has("error"), JSON.stringify(cl.events.filter((e) => e.ev === "error")));
    });
  });
}

describe("our client, ws server: handshake options, fragments, control frames", () => {
  let wss: WebSocketServer;
  let loop: Loop;
  let port = 0;
  const seen: { headers: Record<string, unknown>; url: string }[] = [];
  const serverSide: WebSocket[] = [];
  before(async () => {
    wss = new WebSocketServer({ port: 0, host: "127.0.0.1", handleProtocols: (set) => (set.has("v2.chat") ? "v2.chat" : false) });
    await new Promise((r) => wss.once("listening", r));
    port = (wss.address() as { port: number }).port;
    wss.on("connection", (s, req) => { seen.push({ headers: req.headers, url: req.url ?? "" }); serverSide.push(s); });
    loop = startLoop(new Manager());
  });
  after(async () => { await loop.stop(); await new Promise((r) => wss.close(r)); });

  it("sends headers and protocols, and learns the chosen subprotocol", async () => {
    const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${port}/path?q=1`, { headers: { "X-Token": "abc" }, protocols: ["v1.chat", "v2.chat"] });
    await cl.next("open");
    const s = seen.at(-1)!;
    assert.equal(s.url, "/path?q=1");
    assert.equal(s.headers["x-token"], "abc");
    assert.equal(s.headers["sec-websocket-protocol"], "v1.chat, v2.chat");
    assert.equal(serverSide.at(-1)!.protocol, "v2.chat");
    cl.conn.wsClose();
    await cl.next("close");
  });

  it("reassembles fragments, answers pings, and echoes the server's close", async () => {
    const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${port}/`);
    await cl.next("open");
    const s = serverSide.at(-1)!;
    s.send("frag-1 ", { fin: false });
    s.send("frag-2 ", { fin: false });
    s.send("frag-3", { fin: true });
    assert.equal((await cl.next("msg")).data!.toString(), "frag-1 frag-2 frag-3");
    const pong = new Promise<Buffer>((r) => s.once("pong", r));
    s.ping("hi");
    assert.equal((await pong).toString(), "hi");
    assert.equal((await cl.next("ctl")).op, 9);
    const closed = new Promise<number>((r) => s.once("close", (code) => r(code)));
    s.close(4003, "srv");
    const ctl = await cl.next("ctl");
    assert.equal(ctl.op, WEBSOCKET_OP_CLOSE);
    assert.equal(ctl.data!.readUInt16BE(0), 4003);
    assert.equal(ctl.data!.subarray(2).toString(), "srv");
    assert.equal(await closed, 4003);
    await cl.next("close");
  });

  it("wsClose() reaches the ws server with its code and reason", async () => {
    const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${port}/`);
    await cl.next("open");
    const s = serverSide.at(-1)!;
    const closed = new Promise<[number, string]>((r) => s.once("close", (code, reason) => r([code, reason.toString()])));
    cl.conn.wsClose(4004, "cli");
    assert.deepEqual(await closed, [4004, "cli"]);
    await cl.next("close");
    assert.ok(!cl.has("error"));
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
