// A real Express 5 app served through nodeHandler, tested with Node's fetch and curl.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express, { type NextFunction, type Request, type Response } from "express";
import WebSocket from "ws";
import { MG_EV_HTTP_MSG, MG_EV_WS_MSG, nodeHandler, type EventHandler } from "../../src/index.js";
import { curl, rawExchange, startServer, type TestServer, leakCheckAfterAll } from "../helpers.js";
import { parseResponses, selfSignedCert } from "./peers.js";

let dir = "";
let big: Buffer;
let srv: TestServer;
const errors: unknown[] = [];

function makeApp(): express.Express {
  const app = express();
  app.use(express.json());
  app.use(express.urlencoded({ extended: false }));
  const users = new Map<string, { id: string; name: string }>([["1", { id: "1", name: "Ada" }]]);
  const api = express.Router();
  api.get("/users/:id", (req, res) => {
    const u = users.get(req.params.id!);
    if (!u) { res.status(404).json({ error: "no such user" }); return; }
    res.json({ ...u, fields: req.query.fields ?? null });
  });
  api.post("/users", (req, res) => {
    const body = req.body as { name?: unknown };
    if (typeof body?.name !== "string") { res.status(400).json({ error: "name required" }); return; }
    const id = String(users.size + 1);
    users.set(id, { id, name: body.name });
    res.status(201).location(`/api/users/${id}`).json(users.get(id));
  });
  app.use("/api", api);
  app.post("/form", (req, res) => { res.type("text").send(`hello ${(req.body as { who: string }).who}`); });
  app.get("/old", (_req, res) => { res.redirect(301, "/api/users/1"); });
  app.get("/cookies", (_req, res) => { res.cookie("a", "1").cookie("b", "2", { httpOnly: true }).send("cookies set"); });
  app.get("/whoami", (req, res) => { res.json({ ip: req.ip, protocol: req.protocol, secure: req.secure, host: req.hostname, ua: req.get("user-agent") }); });
  app.get("/file", (_req, res) => { res.sendFile(join(dir, "big.bin")); });
  app.use("/static", express.static(dir));
  app.get("/boom", () => { throw new Error("route boom"); });
  app.get("/async-boom", async () => { await new Promise((r) => setTimeout(r, 1)); throw new Error("async route boom"); });
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    errors.push(err);
    res.status(500).json({ error: err.message });
  });
  return app;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "tsmongoose-express-"));
  big = randomBytes(3 * 1024 * 1024 + 17);
  writeFileSync(join(dir, "big.bin"), big);
  writeFileSync(join(dir, "hello.txt"), "hello from express.static\n");
  srv = startServer(nodeHandler(makeApp()));
});
after(async () => {
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

test("routes with params and query, JSON in and out, status codes, Location", async () => {
  const r1 = await fetch(`${srv.url}/api/users/1?fields=name`);
  assert.equal(r1.status, 200);
  assert.match(r1.headers.get("content-type")!, /^application\/json/);
  assert.ok(r1.headers.get("etag"));
  assert.deepEqual(await r1.json(), { id: "1", name: "Ada", fields: "name" });
  const r2 = await fetch(`${srv.url}/api/users/99`);
  assert.equal(r2.status, 404);
  assert.deepEqual(await r2.json(), { error: "no such user" });
  const r3 = await fetch(`${srv.url}/api/users`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "Grace" }) });
  assert.equal(r3.status, 201);
  assert.equal(r3.headers.get("location"), "/api/users/2");
  assert.deepEqual(await r3.json(), { id: "2", name: "Grace" });
  const r4 = await fetch(`${srv.url}/api/users`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  assert.equal(r4.status, 400);
  const r5 = await curl(["-d", "who=curl", `${srv.url}/form`]);
  assert.equal(r5.stdout, "hello curl");
});

