// One connection lifecycle for every protocol: drain() closes without waiting for the
// peer, sending on a closed or closing connection throws with a code, one reply per
// request, a throwing handler gets its peer an error answer, options are checked where
// they are given, and errors carry stable codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { WebSocket } from "ws";
import {
  Manager, MgError, MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_MQTT_MSG,
  MG_EV_MQTT_OPEN, MG_EV_MQTT_CMD, MG_EV_READ, MG_EV_WS_MSG, MG_EV_WS_OPEN, MQTT_CMD_CONNECT, MQTT_CMD_DISCONNECT,
  type Connection,
} from "../../src/index.js";
import { rawExchange, startLoop, startServer, waitFor, leakCheckAfterAll } from "../helpers.js";

const quiet = { errorHandler: () => { /* the tests throw on purpose */ } };

function codeOf(fn: () => unknown): string {
  try { fn(); } catch (e) { return (e as { code?: string }).code ?? "(no code)"; }
  return "(no throw)";
}

test("drain(): the socket closes once the queue is written, without waiting for a half-open peer", async () => {
  let closedAt = 0;
  const s = startServer((c, ev, _d) => {
    if (ev === MG_EV_READ) { c.recvConsume(); c.send("bye"); c.drain(); }
    if (ev === MG_EV_CLOSE && !c.isListening) closedAt = Date.now();
  }, {}, "tcp");
  // A peer that sends, half-closes nothing and never closes: only our side may end it.
  const sock = net.connect(s.port, "127.0.0.1");
  let got = "";
  let ended = false;
  sock.on("data", (d) => { got += d.toString(); });
  sock.on("end", () => { ended = true; });
  await new Promise<void>((r) => sock.once("connect", () => r()));
  sock.write("x");
  await waitFor(() => closedAt !== 0 && ended, 5000, "server-side close after drain");
  assert.equal(got, "bye");
  sock.destroy();
  await s.stop();
});

test("sending on a closed or closing connection throws ERR_CONN_CLOSED, for every protocol", async () => {
  const codes: Record<string, string> = {};
  const s = startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG && data.uri === "/ws") { c.wsUpgrade(data); return; }
    if (ev === MG_EV_HTTP_MSG) {
      c.reply(200, "ok");
      c.close();
      codes.send = codeOf(() => c.send("x"));
      codes.reply = codeOf(() => c.reply(200, "again"));
      codes.httpChunk = codeOf(() => c.httpChunk("x"));
      codes.httpSse = codeOf(() => c.httpSse("e", "x"));
      codes.replyJson = codeOf(() => c.replyJson({}));
    }
    if (ev === MG_EV_WS_OPEN) {
      c.close();
      codes.wsSend = codeOf(() => c.wsSend("x"));
    }
  });
  await rawExchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws`);
  await new Promise<void>((r) => { ws.on("close", () => r()); ws.on("error", () => r()); });
  await waitFor(() => codes.wsSend !== undefined, 5000, "ws");
  await s.stop();
  assert.deepEqual(codes, {
    send: "ERR_CONN_CLOSED", reply: "ERR_CONN_CLOSED", httpChunk: "ERR_CONN_CLOSED", httpSse: "ERR_CONN_CLOSED",
    replyJson: "ERR_CONN_CLOSED", wsSend: "ERR_CONN_CLOSED",
  });
});

test("mqttPub on a closed MQTT connection throws ERR_CONN_CLOSED", async () => {
  const m = new Manager(undefined, quiet);
  const srv = m.mqttListen("mqtt://127.0.0.1:0", (c, ev, data) => {
    if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_CONNECT) c.mqttConnack(0);
  });
  const loop = startLoop(m);
  let code = "";
  let done = false;
  m.mqttConnect(`mqtt://127.0.0.1:${srv.localAddr.port}`, (c, ev, _d) => {
    if (ev === MG_EV_MQTT_OPEN) { c.close(); code = codeOf(() => c.mqttPub("t", "x")); }
    if (ev === MG_EV_CLOSE) done = true;
  });
  await waitFor(() => done, 5000, "mqtt close");
  await loop.stop();
  assert.equal(code, "ERR_CONN_CLOSED");
});

test("a second reply() to one request throws ERR_HTTP_STATE; the client sees one response", async () => {
  let second = "";
  const s = startServer((c, ev, _d) => {
    if (ev === MG_EV_HTTP_MSG) {
      c.reply(200, "one");
      second = codeOf(() => c.reply(200, "two"));
    }
  });
  const { data } = await rawExchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 300 });
  await s.stop();
  assert.equal(second, "ERR_HTTP_STATE");
  const text = data.toString();
  assert.equal(text.split("HTTP/1.1 200").length - 1, 2, "one response per request");
  assert.ok(!text.includes("two"));
});

