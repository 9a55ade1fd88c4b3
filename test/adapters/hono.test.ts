// A real Hono app served through fetchHandler, tested with Node's fetch and curl.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { setCookie, getCookie } from "hono/cookie";
import { basicAuth } from "hono/basic-auth";
import { etag } from "hono/etag";
import { cors } from "hono/cors";
import { streamSSE, streamText } from "hono/streaming";
import { fetchHandler, type FetchEnv } from "../../src/index.js";
import { curl, rawExchange, startServer, waitFor, type TestServer, leakCheckAfterAll } from "../helpers.js";
import { parseResponses, rawClient } from "./peers.js";

let srv: TestServer;
let sseAborted = 0;
const errors: unknown[] = [];

function makeApp(): Hono<{ Bindings: FetchEnv }> {
  const app = new Hono<{ Bindings: FetchEnv }>();
  app.use("/api/*", cors({ origin: "http://client.test" }));
  app.use("/tagged/*", etag());
  app.use("/admin/*", basicAuth({ username: "admin", password: "s3cret" }));
  app.get("/", (c) => c.text("Hello Hono!"));
  app.get("/api/users/:id", (c) => c.json({ id: c.req.param("id"), q: c.req.query("q") ?? null }));
  app.post("/api/users", async (c) => {
    const body = await c.req.json<{ name?: string }>();
    if (!body.name) throw new HTTPException(422, { message: "name required" });
    return c.json({ created: body.name, type: c.req.header("content-type") }, 201);
  });
  app.get("/cookies", (c) => {
    setCookie(c, "a", "1", { path: "/" });
    setCookie(c, "b", "2", { httpOnly: true });
    return c.text(`you sent ${getCookie(c, "in") ?? "none"}`);
  });
  app.get("/tagged/doc", (c) => c.text("a document with an etag"));
  app.get("/admin/panel", (c) => c.text("welcome, admin"));
  app.get("/env", (c) => c.json({ ip: c.env.remoteAddr.ip, conn: c.env.conn.id > 0, url: c.req.url }));
  app.get("/text-stream", (c) => streamText(c, async (s) => {
    for (let i = 0; i < 3; i++) { await s.write(`line ${i}\n`); await s.sleep(5); }
  }));
  app.get("/sse", (c) => streamSSE(c, async (s) => {
    s.onAbort(() => { sseAborted++; });
    for (let i = 0; !s.aborted; i++) {
      await s.writeSSE({ event: "tick", data: `n=${i}`, id: String(i) });
      if (c.req.query("count") && i + 1 >= Number(c.req.query("count"))) break;
      await s.sleep(10);
    }
  }));
  app.get("/boom", () => { throw new Error("hono boom"); });
  app.notFound((c) => c.json({ error: "not found", path: c.req.path }, 404));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    errors.push(err);
    return c.json({ error: err.message }, 500);
  });
  return app;
}

before(() => { srv = startServer(fetchHandler(makeApp().fetch)); });
after(async () => { await srv.stop(); });

test("routes, params, query, JSON bodies, status codes, notFound, HTTPException", async () => {
  const home = await fetch(srv.url);
  assert.equal(await home.text(), "Hello Hono!");
  assert.match(home.headers.get("content-type")!, /^text\/plain/);
  assert.equal(home.headers.get("content-length"), "11");
  const u = await fetch(`${srv.url}/api/users/42?q=x%20y`);
  assert.deepEqual(await u.json(), { id: "42", q: "x y" });
  const p = await fetch(`${srv.url}/api/users`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "Hopper" }) });
  assert.equal(p.status, 201);
  assert.deepEqual(await p.json(), { created: "Hopper", type: "application/json" });
  const bad = await fetch(`${srv.url}/api/users`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  assert.equal(bad.status, 422);
  assert.equal(await bad.text(), "name required");
  const nf = await fetch(`${srv.url}/nope`);
  assert.equal(nf.status, 404);
  assert.deepEqual(await nf.json(), { error: "not found", path: "/nope" });
  const boom = await fetch(`${srv.url}/boom`);
  assert.equal(boom.status, 500);
  assert.deepEqual(await boom.json(), { error: "hono boom" });
  assert.equal(errors.length, 1);
});

