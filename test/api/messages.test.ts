// API.md "Messages": HttpMessage and WsMessage members, and the promise that messages stay
// valid after the handler returns (kept ones are unchanged by later traffic).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import {
  Manager, MG_EV_CONNECT, MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG, MG_EV_WS_MSG, MG_EV_WS_OPEN, MG_EV_WS_CTL,
  WEBSOCKET_OP_BINARY, WEBSOCKET_OP_TEXT, WEBSOCKET_OP_PING, HttpMessage, WsMessage,
} from "../../src/index.js";
import { rawExchange, startLoop, startServer, waitFor, leakCheckAfterAll } from "../helpers.js";

/** What a message says, read through every member API.md names. */
function snapshot(m: HttpMessage): Record<string, unknown> {
  return {
    method: m.method, uri: m.uri, query: m.query, proto: m.proto,
    body: Buffer.from(m.bodyBytes).toString("hex"), bodyText: m.bodyText,
    headers: m.headers(), host: m.header("host"), id: m.queryVar("id"),
    ctype: m.headerVar("Content-Type", "charset"), status: m.status(),
    message: Buffer.from(m.message).toString("hex"),
  };
}

describe("HttpMessage", () => {
  it("method, uri, query, proto, bodyBytes, bodyText, header(name, default), headers(), queryVar, headerVar, status(), message", async () => {
    let msg: HttpMessage | undefined;
    const s = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) { msg = data; c.reply(200, "ok"); }
    });
    const body = "name=Al%20ice&x=1 ünï";
    const req = `POST /api/users/123?id=a%20b&name=foo&flag HTTP/1.1\r\nHost: h.example\r\n` +
      `Content-Type: text/plain; charset=utf-8; boundary="a;b"\r\nX-Dup: one\r\nx-dup: two\r\n` +
      `Cookie: session=abc; theme=dark\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    await rawExchange(s.port, req, { idleMs: 300 });
    await waitFor(() => msg !== undefined, 3000, "request");
    const m = msg!;
    assert.ok(m instanceof HttpMessage);
    assert.equal(m.method, "POST");
    assert.equal(m.uri, "/api/users/123");
    assert.equal(m.query, "id=a%20b&name=foo&flag");
    assert.equal(m.proto, "HTTP/1.1");
    assert.ok(Buffer.isBuffer(m.bodyBytes));
    assert.equal(m.bodyBytes.toString(), body);
    assert.equal(m.bodyText, body);
    assert.equal(m.header("content-type"), 'text/plain; charset=utf-8; boundary="a;b"');
    assert.equal(m.header("CONTENT-TYPE"), m.header("Content-Type"), "case-insensitive");
    assert.equal(m.header("X-Missing"), undefined);
    assert.equal(m.header("X-Missing", "fallback"), "fallback");
    assert.equal(m.header("Host", "fallback"), "h.example");
    assert.equal(m.header("X-Dup"), "one", "the first of repeated headers");
    const hs = m.headers();
    assert.ok(Array.isArray(hs) && hs.every((h) => Array.isArray(h) && h.length === 2));
    assert.deepEqual(hs.map(([n]) => n), ["Host", "Content-Type", "X-Dup", "x-dup", "Cookie", "Content-Length"]);
    assert.deepEqual(hs[2], ["X-Dup", "one"]);
    assert.equal(m.queryVar("id"), "a b", "URL-decoded");
    assert.equal(m.queryVar("name"), "foo");
    assert.equal(m.queryVar("flag"), "");
    assert.equal(m.queryVar("nope"), undefined);
    assert.equal(m.headerVar("Content-Type", "charset"), "utf-8");
    assert.equal(m.headerVar("Content-Type", "boundary"), "a;b");
    assert.equal(m.headerVar("Cookie", "theme"), "dark");
    assert.equal(m.headerVar("Cookie", "nope"), undefined);
    assert.equal(m.headerVar("X-Missing", "a"), undefined);
    assert.equal(m.status(), undefined, "requests have no status");
    assert.ok(Buffer.isBuffer(m.message));
    assert.equal(m.message.toString(), req, "message is the raw bytes");
    await s.stop();
  });

  it("a chunked request body is decoded into bodyBytes; HTTP/1.0 proto; no query gives empty strings", async () => {
    const got: HttpMessage[] = [];
    const s = startServer((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) { got.push(data); c.reply(200, "ok"); } });
    await rawExchange(s.port, "PUT /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n", { idleMs: 300 });
    await rawExchange(s.port, "GET /old HTTP/1.0\r\n\r\n", { idleMs: 300 });
    await waitFor(() => got.length === 2, 3000, "two requests");
    assert.equal(got[0]!.bodyText, "abcdefg");
    assert.equal(got[1]!.proto, "HTTP/1.0");
    assert.equal(got[1]!.query, "");
    assert.equal(got[1]!.bodyBytes.length, 0);
    assert.equal(got[1]!.bodyText, "");
    await s.stop();
  });

  it("responses on a client: status(), proto, headers and body; MG_EV_HTTP_HDRS comes before MG_EV_HTTP_MSG", async () => {
    const server = net.createServer((sock) => {
      sock.once("data", () => sock.end("HTTP/1.1 404 Not Found\r\nX-A: 1\r\nContent-Length: 4\r\n\r\nnope"));
    }).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const m = new Manager();
    const order: string[] = [];
    let res: HttpMessage | undefined;
    m.connect(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, (c, ev, data) => {
      if (ev === MG_EV_CONNECT) c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      if (ev === MG_EV_HTTP_HDRS) order.push(`hdrs:${data.status()}`);
      if (ev === MG_EV_HTTP_MSG) { order.push("msg"); res = data; }
    });
    const loop = startLoop(m);
    await waitFor(() => res !== undefined, 3000, "response");
    assert.equal(res!.status(), 404);
    assert.equal(res!.header("x-a"), "1");
    assert.equal(res!.bodyText, "nope");
    assert.deepEqual(order, ["hdrs:404", "msg"]);
    await loop.stop();
    server.close();
  });

  it("a kept message stays valid and unchanged while the connection carries more traffic", async () => {
    const kept: HttpMessage[] = [];
    const snaps: Record<string, unknown>[] = [];
    let laterSnap: Record<string, unknown> | undefined;
    const s = startServer((c, ev, data) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      kept.push(data);
      snaps.push(snapshot(data));
      // Read it again from later, async code, after other requests on this connection.
      if (kept.length === 3) setTimeout(() => { laterSnap = snapshot(kept[0]!); }, 0);
      c.reply(200, `n=${kept.length}`);
    });
    const sock = net.connect(s.port, "127.0.0.1");
    await new Promise((r) => sock.once("connect", r));
    let received = "";
    sock.on("data", (d) => { received += d.toString(); });
    const bodies = ["first-body-ääää", "SECOND BODY WITH DIFFERENT BYTES AND LONGER", "3"];
    for (let i = 0; i < bodies.length; i++) {
      const b = bodies[i]!;
      sock.write(`POST /r${i}?id=${i} HTTP/1.1\r\nHost: h${i}\r\nContent-Type: text/plain; charset=c${i}\r\nContent-Length: ${Buffer.byteLength(b)}\r\n\r\n${b}`);
      await waitFor(() => received.includes(`n=${i + 1}`), 3000, `response ${i + 1}`);
    }
    await waitFor(() => laterSnap !== undefined, 3000, "later read");
    for (let i = 0; i < kept.length; i++) assert.deepEqual(snapshot(kept[i]!), snaps[i], `message ${i} unchanged`);
    assert.deepEqual(laterSnap, snaps[0]);
    assert.equal(kept[0]!.bodyText, bodies[0]);
    assert.equal(kept[0]!.uri, "/r0");
    assert.equal(kept[0]!.header("Host"), "h0");
    assert.equal(kept[0]!.headerVar("Content-Type", "charset"), "c0");
    sock.destroy();
    await s.stop();
  });

  it("messages kept from MG_EV_HTTP_HDRS and MG_EV_HTTP_MSG survive pipelined requests in one packet", async () => {
    const kept: HttpMessage[] = [];
    const hdrs: HttpMessage[] = [];
    const order: string[] = [];
    const s = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_HDRS) { hdrs.push(data); order.push(`hdrs${data.uri}`); }
      if (ev === MG_EV_HTTP_MSG) { kept.push(data); order.push(`msg${data.uri}`); c.reply(200, data.uri); }
    });
    const reqs = Array.from({ length: 5 }, (_, i) => `GET /p${i}?q=${"x".repeat(i)} HTTP/1.1\r\nHost: x\r\nX-N: ${i}\r\n\r\n`).join("");
    await rawExchange(s.port, reqs, { idleMs: 300 });
    await waitFor(() => kept.length === 5, 3000, "5 requests");
    for (const list of [kept, hdrs]) {
      list.forEach((m, i) => {
        assert.equal(m.uri, `/p${i}`);
        assert.equal(m.header("X-N"), String(i));
        assert.equal(m.queryVar("q"), "x".repeat(i));
      });
    }
    assert.deepEqual(order.slice(0, 2), ["hdrs/p0", "msg/p0"], "HTTP_HDRS before HTTP_MSG");
    await s.stop();
  });
});

describe("WsMessage", () => {
  it("data (Buffer), text, flags and op for text, binary and ping from a ws server", async () => {
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await new Promise((r) => wss.once("listening", r));
    wss.on("connection", (sock) => {
      sock.send("héllo");
      sock.send(Buffer.from([0, 1, 2, 255]), { binary: true });
      sock.ping("pp");
    });
    const m = new Manager();
    const msgs: WsMessage[] = [];
    const ctls: WsMessage[] = [];
    m.wsConnect(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, (_c, ev, data) => {
      if (ev === MG_EV_WS_OPEN) void data;
      if (ev === MG_EV_WS_MSG) msgs.push(data);
      if (ev === MG_EV_WS_CTL) ctls.push(data);
    });
    const loop = startLoop(m);
    await waitFor(() => msgs.length === 2 && ctls.length >= 1, 5000, "messages");
    const [t, b] = msgs as [WsMessage, WsMessage];
    assert.ok(t instanceof WsMessage);
    assert.equal(t.op, WEBSOCKET_OP_TEXT);
    assert.ok(Buffer.isBuffer(t.data));
    assert.equal(t.text, "héllo");
    assert.equal(t.data.toString(), "héllo");
    assert.equal(typeof t.flags, "number");
    assert.equal(t.flags & 0x0f, WEBSOCKET_OP_TEXT, "flags carry the opcode, as in Mongoose");
    assert.equal(b.op, WEBSOCKET_OP_BINARY);
    assert.deepEqual([...b.data], [0, 1, 2, 255]);
    const ping = ctls.find((x) => x.op === WEBSOCKET_OP_PING);
    assert.ok(ping, "ping reported as MG_EV_WS_CTL");
    assert.equal(ping.text, "pp");
    // Kept messages stay valid.
    assert.equal(msgs[0]!.text, "héllo");
    await loop.stop();
    wss.close();
  });

  it("messages from a browser-style client (the ws package) to a server; kept ones are unchanged by later frames", async () => {
    const got: WsMessage[] = [];
    const s = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
      if (ev === MG_EV_WS_MSG) { got.push(data); c.wsSend(`ack${got.length}`); }
    });
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/`);
    let acks = 0;
    ws.on("message", () => { acks++; });
    await new Promise((r) => ws.once("open", r));
    ws.send("first message");
    ws.send(Buffer.from("SECOND"), { binary: true });
    ws.send("third, longer than the first one");
    await waitFor(() => acks === 3, 5000, "acks");
    assert.deepEqual(got.map((x) => [x.op, x.text]), [
      [WEBSOCKET_OP_TEXT, "first message"], [WEBSOCKET_OP_BINARY, "SECOND"], [WEBSOCKET_OP_TEXT, "third, longer than the first one"],
    ]);
    ws.close();
    await s.stop();
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
