import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import {
  Manager, MG_EV_ACCEPT, MG_EV_ERROR, MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG, MG_EV_READ, type HttpMessage, type Connection, type EventHandler,
} from "../../src/index.js";
import { startServer, startLoop, curl, rawExchange, waitFor, leakCheckAfterAll } from "../helpers.js";

const echoUri: EventHandler = (c, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) c.reply(200, `${data.method} ${data.uri} ${data.bodyText}`);
};

function responses(raw: Buffer): string[] {
  return raw.toString("latin1").split(/(?=HTTP\/1\.1 )/).filter((s) => s.length > 0);
}

test("request data: method, uri, query, headers, body (Node's fetch)", async () => {
  let got: HttpMessage | undefined;
  const srv = startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) { got = data; c.reply(201, '{"id": 123}', { "Content-Type": "application/json", "X-Request-ID": "12345" }); }
  });
  const r = await fetch(`${srv.url}/api/users/7?id=123&name=J%C3%BCrgen+S&empty=`, {
    method: "POST", body: "héllo", headers: { "X-Multi": "a", "Content-Type": "text/plain;charset=utf-8" },
  });
  assert.equal(r.status, 201);
  assert.equal(r.headers.get("content-type"), "application/json");
  assert.equal(r.headers.get("x-request-id"), "12345");
  assert.deepEqual(await r.json(), { id: 123 });
  assert.ok(got);
  assert.equal(got.method, "POST");
  assert.equal(got.uri, "/api/users/7");
  assert.equal(got.query, "id=123&name=J%C3%BCrgen+S&empty=");
  assert.equal(got.queryVar("id"), "123");
  assert.equal(got.queryVar("name"), "Jürgen S");
  assert.equal(got.queryVar("empty"), "");
  assert.equal(got.queryVar("missing"), undefined);
  assert.equal(got.proto, "HTTP/1.1");
  assert.equal(got.header("x-multi"), "a");
  assert.equal(got.header("X-MULTI"), "a");
  assert.equal(got.header("Nope"), undefined);
  assert.equal(got.header("Nope", "dflt"), "dflt");
  assert.equal(got.headerVar("Content-Type", "charset"), "utf-8");
  assert.equal(got.bodyText, "héllo");
  assert.deepEqual(got.bodyBytes, Buffer.from("héllo"));
  assert.ok(got.headers().some(([n, v]) => n.toLowerCase() === "host" && v.startsWith("127.0.0.1")));
  assert.ok(got.message.toString("latin1").startsWith("POST /api/users/7?id=123"));
  assert.equal(got.status(), undefined);
  await srv.stop();
});

test("reply defaults: Content-Length, text/plain, reason phrase; 204/304/HEAD have no body", async () => {
  const srv = startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const s = Number(data.uri.slice(1));
    c.reply(s, s === 204 || s === 304 ? "" : "body!");
  });
  const r = await rawExchange(srv.port, "GET /200 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /200 HTTP/1.1\r\nHost: x\r\n\r\nGET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /304 HTTP/1.1\r\nHost: x\r\n\r\nGET /503 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { idleMs: 2000 });
  const rs = responses(r.data);
  assert.equal(rs.length, 5);
  assert.equal(rs[0], "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nbody!");
  assert.equal(rs[1], "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n");
  assert.equal(rs[2], "HTTP/1.1 204 No Content\r\n\r\n");
  assert.equal(rs[3], "HTTP/1.1 304 Not Modified\r\n\r\n");
  assert.match(rs[4]!, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
  assert.match(rs[4]!, /Connection: close\r\n/);
  assert.equal(r.closed, true, "Connection: close honoured");
  await srv.stop();
});

test("replyJson sets the type and status; bad headers are refused", async () => {
  const errors: string[] = [];
  const srv = startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    if (data.uri === "/bad") {
      try { c.reply(200, "x", { "X-Evil": "a\r\nSet-Cookie: stolen=1" }); } catch (e) { errors.push((e as Error).message); c.reply(500, "refused"); }
      return;
    }
    c.replyJson({ users: ["a"], count: 1 }, 202, { "X-A": "b" });
  });
  const r = await fetch(`${srv.url}/`);
  assert.equal(r.status, 202);
  assert.equal(r.headers.get("content-type"), "application/json");
  assert.equal(r.headers.get("x-a"), "b");
  assert.deepEqual(await r.json(), { users: ["a"], count: 1 });
  const bad = await fetch(`${srv.url}/bad`);
  assert.equal(bad.status, 500);
  assert.equal(bad.headers.get("set-cookie"), null);
  assert.match(errors[0]!, /must not contain CR, LF/);
  await srv.stop();
});