test("malformed JSON (a 400 error from body-parser) and thrown errors (sync and async) reach the error middleware", async () => {
  const before = errors.length;
  const bad = await fetch(`${srv.url}/api/users`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{not json" });
  assert.equal(bad.status, 500, "the app's error middleware answers");
  assert.match(((await bad.json()) as { error: string }).error, /JSON/);
  assert.equal((errors.at(-1) as { status?: number }).status, 400);
  const b1 = await fetch(`${srv.url}/boom`);
  assert.equal(b1.status, 500);
  assert.deepEqual(await b1.json(), { error: "route boom" });
  const b2 = await fetch(`${srv.url}/async-boom`);
  assert.deepEqual(await b2.json(), { error: "async route boom" });
  assert.equal(errors.length, before + 3);
  const nf = await fetch(`${srv.url}/nowhere`);
  assert.equal(nf.status, 404);
  assert.match(await nf.text(), /Cannot GET \/nowhere/);
});

test("redirects, several cookies, request info (ip, protocol, host, user agent)", async () => {
  const r = await fetch(`${srv.url}/old`, { redirect: "manual" });
  assert.equal(r.status, 301);
  assert.equal(r.headers.get("location"), "/api/users/1");
  const followed = await fetch(`${srv.url}/old`);
  assert.equal(((await followed.json()) as { name: string }).name, "Ada");
  const c = await fetch(`${srv.url}/cookies`);
  assert.deepEqual(c.headers.getSetCookie(), ["a=1; Path=/", "b=2; Path=/; HttpOnly"]);
  const w = await curl(["-A", "test-agent/1", `${srv.url}/whoami`]);
  assert.deepEqual(JSON.parse(w.stdout), { ip: "127.0.0.1", protocol: "http", secure: false, host: "127.0.0.1", ua: "test-agent/1" });
});

test("res.sendFile and express.static: a 3 MiB file intact, ranges, conditional GET, HEAD", async () => {
  const r = await fetch(`${srv.url}/file`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-length"), String(big.length));
  const body = Buffer.from(await r.arrayBuffer());
  assert.equal(sha(body), sha(big));
  const range = await fetch(`${srv.url}/static/big.bin`, { headers: { Range: "bytes=100-199" } });
  assert.equal(range.status, 206);
  assert.deepEqual(Buffer.from(await range.arrayBuffer()), big.subarray(100, 200));
  const first = await fetch(`${srv.url}/static/hello.txt`);
  const etag = first.headers.get("etag")!;
  assert.equal(await first.text(), "hello from express.static\n");
  // (curl: Node's fetch adds Cache-Control: no-cache to a request with If-None-Match.)
  const again = await curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", `If-None-Match: ${etag}`, `${srv.url}/static/hello.txt`]);
  assert.equal(again.stdout, "304");
  const head = await curl(["-I", `${srv.url}/static/hello.txt`]);
  assert.match(head.stdout, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(head.stdout, /Content-Length: 26\r\n/);
});

test("pipelined keep-alive requests to Express come back in order", async () => {
  const reqs = "GET /api/users/1 HTTP/1.1\r\nHost: x\r\n\r\n" +
    "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\nwho=raw" +
    "HEAD /static/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n" +
    "GET /static/hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const raw = await rawExchange(srv.port, reqs, { idleMs: 3000 });
  const rs = parseResponses(raw.data, [false, false, true, false]);
  assert.equal(rs.length, 4);
  assert.equal(JSON.parse(rs[0]!.body.toString()).name, "Ada");
  assert.equal(rs[1]!.body.toString(), "hello raw");
  assert.equal(rs[2]!.header("content-length"), "26");
  assert.equal(rs[3]!.body.toString(), "hello from express.static\n");
  assert.ok(raw.closed);
});

test("over TLS Express sees https: req.protocol and req.secure", async () => {
  const cert = selfSignedCert();
  const tlsSrv = startServer(nodeHandler(makeApp()), { tls: { cert: cert.cert, key: cert.key } }, "https");
  try {
    const r = await curl(["--cacert", cert.certFile, `https://localhost:${tlsSrv.port}/whoami`]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { protocol: string; secure: boolean; host: string };
    assert.equal(j.protocol, "https");
    assert.equal(j.secure, true);
    assert.equal(j.host, "localhost");
  } finally {
    await tlsSrv.stop();
    cert.cleanup();
  }
});

test("composes with tsmongoose handlers: a WebSocket route next to the Express app on one listener", async () => {
  const web = nodeHandler(makeApp());
  const handler: EventHandler = (...args) => {
    const [c, ev, data] = args;
    if (ev === MG_EV_HTTP_MSG && data.uri === "/ws") { c.wsUpgrade(data); return; }
    if (ev === MG_EV_WS_MSG) { c.wsSend(`echo: ${data.text}`); return; }
    web(...args);
  };
  const both = startServer(handler);
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${both.port}/ws`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on("open", () => ws.send("hi"));
      ws.on("message", (d) => resolve(String(d)));
      ws.on("error", reject);
    });
    assert.equal(reply, "echo: hi");
    ws.close();
    const r = await fetch(`${both.url}/api/users/1`);
    assert.equal(((await r.json()) as { name: string }).name, "Ada");
  } finally {
    await both.stop();
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