test("an async reply() after the request was answered throws; before, it works", async () => {
  const held: Connection[] = [];
  const s = startServer((c, ev, _d) => { if (ev === MG_EV_HTTP_MSG) held.push(c); });
  const res = rawExchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 300 });
  await waitFor(() => held.length === 1, 5000, "request");
  held[0]!.reply(200, "later");
  assert.equal(codeOf(() => held[0]!.reply(200, "again")), "ERR_HTTP_STATE");
  const { data } = await res;
  await s.stop();
  assert.match(data.toString(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nlater$/);
});

test("a handler that throws on a request: the client gets 500 and a close; errorHandler gets the error", async () => {
  const errors: unknown[] = [];
  const m = new Manager((_c, ev, _d) => { if (ev === MG_EV_HTTP_MSG) throw new Error("boom"); }, { errorHandler: (e) => errors.push(e) });
  const l = m.listen("http://127.0.0.1:0");
  const loop = startLoop(m);
  const { data, closed } = await rawExchange(l.localAddr.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 2000 });
  await loop.stop();
  assert.match(data.toString(), /^HTTP\/1\.1 500 Internal Server Error\r\n/);
  assert.match(data.toString(), /\r\nConnection: close\r\n/);
  assert.equal(closed, true);
  assert.equal((errors[0] as Error).message, "boom");
});

test("a handler that throws after replying: the response stands, the connection closes", async () => {
  const m = new Manager((c, ev, _d) => { if (ev === MG_EV_HTTP_MSG) { c.reply(200, "fine"); throw new Error("late"); } }, quiet);
  const l = m.listen("http://127.0.0.1:0");
  const loop = startLoop(m);
  const { data, closed } = await rawExchange(l.localAddr.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 2000 });
  await loop.stop();
  assert.match(data.toString(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*fine$/);
  assert.equal(closed, true);
});

test("a handler that throws on a WebSocket message: the peer gets close 1011", async () => {
  const m = new Manager((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
    if (ev === MG_EV_WS_MSG) throw new Error("boom");
  }, quiet);
  const l = m.listen("http://127.0.0.1:0");
  const loop = startLoop(m);
  const ws = new WebSocket(`ws://127.0.0.1:${l.localAddr.port}/`);
  ws.on("open", () => ws.send("hi"));
  const code = await new Promise<number>((r) => ws.on("close", (c) => r(c)));
  await loop.stop();
  assert.equal(code, 1011);
});

test("a handler that throws on an MQTT 5 PUBLISH: DISCONNECT 0x83, then close", async () => {
  const m = new Manager(undefined, quiet);
  const srv = m.mqttListen("mqtt://127.0.0.1:0", (c, ev, data) => {
    if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_CONNECT) c.mqttConnack(0);
    if (ev === MG_EV_MQTT_MSG) throw new Error("boom");
  });
  const loop = startLoop(m);
  let reason = -1;
  let closed = false;
  m.mqttConnect(`mqtt://127.0.0.1:${srv.localAddr.port}`, (c, ev, data) => {
    if (ev === MG_EV_MQTT_OPEN) c.mqttPub("t", "x");
    if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_DISCONNECT) reason = data.ack;
    if (ev === MG_EV_CLOSE) closed = true;
  }, { version: 5 });
  await waitFor(() => closed, 5000, "client closed");
  await loop.stop();
  assert.equal(reason, 0x83);
});