test("keep-alive and pipelining: several requests in one write, responses in order", async () => {
  const srv = startServer(echoUri);
  const reqs = Array.from({ length: 20 }, (_, i) => `GET /r${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join("")
    + "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
  const r = await rawExchange(srv.port, reqs, { idleMs: 500 });
  const rs = responses(r.data);
  assert.equal(rs.length, 21);
  rs.slice(0, 20).forEach((s, i) => assert.ok(s.endsWith(`GET /r${i} `), s));
  assert.ok(rs[20]!.endsWith("POST /p abc"));
  assert.equal(r.closed, false, "connection kept alive");
  await srv.stop();
});

test("a request split into single bytes is parsed", async () => {
  const srv = startServer(echoUri);
  const req = "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
  const r = await rawExchange(srv.port, req.split("").map((ch) => ch), { gapMs: 1, idleMs: 500 });
  assert.ok(r.data.toString().endsWith("POST /slow hello"));
  await srv.stop();
});

test("HTTP/1.0 closes after the response; HTTP/1.0 keep-alive is honoured (curl -0)", async () => {
  const srv = startServer(echoUri);
  const r = await rawExchange(srv.port, "GET /old HTTP/1.0\r\n\r\n", { idleMs: 2000 });
  assert.equal(r.closed, true);
  assert.ok(r.data.toString().endsWith("GET /old "));
  const k = await rawExchange(srv.port, "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", { idleMs: 300 });
  assert.equal(k.closed, false);
  assert.match(k.data.toString(), /Connection: keep-alive/);
  const c = await curl(["-0", "-i", `${srv.url}/curl10`]);
  assert.equal(c.code, 0);
  assert.match(c.stdout, /^HTTP\/1\.1 200 OK/);
  assert.ok(c.stdout.endsWith("GET /curl10 "));
  await srv.stop();
});

test("chunked request bodies are decoded (curl and raw), HTTP_HDRS comes first", async () => {
  const events: string[] = [];
  const srv = startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_HDRS) events.push(`hdrs:${data.bodyBytes.length}`);
    if (ev === MG_EV_HTTP_MSG) { events.push(`msg:${data.bodyBytes.length}`); c.reply(200, data.bodyText); }
  });
  const body = "x".repeat(100000);
  const c = await curl(["-H", "Transfer-Encoding: chunked", "--data-binary", body, `${srv.url}/up`]);
  assert.equal(c.stdout, body);
  assert.deepEqual(events, ["hdrs:0", "msg:100000"]);
  const raw = await rawExchange(srv.port, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n", { idleMs: 300 });
  assert.ok(raw.data.toString().endsWith("\r\n\r\nhello world"));
  await srv.stop();
});

test("Expect: 100-continue gets an interim 100 before the body", async () => {
  const srv = startServer(echoUri);
  // The head alone first: the 100 must come before the body is sent, then the answer.
  const headThenBody = async (head: string, body: string, answerEnd: string): Promise<void> => {
    const sock = net.connect(srv.port, "127.0.0.1");
    let buf = "";
    sock.on("data", (d) => { buf += d; });
    sock.write(head);
    await waitFor(() => buf.includes("100 Continue"), 3000, `100 Continue for ${head.split("\r\n")[0]}`);
    assert.equal(buf, "HTTP/1.1 100 Continue\r\n\r\n");
    sock.write(body);
    await waitFor(() => buf.endsWith(answerEnd), 3000, "final response");
    sock.destroy();
  };
  await headThenBody("PUT /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n", "data", "PUT /e data");
  const c = await curl(["-H", "Expect: 100-continue", "--data-binary", "z".repeat(5000), `${srv.url}/curl`]);
  assert.ok(c.stdout.endsWith("z".repeat(5000)));
  // A chunked body waits for the 100 as well.
  await headThenBody("PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n", "4\r\ndata\r\n0\r\n\r\n", "PUT /c data");
  await srv.stop();
});

test("streaming replies: chunked (curl decodes) and SSE (event lines)", async () => {
  const srv = startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    if (data.uri === "/chunked") {
      c.reply(200, "", { "Transfer-Encoding": "chunked" });
      for (let i = 0; i < 100; i++) c.httpChunk(`Chunk ${i}\n`);
      c.httpChunk(Buffer.from("binary\n"));
      c.httpChunk("");
    } else if (data.uri === "/events") {
      c.reply(200, "", { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
      c.httpSse("update", "line1\nline2");
      c.httpSse("", "plain");
      c.drain();
    }
  });
  const r = await curl(["-i", `${srv.url}/chunked`]);
  assert.match(r.stdout, /Transfer-Encoding: chunked/);
  assert.doesNotMatch(r.stdout, /Content-Length/);
  const body = r.stdout.split("\r\n\r\n")[1]!;
  assert.equal(body, Array.from({ length: 100 }, (_, i) => `Chunk ${i}\n`).join("") + "binary\n");
  const s = await curl(["-N", `${srv.url}/events`]);
  assert.equal(s.stdout, "event: update\ndata: line1\ndata: line2\n\ndata: plain\n\n");
  await srv.stop();
});

test("httpSse throws on a closed connection so broadcasters can drop it", async () => {
  const clients: Connection[] = [];
  const srv = startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG && data.uri === "/events") {
      c.reply(200, "", { "Content-Type": "text/event-stream" });
      clients.push(c);
    }
  });
  const sock = net.connect(srv.port, "127.0.0.1");
  sock.write("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  await waitFor(() => clients.length === 1, 3000, "sse client");
  sock.destroy();
  await waitFor(() => srv.manager.connections.length === 1, 3000, "closed");
  assert.throws(() => clients[0]!.httpSse("update", "x"), /closed/);
  await srv.stop();
});

test("limits: 431 for big heads, 414 for long request lines, 413 for big bodies, too many headers", async () => {
  const errors: string[] = [];
  const srv = startServer((c, ev, data) => {
    if (ev === MG_EV_ERROR) errors.push(data);
    if (ev === MG_EV_HTTP_MSG) c.reply(200, "ok");
  }, { maxHeaderSize: 1024, maxBodySize: 1000, maxHeaders: 10 });
  const h431 = await rawExchange(srv.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(2000)}\r\n\r\n`);
  assert.match(h431.data.toString(), /^HTTP\/1\.1 431 /);
  assert.equal(h431.closed, true);
  const h414 = await rawExchange(srv.port, `GET /${"a".repeat(2000)}`);
  assert.match(h414.data.toString(), /^HTTP\/1\.1 414 /);
  const h413 = await rawExchange(srv.port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n");
  assert.match(h413.data.toString(), /^HTTP\/1\.1 413 /);
  const c413 = await rawExchange(srv.port, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n${"a".repeat(1001)}\r\n0\r\n\r\n`);
  assert.match(c413.data.toString(), /^HTTP\/1\.1 413 /);
  const many = "GET / HTTP/1.1\r\n" + Array.from({ length: 11 }, (_, i) => `H${i}: v\r\n`).join("") + "\r\n";
  assert.match((await rawExchange(srv.port, many)).data.toString(), /^HTTP\/1\.1 431 /);
  const ok = await rawExchange(srv.port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + "a".repeat(1000), { idleMs: 300 });
  assert.match(ok.data.toString(), /^HTTP\/1\.1 200 /);
  assert.ok(errors.length >= 5 && errors.every((e) => /refused \(4\d\d\)/.test(e)), errors.join("; "));
  await srv.stop();
});

test("malformed and smuggling-shaped requests get 400 (or 501/505) and a close", async () => {
  const srv = startServer(echoUri);
  const bad: [string, RegExp][] = [
    ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", /^HTTP\/1\.1 400 .*\r\n[\s\S]*both Content-Length and Transfer-Encoding/],
    ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", /^HTTP\/1\.1 400 [\s\S]*conflicting Content-Length/],
    ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd", /^HTTP\/1\.1 400 /],
    ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", /^HTTP\/1\.1 400 [\s\S]*invalid Content-Length/],
    ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n", /^HTTP\/1\.1 400 [\s\S]*folding/],
    ["GET / HTTP/1.1\nHost: x\n\n", /^HTTP\/1\.1 400 [\s\S]*bare LF/],
    ["GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", /^HTTP\/1\.1 400 [\s\S]*header name/],
    ["GET / HTTP/1.1\r\nHost : x\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n", /^HTTP\/1\.1 400 [\s\S]*header value/],
    ["GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["GET /a b HTTP/1.1\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["GET / HTTP/2.0\r\n\r\n", /^HTTP\/1\.1 505 /],
    ["GET / FOO/1.1\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["G(T / HTTP/1.1\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", /^HTTP\/1\.1 501 /],
    ["POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", /^HTTP\/1\.1 400 /],
    ["POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", /^HTTP\/1\.1 400 [\s\S]*chunk size/],
    ["POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", /^HTTP\/1\.1 400 [\s\S]*CRLF after chunk/],
    ["\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", /^HTTP\/1\.1 400 /],
  ];
  for (const [req, re] of bad) {
    const r = await rawExchange(srv.port, req, { idleMs: 2000 });
    assert.match(r.data.toString("latin1"), re, JSON.stringify(req));
    assert.equal(r.closed, true, `closed after ${JSON.stringify(req)}`);
  }
  // The server still works and no connection leaked.
  assert.equal((await fetch(`${srv.url}/fine`)).status, 200);
  await waitFor(() => srv.manager.connections.length <= 2, 3000, "no leaked connections");
  await srv.stop();
});

test("leading empty lines before a request are ignored (RFC 9112 2.2)", async () => {
  const srv = startServer(echoUri);
  const r = await rawExchange(srv.port, "\r\n\r\nGET /x HTTP/1.1\r\nHost: y\r\n\r\n", { idleMs: 300 });
  assert.ok(r.data.toString().endsWith("GET /x "));
  await srv.stop();
});

test("slow and abrupt clients: 408 after the head timeout, idle close, mid-request disconnects", async () => {
  const srv = startServer(echoUri, { headersTimeoutMs: 200, idleTimeoutMs: 400, requestTimeoutMs: 600 });
  const slow = await rawExchange(srv.port, "GET / HTTP/1.1\r\nHost: x\r\n", { idleMs: 3000 });
  assert.match(slow.data.toString(), /^HTTP\/1\.1 408 /);
  assert.equal(slow.closed, true);
  const slowBody = await rawExchange(srv.port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", { idleMs: 3000 });
  assert.match(slowBody.data.toString(), /^HTTP\/1\.1 408 /);
  const idle = await rawExchange(srv.port, "GET /i HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 3000 });
  assert.ok(idle.data.toString().endsWith("GET /i "));
  assert.equal(idle.closed, true, "idle keep-alive connection closed");
  for (const partial of ["GET / HT", "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nab"]) {
    const s = net.connect(srv.port, "127.0.0.1");
    await new Promise((r) => s.once("connect", r));
    s.write(partial);
    await new Promise((r) => setTimeout(r, 30));
    s.destroy();
  }
  await waitFor(() => srv.manager.connections.length === 1, 3000, "all client connections closed");
  assert.equal((await fetch(`${srv.url}/after`)).status, 200);
  await srv.stop();
});

test("a handler that throws on a request does not stop the server", async () => {
  let n = 0;
  const srv = startServer((c, ev, _data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    if (n++ === 0) throw new Error("handler bug");
    c.reply(200, "ok");
  });
  srv.manager.errorHandler = () => {};
  await rawExchange(srv.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 100 });
  const r = await fetch(`${srv.url}/`);
  assert.equal(await r.text(), "ok");
  await srv.stop();
});

test("replies sent later (async) keep pipelined responses in order", async () => {
  const srv = startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const uri = data.uri;
    setTimeout(() => c.reply(200, uri), uri === "/slow" ? 100 : 1);
  });
  const r = await rawExchange(srv.port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 500 });
  const rs = responses(r.data);
  assert.equal(rs.length, 2);
  assert.ok(rs[0]!.endsWith("/slow"));
  assert.ok(rs[1]!.endsWith("/fast"));
  await srv.stop();
});

test("repeated headers are kept; headerVar reads cookie and parameter values", async () => {
  let got: HttpMessage | undefined;
  const srv = startServer((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) { got = data; c.reply(200, ""); } });
  await rawExchange(srv.port, "GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1; session=\"x y\"\r\nX-R: 1\r\nx-r: 2\r\nContent-Type: multipart/form-data; boundary=----abc\r\n\r\n", { idleMs: 200 });
  assert.ok(got);
  assert.deepEqual(got.headerAll("X-R"), ["1", "2"]);
  assert.equal(got.headerVar("Cookie", "session"), "x y");
  assert.equal(got.headerVar("Cookie", "a"), "1");
  assert.equal(got.headerVar("Content-Type", "boundary"), "----abc");
  assert.equal(got.headers().filter(([n]) => n.toLowerCase() === "x-r").length, 2);
  await srv.stop();
});

test("a client that half-closes after its request still gets an answer sent later", async () => {
  const srv = startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) { const u = data.uri; setTimeout(() => c.reply(200, `late ${u}`), 50); }
  });
  const r = await rawExchange(srv.port, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n", { end: true, idleMs: 2000 });
  const rs = responses(r.data);
  assert.equal(rs.length, 2);
  assert.ok(rs[0]!.endsWith("late /a"));
  assert.ok(rs[1]!.endsWith("late /b"));
  assert.equal(r.closed, true);
  await srv.stop();
});

test("headerVar does not split inside quoted values", async () => {
  let got: HttpMessage | undefined;
  const srv = startServer((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) { got = data; c.reply(200, ""); } });
  await rawExchange(srv.port, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Disposition: form-data; name="x,filename=evil"; filename="a;b.txt"\r\n\r\n', { idleMs: 200 });
  assert.equal(got?.headerVar("Content-Disposition", "name"), "x,filename=evil");
  assert.equal(got?.headerVar("Content-Disposition", "filename"), "a;b.txt");
  await srv.stop();
});

test("replyJson keeps a Content-Type the caller gives, in any case", async () => {
  const srv = startServer((c, ev, _data) => {
    if (ev === MG_EV_HTTP_MSG) c.replyJson({ a: 1 }, 200, { "content-type": "application/problem+json" });
  });
  const r = await rawExchange(srv.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 300 });
  const text = r.data.toString();
  assert.equal(text.match(/content-type:/gi)?.length, 1, text);
  assert.match(text, /content-type: application\/problem\+json\r\n/);
  await srv.stop();
});

test("plain replies byte for byte: UTF-8 body length in bytes, HTTP/1.0 keep-alive, reply then drain adds Connection: close", async () => {
  const srv = startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    if (data.uri === "/utf8") c.reply(200, "héllo wörld");
    else if (data.uri === "/drain") { c.reply(200, "bye"); c.drain(); }
    else c.reply(404, "none");
  });
  const a = await rawExchange(srv.port, "GET /utf8 HTTP/1.1\r\nHost: x\r\n\r\nGET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /drain HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 2000 });
  const rs = a.data.toString("utf8").split(/(?=HTTP\/1\.1 )/);
  assert.deepEqual(rs, [
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nhéllo wörld",
    "HTTP/1.1 404 Not Found\r\nConnection: keep-alive\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nnone",
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbye",
  ]);
  assert.equal(a.closed, true, "drain() closed the connection after the answer");
  await srv.stop();
});

test("a repeated plain answer goes out as shared bytes that drain() never edits: other connections keep their keep-alive answer", async () => {
  const srv = startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    c.reply(200, "same ✓");
    if (data.uri === "/drain") c.drain();
  });
  const same = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\nsame ✓";
  const closing = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 8\r\nConnection: close\r\n\r\nsame ✓";
  const req = (uri: string): string => `GET ${uri} HTTP/1.1\r\nHost: x\r\n\r\n`;
  // The same answer three times in a row (the 2nd and 3rd are the cached bytes), then
  // one that drain() turns into a closing answer, on one connection...
  const a = await rawExchange(srv.port, [req("/a"), req("/b"), req("/c"), req("/drain")], { idleMs: 2000, gapMs: 30 });
  assert.deepEqual(a.data.toString("utf8").split(/(?=HTTP\/1\.1 )/), [same, same, same, closing]);
  assert.equal(a.closed, true);
  // ...and the bytes shared with the next connection were not edited by that drain.
  const b = await rawExchange(srv.port, [req("/a"), req("/b")], { idleMs: 300, gapMs: 30 });
  assert.deepEqual(b.data.toString("utf8").split(/(?=HTTP\/1\.1 )/), [same, same]);
  assert.equal(b.closed, false);
  // HEAD gets the head only, even right after the cached answer; a different body is not the cached one.
  const c = await rawExchange(srv.port, [req("/a"), `HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n`, req("/a")], { idleMs: 300, gapMs: 30 });
  assert.deepEqual(c.data.toString("utf8").split(/(?=HTTP\/1\.1 )/), [same, same.slice(0, same.indexOf("\r\n\r\n") + 4), same]);
  await srv.stop();
});

// Early answers on MG_EV_HTTP_HDRS: a server that refuses /early* from the head with a
// 413 and answers other requests on MG_EV_HTTP_MSG, noting every event it gets.
function earlyServer(): { srv: ReturnType<typeof startServer>; events: string[] } {
  const events: string[] = [];
  const srv = startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_HDRS) {
      events.push(`hdrs ${data.uri}`);
      if (data.uri.startsWith("/early")) c.reply(413, "too big");
    } else if (ev === MG_EV_HTTP_MSG) {
      events.push(`msg ${data.uri}`);
      c.reply(200, `late ${data.uri}`);
    }
  });
  return { srv, events };
}
const EARLY_KEEP = "HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\ntoo big";
const EARLY_CLOSE = "HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\ntoo big";

test("reply() on MG_EV_HTTP_HDRS with the whole request received: answered, no MG_EV_HTTP_MSG, the connection goes on", async () => {
  const { srv, events } = earlyServer();
  // No body, and a body whose Content-Length bytes came with the head: each is skipped
  // and the request pipelined behind it is answered.
  const r = await rawExchange(srv.port, "GET /early-get HTTP/1.1\r\nHost: x\r\n\r\n"
    + "POST /early-post HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
    + "GET /next HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 500 });
  assert.deepEqual(responses(r.data), [EARLY_KEEP, EARLY_KEEP, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nlate /next"]);
  assert.equal(r.closed, false);
  assert.deepEqual(events, ["hdrs /early-get", "hdrs /early-post", "hdrs /next", "msg /next"]);
  await srv.stop();
});

test("reply() on MG_EV_HTTP_HDRS before the body arrived: Connection: close, the body is never read or dispatched", async () => {
  const { srv, events } = earlyServer();
  // Content-Length, part of the body sent: what follows it would be taken for a request.
  const cl = await rawExchange(srv.port, "POST /early-cl HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + "GET /x HTTP/1.1\r\n\r\n".repeat(20), { idleMs: 2000 });
  assert.equal(cl.data.toString("latin1"), EARLY_CLOSE);
  assert.equal(cl.closed, true);
  // A chunked body counts as unread, even when it is complete.
  const ch = await rawExchange(srv.port, "POST /early-chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", { idleMs: 2000 });
  assert.equal(ch.data.toString("latin1"), EARLY_CLOSE);
  assert.equal(ch.closed, true);
  assert.deepEqual(events, ["hdrs /early-cl", "hdrs /early-chunked"]);
  await srv.stop();
});

test("reply() on MG_EV_HTTP_HDRS with Expect: 100-continue: the final answer without a 100 Continue (raw client and curl)", async () => {
  const { srv, events } = earlyServer();
  const sock = net.connect(srv.port, "127.0.0.1");
  let buf = "";
  let closed = false;
  sock.setEncoding("latin1");
  sock.on("data", (d: string) => { buf += d; });
  sock.on("close", () => { closed = true; });
  sock.write("PUT /early-expect HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  await waitFor(() => closed, 3000, "the answer and the close");
  assert.equal(buf, EARLY_CLOSE);
  const c = await curl(["-si", "-H", "Expect: 100-continue", "--data-binary", "z".repeat(100_000), `${srv.url}/early-curl`]);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(c.stdout, EARLY_CLOSE);
  assert.deepEqual(events, ["hdrs /early-expect", "hdrs /early-curl"]);
  await srv.stop();
});

test("an early reply on MG_EV_HTTP_HDRS can be a stream: ended later, the next request follows, or the unread body is never parsed", async () => {
  const events: string[] = [];
  let stream: Connection | undefined;
  let reads = 0;
  const srv = startServer((c, ev, data) => {
    if (ev === MG_EV_READ && c === stream) reads++;
    if (ev === MG_EV_HTTP_HDRS) {
      events.push(`hdrs ${data.uri}`);
      if (data.uri === "/early-stream") { c.reply(200, "", { "Transfer-Encoding": "chunked" }); stream = c; }
    } else if (ev === MG_EV_HTTP_MSG) {
      events.push(`msg ${data.uri}`);
      c.reply(200, `late ${data.uri}`);
    }
  });
  const peer = async (): Promise<{ s: net.Socket; text: () => string; closed: () => boolean }> => {
    const s = net.connect(srv.port, "127.0.0.1");
    let text = "", closed = false;
    s.setEncoding("latin1");
    s.on("data", (d: string) => { text += d; });
    s.on("close", () => { closed = true; });
    await new Promise((r) => s.once("connect", r));
    return { s, text: () => text, closed: () => closed };
  };
  const HEAD = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n";
  // No body: the connection stays, and the request pipelined behind waits for the stream's end.
  const a = await peer();
  a.s.write("GET /early-stream HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n");
  await waitFor(() => a.text() === HEAD, 3000, "the stream's head");
  stream!.httpChunk("x");
  stream!.httpChunk("");
  const next = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nlate /next";
  await waitFor(() => a.text() === HEAD + "1\r\nx\r\n0\r\n\r\n" + next, 3000, "the stream, then the next answer");
  assert.equal(a.closed(), false);
  a.s.destroy();
  // A body still arriving: what comes after the head, a request-shaped tail included, is never parsed.
  const b = await peer();
  b.s.write("POST /early-stream HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n0123456789");
  const closingHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n";
  await waitFor(() => b.text() === closingHead, 3000, "the closing stream's head");
  const before = reads;
  b.s.write("0123456789GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
  await waitFor(() => reads > before, 3000, "the rest of the body read");
  stream!.httpChunk("y");
  stream!.httpChunk("");
  await waitFor(() => b.closed(), 3000, "the close after the stream");
  assert.equal(b.text(), closingHead + "1\r\ny\r\n0\r\n\r\n");
  assert.deepEqual(events, ["hdrs /early-stream", "hdrs /next", "msg /next", "hdrs /early-stream"]);
  await srv.stop();
});

test("a handler that throws on MG_EV_HTTP_HDRS: one 500, then nothing more for the connection (no MG_EV_HTTP_MSG, no second answer)", async () => {
  const events: string[] = [];
  const srv = startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_HDRS) { events.push(`hdrs ${data.uri}`); if (data.uri.startsWith("/throw")) throw new Error("hdrs bug"); }
    if (ev === MG_EV_HTTP_MSG) { events.push(`msg ${data.uri}`); c.reply(200, "second answer"); }
  });
  const errors: unknown[] = [];
  srv.manager.errorHandler = (e) => errors.push(e);
  const E500 = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 22\r\nConnection: close\r\n\r\nInternal Server Error\n";
  const get = await rawExchange(srv.port, "GET /throw-get HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 2000 });
  assert.equal(get.data.toString("latin1"), E500);
  assert.equal(get.closed, true);
  const post = await rawExchange(srv.port, "POST /throw-post HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", { idleMs: 2000 });
  assert.equal(post.data.toString("latin1"), E500);
  // The second request of a keep-alive connection, once the first is answered: the
  // first one's answer does not count as this one's.
  const sock = net.connect(srv.port, "127.0.0.1");
  let buf = "";
  let closed = false;
  sock.setEncoding("latin1");
  sock.on("data", (d: string) => { buf += d; });
  sock.on("close", () => { closed = true; });
  sock.write("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  const ok = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nsecond answer";
  await waitFor(() => buf === ok, 3000, "the first answer");
  sock.write("GET /throw-second HTTP/1.1\r\nHost: x\r\n\r\n");
  await waitFor(() => closed, 3000, "the close");
  assert.equal(buf, ok + E500);
  assert.deepEqual(events, ["hdrs /throw-get", "hdrs /throw-post", "hdrs /ok", "msg /ok", "hdrs /throw-second"]);
  assert.equal(errors.length, 3);
  await srv.stop();
});

test("streams answering HEAD send the head only; the last chunk still ends them, so keep-alive goes on", async () => {
  const srv = startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    if (data.uri === "/chunked") {
      c.reply(200, "first", { "Transfer-Encoding": "chunked" });
      c.httpChunk("ab");
      c.httpSse("e", "in a chunk");
      c.httpChunk("");
    } else if (data.uri === "/events") {
      c.reply(200, "", { "Content-Type": "text/event-stream" });
      c.httpSse("e", "d");
      c.drain();
    } else c.reply(200, "next");
  });
  const CHUNKED_HEAD = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n";
  const r = await rawExchange(srv.port, "HEAD /chunked HTTP/1.1\r\nHost: x\r\n\r\nGET /chunked HTTP/1.1\r\nHost: x\r\n\r\nHEAD /chunked HTTP/1.1\r\nHost: x\r\n\r\nGET /n HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 500 });
  assert.deepEqual(responses(r.data), [
    CHUNKED_HEAD,
    CHUNKED_HEAD + "5\r\nfirst\r\n2\r\nab\r\n1b\r\nevent: e\ndata: in a chunk\n\n\r\n0\r\n\r\n",
    CHUNKED_HEAD,
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nnext",
  ]);
  assert.equal(r.closed, false);
  // HTTP/1.0 (the stream is the raw body, ended by the close).
  const old = await rawExchange(srv.port, "HEAD /chunked HTTP/1.0\r\n\r\n", { idleMs: 2000 });
  assert.equal(old.data.toString("latin1"), "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n");
  assert.equal(old.closed, true);
  const sse = await rawExchange(srv.port, "HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 2000 });
  assert.equal(sse.data.toString("latin1"), "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
  await srv.stop();
});

test("204 and 304 never carry Transfer-Encoding, a body or (204) Content-Length; they are complete at reply()", async () => {
  const errors: string[] = [];
  const srv = startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    if (data.uri === "/204-chunked") {
      c.reply(204, "zz", { "Transfer-Encoding": "chunked" });
      try { c.httpChunk("zz"); } catch (e) { errors.push((e as { code: string }).code); }
    } else if (data.uri === "/204-length") c.reply(204, "", { "Content-Length": "5", "X-A": "b" });
    else if (data.uri === "/304-chunked") c.reply(304, "", { "Transfer-Encoding": "chunked", ETag: '"e"', "Content-Length": "10" });
    else if (data.uri === "/204-events") c.reply(204, "", { "Content-Type": "text/event-stream" });
    else c.reply(200, "next");
  });
  const req = (u: string): string => `GET ${u} HTTP/1.1\r\nHost: x\r\n\r\n`;
  const r = await rawExchange(srv.port, req("/204-chunked") + req("/204-length") + req("/304-chunked") + req("/204-events") + req("/n"), { idleMs: 500 });
  assert.deepEqual(responses(r.data), [
    "HTTP/1.1 204 No Content\r\n\r\n",
    "HTTP/1.1 204 No Content\r\nX-A: b\r\n\r\n",
    "HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\nContent-Length: 10\r\n\r\n",
    "HTTP/1.1 204 No Content\r\nContent-Type: text/event-stream\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nnext",
  ]);
  assert.deepEqual(errors, ["ERR_HTTP_STATE"]);
  await srv.stop();
});

test("httpChunk/httpSse without a stream to go to throw ERR_HTTP_STATE and write nothing", async () => {
  const thrown: string[] = [];
  const attempt = (what: string, f: () => void): void => {
    try { f(); thrown.push(`${what}: no throw`); } catch (e) {
      const err = e as { code: string; message: string };
      thrown.push(`${what}: ${err.code}`);
      assert.match(err.message, /reply\(|httpSse\(\)|not a stream/, err.message);
    }
  };
  const srv = startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    if (data.uri === "/before") {
      attempt("chunk before reply", () => c.httpChunk("y"));
      attempt("sse before reply", () => c.httpSse("e", "y"));
      c.reply(200, "ok");
    } else if (data.uri === "/after-plain") {
      c.reply(200, "abc");
      attempt("chunk after plain reply", () => c.httpChunk("y"));
      attempt("last chunk after plain reply", () => c.httpChunk(""));
      attempt("sse after plain reply", () => c.httpSse("e", "y"));
    } else if (data.uri === "/events") {
      c.reply(200, "", { "Content-Type": "text/event-stream" });
      attempt("chunk in an event stream", () => c.httpChunk("y"));
      c.httpSse("e", "d");
      c.drain();
    } else if (data.uri === "/ended") {
      c.reply(200, "", { "Transfer-Encoding": "chunked" });
      c.httpChunk("");
      attempt("chunk after the last chunk", () => c.httpChunk("y"));
    }
  });
  const req = (u: string): string => `GET ${u} HTTP/1.1\r\nHost: x\r\n\r\n`;
  const r = await rawExchange(srv.port, req("/before") + req("/after-plain") + req("/ended"), { idleMs: 500 });
  assert.deepEqual(responses(r.data), [
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok",
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n0\r\n\r\n",
  ]);
  const s = await rawExchange(srv.port, req("/events"), { idleMs: 2000 });
  assert.equal(s.data.toString("latin1"), "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\nevent: e\ndata: d\n\n");
  assert.deepEqual(thrown, [
    "chunk before reply: ERR_HTTP_STATE", "sse before reply: ERR_HTTP_STATE",
    "chunk after plain reply: ERR_HTTP_STATE", "last chunk after plain reply: ERR_HTTP_STATE", "sse after plain reply: ERR_HTTP_STATE",
    "chunk after the last chunk: ERR_HTTP_STATE", "chunk in an event stream: ERR_HTTP_STATE",
  ]);
  await srv.stop();
});

// The two tests below: a server that keeps every request body it gets and answers its
// length, and a raw socket client that counts the answers.
interface BodyServer { m: Manager; port: number; loop: ReturnType<typeof startLoop>; bodies: Buffer[] }
function bodyServer(observe: (c: Connection, ev: number) => void): BodyServer {
  const bodies: Buffer[] = [];
  const m = new Manager((c, ev, data) => {
    observe(c, ev);
    if (ev === MG_EV_HTTP_MSG) { bodies.push(Buffer.from(data.bodyBytes)); c.reply(200, String(data.bodyBytes.length)); }
  });
  const port = m.listen("http://127.0.0.1:0").localAddr.port;
  return { m, port, loop: startLoop(m), bodies };
}
async function rawPeer(port: number): Promise<{ s: net.Socket; answers: () => number }> {
  const s = net.connect(port, "127.0.0.1");
  let answer = "";
  s.setEncoding("latin1");
  s.on("data", (d: string) => { answer += d; });
  await new Promise<void>((resolve, reject) => { s.once("connect", resolve); s.once("error", reject); });
  return { s, answers: () => (answer.match(/HTTP\/1\.1 200/g) ?? []).length };
}
function patterned(n: number, mul: number, shift: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * mul + (i >>> shift)) & 0xff;
  return b;
}
async function finish(srv: BodyServer, s: net.Socket): Promise<void> {
  s.destroy();
  await waitFor(() => srv.m.connections.length === 1, 5000);
  await srv.loop.stop();
}

test("a large body arriving in pieces is read straight into the request's buffer; a pipelined request behind it is intact", async () => {
  // Content-Length known from the head: the receive buffer makes room for the whole
  // request and the socket's later reads go there directly (core: recvReserve, fills).
  let filling = false;
  const srv = bodyServer((c, ev) => { if (ev === MG_EV_READ && c._recvFill !== undefined) filling = true; });
  const { bodies } = srv;
  const body = patterned(900_000, 7, 11);
  const { s, answers } = await rawPeer(srv.port);
  s.write(`POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
  s.write(body.subarray(0, 1000));
  // Each piece waits until the server has read the one before (so the reservation is known).
  let sent = 1000;
  for (const end of [200_000, 500_000, 899_990]) {
    await new Promise((r) => setTimeout(r, 20));
    s.write(body.subarray(sent, end));
    sent = end;
  }
  await new Promise((r) => setTimeout(r, 20));
  s.write(Buffer.concat([body.subarray(sent), Buffer.from("POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")]));
  await waitFor(() => bodies.length === 2, 5000, "both requests");
  assert.ok(filling, "the body was never read in place");
  assert.equal(bodies[0]!.length, body.length);
  assert.ok(bodies[0]!.equals(body), "the body read in place differs from what was sent");
  assert.equal(bodies[1]!.toString(), "abc");
  await waitFor(() => answers() === 2, 5000, "two answers");
  await finish(srv, s);
});

test("a request written whole: the body's size is read from the first read, the rest of it goes straight into place", async () => {
  // The reads of one event-loop turn come before any dispatch: the layer looks at a large
  // first read (onArrive) and reserves the request's size, so later reads are placed.
  let placed = 0;
  let firstRead: boolean | undefined;
  const srv = bodyServer((c, ev) => {
    if (ev === MG_EV_ACCEPT) c._socket!.on("placed", (n: number, p: { recv: boolean }) => { if (p.recv) placed += n; });
    // (A reservation made at dispatch would start placing only after this handler.)
    if (ev === MG_EV_READ && firstRead === undefined) firstRead = c._recvFill !== undefined || placed > 0;
  });
  const { bodies } = srv;
  const body = patterned(2_000_000, 11, 13);
  const { s, answers } = await rawPeer(srv.port);
  s.write(Buffer.concat([
    Buffer.from(`POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`), body,
    Buffer.from("GET /next HTTP/1.1\r\nHost: x\r\n\r\n"),
  ]));
  await waitFor(() => bodies.length === 2, 5000, "both requests");
  assert.ok(bodies[0]!.equals(body), "the body read in place differs from what was sent");
  assert.equal(bodies[1]!.length, 0);
  assert.ok(placed >= body.length * 0.8, `only ${placed} of ${body.length} bytes were read in place`);
  assert.equal(firstRead, true, "reads were placed only once the request was dispatched, not from its first read");
  await waitFor(() => answers() === 2, 5000, "two answers");
  await finish(srv, s);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
