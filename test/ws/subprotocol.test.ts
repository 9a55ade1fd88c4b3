// Subprotocol negotiation (RFC 6455 sections 4.1 and 4.2.2): the server's wsProtocols
// option (a list or a selector), conn.wsProtocol on both sides, the request grammar,
// and interoperability with `ws` and python3-websockets in both directions.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket, { WebSocketServer } from "ws";
import {
  Manager, MG_EV_HTTP_MSG, MG_EV_WS_MSG, MG_EV_WS_OPEN, type Connection, type ConnectionOptions, type EventHandler,
} from "../../src/index.js";
import { RecordingClient } from "./peers.js";
import { offeredProtocols, checkUpgradeRequest, headerIn } from "../../src/ws/handshake.js";
import { HttpMessage } from "../../src/http/message.js";
import { parseHead, headOf } from "../../src/http/parser.js";
import { rawExchange, run, startLoop, startServer, type Loop, type TestServer, leakCheckAfterAll } from "../helpers.js";
import { Child } from "../examples/spawn.js";

const PY = "/usr/bin/python3";

/** A server that upgrades every request and echoes "<protocol>:<message>"; remembers each connection's wsProtocol. */
function protoServer(opts: ConnectionOptions, extra?: (msg: HttpMessage) => Record<string, string> | undefined): TestServer & { chosen: string[] } {
  const chosen: string[] = [];
  const handler: EventHandler = (c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data, extra?.(data));
    else if (ev === MG_EV_WS_OPEN) chosen.push(c.wsProtocol);
    else if (ev === MG_EV_WS_MSG) c.wsSend(`${c.wsProtocol}:${data.text}`);
  };
  return Object.assign(startServer(handler, opts), { chosen });
}

/** Parses a request head into an HttpMessage (for the grammar table). */
function request(headers: string): HttpMessage {
  const raw = Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n`);
  const h = parseHead(raw, false, 65536, 100);
  if (typeof h === "number" || !("hdr" in h)) throw new Error("test request did not parse");
  return new HttpMessage(h.method, h.uri, h.query, h.proto, raw.subarray(h.skip, h.headLen), Buffer.alloc(0), headOf(h), h.hdr, false);
}

describe("Sec-WebSocket-Protocol grammar (1#token, unique)", () => {
  // [request header lines, expected offered list or undefined for a 400]
  const rows: [string, string[] | undefined][] = [
    ["", []],
    ["Sec-WebSocket-Protocol: chat\r\n", ["chat"]],
    ["Sec-WebSocket-Protocol: chat, superchat\r\n", ["chat", "superchat"]],
    ["Sec-WebSocket-Protocol: chat,superchat\r\n", ["chat", "superchat"]],
    ["Sec-WebSocket-Protocol: a\r\nSec-WebSocket-Protocol: b, c\r\n", ["a", "b", "c"]],
    ["Sec-WebSocket-Protocol: v1.mqtt~x!#$%&'*+-^_`|\r\n", ["v1.mqtt~x!#$%&'*+-^_`|"]],
    ["Sec-WebSocket-Protocol: \r\n", undefined],
    ["Sec-WebSocket-Protocol: chat,\r\n", undefined],
    ["Sec-WebSocket-Protocol: chat,, x\r\n", undefined],
    ["Sec-WebSocket-Protocol: chat, chat\r\n", undefined],
    ["Sec-WebSocket-Protocol: a\r\nSec-WebSocket-Protocol: a\r\n", undefined],
    ["Sec-WebSocket-Protocol: ch at\r\n", undefined],
    ["Sec-WebSocket-Protocol: chat/1\r\n", undefined],
    ["Sec-WebSocket-Protocol: \"chat\"\r\n", undefined],
    ["Sec-WebSocket-Protocol: a;b\r\n", undefined],
  ];
  for (const [lines, want] of rows) {
    it(JSON.stringify(lines), () => {
      const msg = request(lines);
      assert.deepEqual(offeredProtocols(msg), want);
      const refusal = checkUpgradeRequest(msg);
      if (want === undefined) assert.deepEqual(refusal, { status: 400, reason: "invalid Sec-WebSocket-Protocol" });
      else assert.equal(refusal, undefined);
    });
  }

  it("headerIn finds a header in formatted lines, any case, and only a whole name", () => {
    assert.equal(headerIn("X-A: 1\r\nsec-websocket-PROTOCOL:  chat \r\n", "sec-websocket-protocol"), "chat");
    assert.equal(headerIn("Sec-WebSocket-Protocols: chat\r\n", "sec-websocket-protocol"), undefined);
    assert.equal(headerIn("", "sec-websocket-protocol"), undefined);
  });
});

describe("option wsProtocols is checked where it is given", () => {
  for (const bad of [["ok", "a b"], [""], "chat", [1], 5, { chat: true }] as unknown[]) {
    it(`listen refuses ${JSON.stringify(bad)}`, () => {
      const m = new Manager();
      assert.throws(() => m.listen("ws://127.0.0.1:0", { wsProtocols: bad as string[] }), (e: Error & { code?: string }) => e.code === "ERR_INVALID_OPTION" && /wsProtocols/.test(e.message));
      return m.close();
    });
  }
});

