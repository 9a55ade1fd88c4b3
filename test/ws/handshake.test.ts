// The opening handshake (RFC 6455 section 4): accept key, refusals, subprotocols.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { MG_EV_HTTP_MSG, MG_EV_WS_MSG, MG_EV_WS_OPEN, type Connection } from "../../src/index.js";
import { acceptKey, isValidKey, hasToken } from "../../src/ws/handshake.js";
import { startServer, rawExchange, curl, type TestServer, leakCheckAfterAll } from "../helpers.js";
import { frame, parseFrame } from "./peers.js";

describe("handshake helpers", () => {
  it("computes Sec-WebSocket-Accept as in RFC 6455 section 1.3", () => {
    assert.equal(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });
  it("accepts only keys that are base64 of 16 bytes", () => {
    assert.ok(isValidKey(randomBytes(16).toString("base64")));
    assert.ok(!isValidKey(randomBytes(15).toString("base64")));
    assert.ok(!isValidKey(randomBytes(17).toString("base64")));
    assert.ok(!isValidKey("dGhlIHNhbXBsZSBub25jZQ="));
    assert.ok(!isValidKey("dGhlIHNhbXBsZSBub25j*Q=="));
  });
  it("finds tokens in comma-separated header values", () => {
    assert.ok(hasToken("keep-alive, Upgrade", "upgrade"));
    assert.ok(!hasToken("keep-alive, Upgrade-Insecure", "upgrade"));
    assert.ok(!hasToken(undefined, "upgrade"));
  });
});

describe("server handshake", () => {
  let srv: TestServer;
  const results: { ok: boolean; wasWs: boolean; isWs: boolean }[] = [];
  before(() => {
    srv = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) {
        // Subprotocol negotiation is the application's: pick one the client offered.
        const offered = (data.header("Sec-WebSocket-Protocol") ?? "").split(",").map((s) => s.trim());
        const extra = offered.includes("chat") ? { "Sec-WebSocket-Protocol": "chat" } : undefined;
        const wasWs = c.isWebsocket;
        const ok = c.wsUpgrade(data, extra);
        results.push({ ok, wasWs, isWs: c.isWebsocket });
      } else if (ev === MG_EV_WS_OPEN) {
        c.wsSend(`open ${data.uri} ${data.query}`);
      } else if (ev === MG_EV_WS_MSG) {
        c.wsSend(data.data, data.op);
      }
    });
  });
  after(() => srv.stop());

  const key = "dGhlIHNhbXBsZSBub25jZQ==";
  const good = (over: Record<string, string | undefined> = {}, method = "GET", proto = "HTTP/1.1"): string => {
    const h: Record<string, string | undefined> = {
      Host: "127.0.0.1", Upgrade: "websocket", Connection: "keep-alive, Upgrade", "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13", ...over,
    };
    let s = `${method} /chat?room=1 ${proto}\r\n`;
    for (const [k, v] of Object.entries(h)) if (v !== undefined) s += `${k}: ${v}\r\n`;
    return s + "\r\n";
  };

  it("answers a valid request with 101 and the accept key, then MG_EV_WS_OPEN (isWebsocket set)", async () => {
    const r = await rawExchange(srv.port, good({ Upgrade: "WebSocket" }), { idleMs: 300 });
    const text = r.data.toString("latin1");
    assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(text, /\r\nUpgrade: websocket\r\n/i);
    assert.match(text, /\r\nConnection: Upgrade\r\n/i);
    assert.match(text, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
    const body = r.data.subarray(r.data.indexOf("\r\n\r\n") + 4);
    const f = parseFrame(body);
    assert.ok(f);
    assert.equal(f[0].payload.toString(), "open /chat room=1");
    const last = results.at(-1)!;
    assert.deepEqual(last, { ok: true, wasWs: false, isWs: true });
  });

  it("processes frames that arrive in the same packet as the upgrade request", async () => {
    const r = await rawExchange(srv.port, Buffer.concat([Buffer.from(good()), frame({ op: 1, payload: "early" })]), { idleMs: 300 });
    const body = r.data.subarray(r.data.indexOf("\r\n\r\n") + 4);
    const f1 = parseFrame(body)!;
    const f2 = parseFrame(body.subarray(f1[1]))!;
    assert.equal(f2[0].payload.toString(), "early");
  });

  const refusals: [string, string, number][] = [
    ["POST", good({}, "POST"), 400],
    ["HTTP/1.0", good({}, "GET", "HTTP/1.0"), 400],
    ["no Upgrade", good({ Upgrade: undefined }), 426],
    ["Upgrade: h2c", good({ Upgrade: "h2c" }), 426],
    ["no Connection: Upgrade", good({ Connection: "keep-alive" }), 400],

    ["an empty Host", good({ Host: "" }), 400],
    ["no key", good({ "Sec-WebSocket-Key": undefined }), 400],
    ["short key", good({ "Sec-WebSocket-Key": "c2hvcnQ=" }), 400],
    ["version 8", good({ "Sec-WebSocket-Version": "8" }), 426],
    ["no version", good({ "Sec-WebSocket-Version": undefined }), 426],
  ];
  for (const [name, req, status] of refusals) {
    it(`refuses ${name} with ${status}, Sec-WebSocket-Version: 13, and closes`, async () => {
      const n = results.length;
      const r = await rawExchange(srv.port, req, { idleMs: 2000 });
      const text = r.data.toString("latin1");
      assert.match(text, new RegExp(`^HTTP/1\\.1 ${status} `));
      assert.match(text, /\r\nSec-WebSocket-Version: 13\r\n/);
      if (status === 426) assert.match(text, /\r\nUpgrade: websocket\r\n/);
      assert.ok(r.closed, "connection closed");
      assert.deepEqual(results.slice(n), [{ ok: false, wasWs: false, isWs: false }]);
    });
  }

  it("refuses no Host (RFC 6455 4.2.1, RFC 9112 3.2) with 400 from the HTTP layer, before the handler", async () => {
    const n = results.length;
    const r = await rawExchange(srv.port, good({ Host: undefined }), { idleMs: 2000 });
    assert.match(r.data.toString("latin1"), /^HTTP\/1\.1 400 [\s\S]*without Host/);
    assert.ok(r.closed, "connection closed");
    assert.equal(results.length, n, "the handler never saw it");
  });

  it("a plain browser-style GET (curl) gets 426", async () => {
    const r = await curl(["-i", `${srv.url}/chat`]);
    assert.match(r.stdout, /^HTTP\/1\.1 426 /);
  });

  it("negotiates a subprotocol through extraHeaders (ws client)", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/p`, ["superchat", "chat"]);
    await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
    assert.equal(ws.protocol, "chat");
    const ws2 = new WebSocket(`ws://127.0.0.1:${srv.port}/p`);
    await new Promise((resolve, reject) => { ws2.once("open", resolve); ws2.once("error", reject); });
    assert.equal(ws2.protocol, "");
    ws.close(); ws2.close();
  });

  it("wsSend on a connection that is not a WebSocket throws", () => {
    const c = srv.listener as Connection;
    assert.throws(() => c.wsSend("x"), /not a WebSocket/);
  });
});

describe("argument checks", () => {
  it("wsSend and wsClose refuse what no peer would accept", async () => {
    let checked = false;
    const srv = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
      else if (ev === MG_EV_WS_OPEN) {
        assert.throws(() => c.wsSend("x".repeat(126), 9), /125/);
        assert.throws(() => c.wsSend(Buffer.from([3]), 8), /close payload/);
        assert.throws(() => c.wsSend(Buffer.from([0x03, 0xed]), 8), /close payload/); // 1005 is never sent
        assert.throws(() => c.wsSend("x", 0), /op must be/);
        assert.throws(() => c.wsSend("x", 3), /op must be/);
        assert.throws(() => c.wsClose(1006), /invalid close code/);
        assert.throws(() => c.wsClose(1000, "r".repeat(124)), /123/);
        assert.equal(c.wsSend(""), 2);
        c.wsClose(1000);
        assert.equal(c.wsSend("after close"), 0, "nothing is sent after a close frame");
        checked = true;
      }
    });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`);
      const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
      assert.equal(await closed, 1000);
      assert.ok(checked);
    } finally { await srv.stop(); }
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