test("middleware: CORS preflight, ETag with If-None-Match (304), basic auth, cookies both ways", async () => {
  const pre = await curl(["-i", "-X", "OPTIONS", "-H", "Origin: http://client.test", "-H", "Access-Control-Request-Method: POST", `${srv.url}/api/users`]);
  assert.match(pre.stdout, /^HTTP\/1\.1 204 No Content\r\n/);
  assert.match(pre.stdout, /access-control-allow-origin: http:\/\/client\.test\r\n/);
  const first = await fetch(`${srv.url}/tagged/doc`);
  const tag = first.headers.get("etag")!;
  assert.ok(tag);
  const again = await curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", `If-None-Match: ${tag}`, `${srv.url}/tagged/doc`]);
  assert.equal(again.stdout, "304");
  const denied = await fetch(`${srv.url}/admin/panel`);
  assert.equal(denied.status, 401);
  assert.match(denied.headers.get("www-authenticate")!, /^Basic/);
  const ok = await curl(["-u", "admin:s3cret", `${srv.url}/admin/panel`]);
  assert.equal(ok.stdout, "welcome, admin");
  const ck = await fetch(`${srv.url}/cookies`, { headers: { Cookie: "in=hello" } });
  assert.equal(await ck.text(), "you sent hello");
  assert.deepEqual(ck.headers.getSetCookie(), ["a=1; Path=/", "b=2; Path=/; HttpOnly"]);
});

test("c.env carries the connection; HEAD to a GET route has no body", async () => {
  const e = await fetch(`${srv.url}/env`);
  assert.deepEqual(await e.json(), { ip: "127.0.0.1", conn: true, url: `${srv.url}/env` });
  const raw = await rawExchange(srv.port, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const rs = parseResponses(raw.data, [true, false]);
  assert.equal(rs.length, 2);
  assert.equal(rs[0]!.status, 200);
  assert.equal(rs[1]!.body.toString(), "Hello Hono!");
});

test("streaming: streamText arrives chunked; SSE events are read one by one as they are sent", async () => {
  const t = await fetch(`${srv.url}/text-stream`);
  assert.equal(t.headers.get("transfer-encoding"), "chunked");
  assert.equal(await t.text(), "line 0\nline 1\nline 2\n");
  const r = await fetch(`${srv.url}/sse?count=3`);
  assert.match(r.headers.get("content-type")!, /^text\/event-stream/);
  const reader = r.body!.getReader();
  let text = "";
  let reads = 0;
  for (;;) {
    const x = await reader.read();
    if (x.done) break;
    reads++;
    text += new TextDecoder().decode(x.value);
  }
  assert.equal(text, "event: tick\ndata: n=0\nid: 0\n\nevent: tick\ndata: n=1\nid: 1\n\nevent: tick\ndata: n=2\nid: 2\n\n");
  assert.ok(reads >= 2, "events arrive in several reads, not in one body");
  const c = await curl(["-N", `${srv.url}/sse?count=2`]);
  assert.equal(c.stdout, "event: tick\ndata: n=0\nid: 0\n\nevent: tick\ndata: n=1\nid: 1\n\n");
});

test("an endless SSE stream whose client disconnects is aborted (stream.onAbort) and the connection released", async () => {
  const cl = rawClient(srv.port);
  await cl.connected;
  cl.sock.write("GET /sse HTTP/1.1\r\nHost: x\r\n\r\n");
  await waitFor(() => cl.data().includes("n=2"), 5000, "a few events");
  const before = sseAborted;
  const conns = srv.manager.connections.length;
  cl.sock.destroy();
  await waitFor(() => sseAborted === before + 1, 5000, "onAbort");
  await waitFor(() => srv.manager.connections.length === conns - 1, 5000, "connection released");
  assert.equal(errors.length, 1, "only /boom's error: a disconnect is not an app error");
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