describe("our server selects a subprotocol", () => {
  const servers: TestServer[] = [];
  after(async () => { for (const s of servers) await s.stop(); });
  const srv = (opts: ConnectionOptions, extra?: (msg: HttpMessage) => Record<string, string> | undefined): ReturnType<typeof protoServer> => {
    const s = protoServer(opts, extra); servers.push(s); return s;
  };

  /** Opens a ws client offering `protocols`; resolves with what it agreed and the first echo. */
  async function wsClient(port: number, protocols: string[]): Promise<{ protocol: string; header: string | undefined; echo: string }> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, protocols);
    let header: string | undefined;
    ws.once("upgrade", (res) => { const h = res.headers["sec-websocket-protocol"]; header = typeof h === "string" ? h : undefined; });
    await new Promise<void>((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
    ws.send("hi");
    const echo = await new Promise<string>((resolve) => ws.once("message", (d) => resolve(String(d))));
    ws.close();
    await new Promise((r) => ws.once("close", r));
    return { protocol: ws.protocol, header, echo };
  }

  it("a list: the first protocol the client offers that the list has (the client's preference)", async () => {
    const s = srv({ wsProtocols: ["mqtt", "chat", "superchat"] });
    const r = await wsClient(s.port, ["unknown", "superchat", "chat"]);
    assert.deepEqual(r, { protocol: "superchat", header: "superchat", echo: "superchat:hi" });
    assert.deepEqual(s.chosen, ["superchat"]);
  });

  it("a selector gets the offered list and the request, and its choice is answered", async () => {
    const seen: [string[], string][] = [];
    const s = srv({ wsProtocols: (offered, msg) => { seen.push([offered, msg.uri]); return offered[offered.length - 1]; } });
    const r = await wsClient(s.port, ["a", "b", "c"]);
    assert.deepEqual(r, { protocol: "c", header: "c", echo: "c:hi" });
    assert.deepEqual(seen, [[["a", "b", "c"], "/"]]);
  });

  it("no protocol offered: the selector is not asked and the 101 has no Sec-WebSocket-Protocol", async () => {
    let asked = 0;
    const s = srv({ wsProtocols: () => { asked++; return undefined; } });
    const r = await wsClient(s.port, []);
    assert.deepEqual(r, { protocol: "", header: undefined, echo: ":hi" });
    assert.equal(asked, 0);
  });

  it("only unacceptable protocols offered: 101 without Sec-WebSocket-Protocol (RFC 6455 section 4.2.2), wsProtocol is empty", async () => {
    const s = srv({ wsProtocols: ["chat"] });
    const key = "dGhlIHNhbXBsZSBub25jZQ==";
    const r = await rawExchange(s.port, `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt, wamp\r\n\r\n`, { idleMs: 300 });
    const head = r.data.toString("latin1");
    assert.match(head, /^HTTP\/1\.1 101 /);
    assert.doesNotMatch(head, /sec-websocket-protocol/i);
    assert.deepEqual(s.chosen, [""]);
  });

  it("no wsProtocols option: nothing is chosen, even when protocols are offered", async () => {
    const s = srv({});
    const r = await rawExchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n\r\n", { idleMs: 300 });
    assert.match(r.data.toString("latin1"), /^HTTP\/1\.1 101 /);
    assert.doesNotMatch(r.data.toString("latin1"), /sec-websocket-protocol/i);
  });

  it("an invalid Sec-WebSocket-Protocol list is refused with 400", async () => {
    const s = srv({ wsProtocols: ["chat"] });
    const r = await rawExchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, chat\r\n\r\n", { idleMs: 500 });
    assert.match(r.data.toString("latin1"), /^HTTP\/1\.1 400 /);
    assert.deepEqual(s.chosen, []);
  });

  it("a selector that returns a protocol the client did not offer is a handler error (500, no upgrade)", async () => {
    const m = new Manager(undefined, { errorHandler: () => { /* expected */ } });
    const chosen: string[] = [];
    m.listen("http://127.0.0.1:0", (c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
      else if (ev === MG_EV_WS_OPEN) chosen.push(c.wsProtocol);
    }, { wsProtocols: () => "never-offered" });
    const loop = startLoop(m);
    try {
      const port = m.connections.find((c) => c.isListening)!.localAddr.port;
      const r = await rawExchange(port, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n\r\n", { idleMs: 500 });
      assert.match(r.data.toString("latin1"), /^HTTP\/1\.1 500 /);
      assert.deepEqual(chosen, []);
    } finally { await loop.stop(); }
  });

  it("an application that answers through extraHeaders has chosen: wsProtocol reports it, the option is not asked", async () => {
    let asked = 0;
    const s = srv({ wsProtocols: () => { asked++; return "b"; } }, () => ({ "Sec-WebSocket-Protocol": "a" }));
    const r = await wsClient(s.port, ["a", "b"]);
    assert.deepEqual(r, { protocol: "a", header: "a", echo: "a:hi" });
    assert.equal(asked, 0);
  });
});

describe("our client offers subprotocols and sees the chosen one", () => {
  let loop: Loop;
  let wss: WebSocketServer;
  let wssPort = 0;
  const handled: string[][] = [];
  before(async () => {
    loop = startLoop(new Manager());
    wss = new WebSocketServer({
      host: "127.0.0.1", port: 0,
      handleProtocols: (protocols) => { handled.push([...protocols]); return protocols.has("chat") ? "chat" : false; },
    });
    await new Promise<void>((r) => wss.once("listening", () => r()));
    wssPort = (wss.address() as { port: number }).port;
    wss.on("connection", (ws) => ws.on("message", (d) => ws.send(`${ws.protocol}:${String(d)}`)));
  });
  after(async () => {
    await loop.stop();
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  });

  it("against ws with handleProtocols: the server's choice is conn.wsProtocol", async () => {
    const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${wssPort}/`, { protocols: ["superchat", "chat"] });
    await cl.next("open");
    assert.equal(cl.conn.wsProtocol, "chat");
    cl.conn.wsSend("x");
    assert.equal((await cl.next("msg")).data!.toString(), "chat:x");
    assert.deepEqual(handled.at(-1), ["superchat", "chat"]);
    cl.conn.wsClose();
    await cl.next("close");
  });

  it("against ws choosing none: the connection opens with wsProtocol empty", async () => {
    const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${wssPort}/`, { protocols: ["mqtt"] });
    await cl.next("open");
    assert.equal(cl.conn.wsProtocol, "");
    cl.conn.wsClose();
    await cl.next("close");
  });

  it("against our own server: both ends agree", async () => {
    const s = protoServer({ wsProtocols: ["v2", "v1"] });
    try {
      const cl = new RecordingClient(loop.manager, `${s.url.replace("http", "ws")}/`, { protocols: ["v1", "v2"] });
      await cl.next("open");
      assert.equal(cl.conn.wsProtocol, "v1");
      cl.conn.wsSend("y");
      assert.equal((await cl.next("msg")).data!.toString(), "v1:y");
      assert.deepEqual(s.chosen, ["v1"]);
      cl.conn.wsClose();
      await cl.next("close");
    } finally { await s.stop(); }
  });

  it("wsProtocol is empty on a connection that is not a WebSocket", () => {
    const c: Connection = loop.manager.connect("tcp://127.0.0.1:1");
    assert.equal(c.wsProtocol, "");
    c.close();
  });
});