test("a response to Connection: close or HTTP/1.0 carries Connection: close once", async () => {
  const s = startServer((c, ev, _d) => { if (ev === MG_EV_HTTP_MSG) { c.reply(200, "x"); c.drain(); } });
  for (const req of ["GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "GET / HTTP/1.0\r\n\r\n"]) {
    const { data } = await rawExchange(s.port, req, { idleMs: 2000 });
    const n = data.toString().split(/\r\nConnection: close\r\n/i).length - 1;
    assert.equal(n, 1, `${JSON.stringify(req)}: ${JSON.stringify(data.toString())}`);
  }
  await s.stop();
});

test("bytes after a request that closes the connection are not parsed as requests", async () => {
  let n = 0;
  const s = startServer((c, ev, _d) => { if (ev === MG_EV_HTTP_MSG) { n++; c.reply(200, "x"); } });
  const { data } = await rawExchange(s.port, "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 1000 });
  await s.stop();
  assert.equal(n, 1);
  assert.equal(data.toString().split("HTTP/1.1 200").length - 1, 1);
});

test("options are checked where they are given, naming the option", () => {
  const m = new Manager();
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["http://127.0.0.1:0", { maxHeaderSize: -5 }, /option maxHeaderSize must be a positive integer, got -5/],
    ["http://127.0.0.1:0", { maxBodySize: "big" }, /option maxBodySize/],
    ["http://127.0.0.1:0", { idleTimeoutMs: 1.5 }, /option idleTimeoutMs/],
    ["ws://127.0.0.1:0", { wsMaxMessageSize: 0 }, /option wsMaxMessageSize/],
    ["ws://127.0.0.1:0", { wsSendQueuePolicy: "block" }, /option wsSendQueuePolicy must be "close" or "drop"/],
    ["tcp://127.0.0.1:0", { maxRecvSize: -1 }, /option maxRecvSize/],
    ["mqtt://127.0.0.1:0", { mqttMaxPacketSize: 1 }, /option mqttMaxPacketSize/],
    ["http://127.0.0.1:0", { http: "yes" }, /option http must be true or false/],
  ];
  for (const [url, o, re] of bad) {
    assert.throws(() => m.listen(url, o), (e: unknown) => e instanceof MgError && e.code === "ERR_INVALID_OPTION" && re.test(e.message), `${url} ${JSON.stringify(o)}`);
  }
  assert.throws(() => m.connect("http://127.0.0.1:1", { maxHeaders: 0 }), { code: "ERR_INVALID_OPTION" });
  assert.throws(() => m.wsConnect("ws://127.0.0.1:1", { handshakeTimeoutMs: -1 }), { code: "ERR_INVALID_OPTION" });
  assert.throws(() => m.mqttConnect("mqtt://127.0.0.1:1", { keepAlive: 70000 }), { code: "ERR_INVALID_OPTION" });
  assert.throws(() => m.listen("gopher://127.0.0.1:0"), { code: "ERR_INVALID_URL" });
  assert.throws(() => m.listen("127.0.0.1:0"), { code: "ERR_INVALID_URL" });
  assert.equal(m.connections.length, 0, "nothing is left behind by a refused call");
});

test("errors carry codes: lastError on MG_EV_ERROR, and bind failures", async () => {
  const m = new Manager(undefined, quiet);
  const l = m.listen("tcp://127.0.0.1:0");
  assert.throws(() => m.listen(`tcp://127.0.0.1:${l.localAddr.port}`), { code: "ERR_BIND" });
  const loop = startLoop(m);
  // A port nobody listens on: connect fails.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  let code = "";
  let msg = "";
  m.connect(`tcp://127.0.0.1:${port}`, (c, ev, data) => {
    if (ev === MG_EV_ERROR) { msg = data; code = c.lastError?.code ?? ""; }
  });
  await waitFor(() => code !== "", 5000, "connect error");
  assert.equal(code, "ERR_CONNECT");
  assert.match(msg, /ECONNREFUSED/);
  // An HTTP parse failure carries the status answered.
  let status = 0;
  const s = startServer((c, ev, _d) => { if (ev === MG_EV_ERROR) status = c.lastError?.status ?? -1; });
  await rawExchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n", { idleMs: 1000 });
  await waitFor(() => status !== 0, 5000, "parse error");
  assert.equal(status, 400);
  await s.stop();
  await loop.stop();
});

test("shutdown: a request being answered when close() starts still gets its response", async () => {
  const held: Connection[] = [];
  const m = new Manager((c, ev, _d) => { if (ev === MG_EV_HTTP_MSG) held.push(c); });
  const l = m.listen("http://127.0.0.1:0");
  const loop = startLoop(m);
  const res = rawExchange(l.localAddr.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 3000 });
  await waitFor(() => held.length === 1, 5000, "request");
  // Answered later, as an async handler would, while close() waits for it.
  setTimeout(() => held[0]!.reply(200, "finished"), 200);
  await loop.stop();
  const { data, closed } = await res;
  assert.match(data.toString(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*Connection: close\r\n[\s\S]*finished$/);
  assert.equal(closed, true);
});

test("accepted connections of a listener with a layer: ACCEPT then the protocol's events", async () => {
  const seen: number[] = [];
  const s = startServer((_c, ev, _d) => { if (ev === MG_EV_ACCEPT || ev === MG_EV_HTTP_MSG || ev === MG_EV_CONNECT) seen.push(ev); if (ev === MG_EV_HTTP_MSG) _c.reply(204); });
  await rawExchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 300 });
  await s.stop();
  assert.deepEqual(seen, [MG_EV_ACCEPT, MG_EV_HTTP_MSG]);
});

leakCheckAfterAll();
