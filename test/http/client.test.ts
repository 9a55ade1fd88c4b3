import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import * as net from "node:net";
import {
  Manager, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG, type HttpMessage,
} from "../../src/index.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";

async function nodeServer(handler: http.RequestListener): Promise<{ port: number; close(): Promise<void> }> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { port: (s.address() as net.AddressInfo).port, close: () => new Promise((r) => { s.closeAllConnections(); s.close(() => r()); }) };
}

async function rawServer(answer: string | Buffer): Promise<{ port: number; close(): Promise<void> }> {
  const s = net.createServer((sock) => { sock.once("data", () => { sock.end(answer); }); });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { port: (s.address() as net.AddressInfo).port, close: () => new Promise((r) => s.close(() => r())) };
}

function get(m: Manager, port: number, request: string): Promise<{ msg?: HttpMessage; hdrs?: HttpMessage; error?: string }> {
  return new Promise((resolve) => {
    const out: { msg?: HttpMessage; hdrs?: HttpMessage; error?: string } = {};
    m.connect(`http://127.0.0.1:${port}`, (c, ev, data) => {
      if (ev === MG_EV_CONNECT) c.send(request);
      if (ev === MG_EV_HTTP_HDRS) out.hdrs ??= data;
      if (ev === MG_EV_HTTP_MSG) { out.msg = data; c.close(); }
      if (ev === MG_EV_ERROR) out.error = data;
      if (ev === MG_EV_CLOSE) resolve(out);
    }, { http: true });
  });
}

test("the guide's GET and POST clients against node:http (Content-Length, chunked)", async () => {
  const srv = await nodeServer((req, res) => {
    let body = "";
    req.on("data", (d) => { body += d; });
    req.on("end", () => {
      if (req.url === "/chunked") { res.write("part1-"); res.write("part2"); res.end(); return; }
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ method: req.method, url: req.url, body, auth: req.headers.authorization ?? null }));
    });
  });
  const m = new Manager();
  const loop = startLoop(m);
  const a = await get(m, srv.port, "GET /api/data HTTP/1.1\r\nHost: api.example.com\r\n\r\n");
  assert.equal(a.msg?.status(), 200);
  assert.deepEqual(JSON.parse(a.msg!.bodyText), { method: "GET", url: "/api/data", body: "", auth: null });
  assert.equal(a.msg!.header("content-type"), "application/json");
  const payload = JSON.stringify({ name: "Alice" });
  const b = await get(m, srv.port, `POST /api/users HTTP/1.1\r\nHost: api.example.com\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n${payload}`);
  assert.equal(JSON.parse(b.msg!.bodyText).body, payload);
  const c = await get(m, srv.port, "GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal(c.msg!.bodyText, "part1-part2");
  assert.equal(c.msg!.header("transfer-encoding"), "chunked");
  assert.ok(c.hdrs, "HTTP_HDRS before the body");
  await loop.stop();
  await srv.close();
});

test("httpBasicAuth adds the Authorization header; httpRequest() resolves a response", async () => {
  const srv = await nodeServer((req, res) => { res.end(String(req.headers.authorization)); });
  const m = new Manager();
  const loop = startLoop(m);
  const got = await new Promise<string>((resolve) => {
    m.connect(`http://127.0.0.1:${srv.port}`, (c, ev, data) => {
      if (ev === MG_EV_CONNECT) { c.send("GET / HTTP/1.1\r\nHost: x\r\n"); c.httpBasicAuth("user", "pass"); c.send("\r\n"); }
      if (ev === MG_EV_HTTP_MSG) { resolve(data.bodyText); c.close(); }
    }, { http: true });
  });
  assert.equal(got, "Basic " + Buffer.from("user:pass").toString("base64"));
  const r = await m.httpRequest(`http://127.0.0.1:${srv.port}/x`, { method: "POST", body: "b", headers: { "X-Y": "z" } });
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), "undefined");
  const r2 = await m.httpRequest(`http://u:p@127.0.0.1:${srv.port}/`);
  assert.equal(r2.body.toString(), "Basic " + Buffer.from("u:p").toString("base64"));
  await loop.stop();
  await srv.close();
});

test("responses framed by the connection closing, HEAD responses, and interim 100", async () => {
  const m = new Manager();
  const loop = startLoop(m);
  const eof = await rawServer("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end");
  const a = await get(m, eof.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal(a.msg?.bodyText, "until the end");
  await eof.close();
  const head = await rawServer("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
  const h = await get(m, head.port, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal(h.msg?.status(), 200);
  assert.equal(h.msg?.bodyBytes.length, 0);
  await head.close();
  const interim = await rawServer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  const i = await get(m, interim.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal(i.msg?.status(), 201);
  // Mongoose's layout for a response (docs/http.md): protocol, status code, reason phrase.
  assert.equal(i.msg?.method, "HTTP/1.1");
  assert.equal(i.msg?.uri, "201");
  assert.equal(i.msg?.query, "");
  assert.equal(i.msg?.proto, "Created");
  await interim.close();
  await loop.stop();
});

test("malformed and truncated responses give MG_EV_ERROR and a close", async () => {
  const m = new Manager();
  const loop = startLoop(m);
  for (const [answer, re] of [
    ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", /closed before the response was complete/],
    ["HTTX/1.1 200 OK\r\n\r\n", /malformed status line/],
    ["HTTP/1.1 2000 OK\r\n\r\n", /malformed status code/],
    ["HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", /refused/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", /closed before the response was complete/],
  ] as const) {
    const srv = await rawServer(answer);
    const r = await get(m, srv.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal(r.msg, undefined, answer);
    assert.match(r.error ?? "", re, answer);
    await srv.close();
  }
  await waitFor(() => m.connections.length === 0, 2000, "all closed");
  await loop.stop();
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