describe("python3-websockets", () => {
  const CLIENT = String.raw`
import asyncio, json, sys, websockets
async def main(uri):
    async with websockets.connect(uri, subprotocols=sys.argv[2].split(",")) as ws:
        await ws.send("hi")
        echo = await ws.recv()
        print(json.dumps({"subprotocol": ws.subprotocol, "echo": echo}))
asyncio.run(main(sys.argv[1]))
`;
  const SERVER = String.raw`
import asyncio, websockets
async def handler(ws, *args):
    async for m in ws:
        await ws.send("%s:%s" % (ws.subprotocol, m))
async def main():
    async with websockets.serve(handler, "127.0.0.1", 0, subprotocols=["chat", "superchat"]) as server:
        print("port %d" % server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
`;

  it("a python client with subprotocols=[...] gets our server's choice", async () => {
    const s = protoServer({ wsProtocols: ["superchat"] });
    try {
      const r = await run(PY, ["-c", CLIENT, `ws://127.0.0.1:${s.port}/`, "chat,superchat"], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { subprotocol: "superchat", echo: "superchat:hi" });
      assert.deepEqual(s.chosen, ["superchat"]);
    } finally { await s.stop(); }
  });

  it("a python client offering only what we do not accept still connects, without a subprotocol", async () => {
    const s = protoServer({ wsProtocols: ["superchat"] });
    try {
      const r = await run(PY, ["-c", CLIENT, `ws://127.0.0.1:${s.port}/`, "mqtt"], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { subprotocol: null, echo: ":hi" });
    } finally { await s.stop(); }
  });

  it("our client against a python server with subprotocols=[...]", async () => {
    const py = new Child(PY, ["-c", SERVER]);
    const loop = startLoop(new Manager());
    try {
      const port = Number((await py.waitFor(/port (\d+)/, 15_000))[1]);
      const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${port}/`, { protocols: ["superchat"] });
      await cl.next("open", 10_000);
      assert.equal(cl.conn.wsProtocol, "superchat");
      cl.conn.wsSend("z");
      assert.equal((await cl.next("msg")).data!.toString(), "superchat:z");
      cl.conn.wsClose();
      await cl.next("close");
    } finally { await loop.stop(); await py.stop(); }
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
