// nodeHandler with hand-written node:http-style apps, tested with real peers: Node's
// fetch, curl, raw sockets; and against node:http itself for the request's headers.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, pipeline } from "node:stream";
import { nodeHandler, type NodeApp, type NodeHandlerOptions, type Connection } from "../../src/index.js";
import { curl, rawExchange, startServer, waitFor, type TestServer, leakCheckAfterAll } from "../helpers.js";
import { parseResponses, rawClient, selfSignedCert, serverConns, sleep } from "./peers.js";

function serve(app: NodeApp, opts?: NodeHandlerOptions, conn: Record<string, unknown> = {}): TestServer & { errors: unknown[] } {
  const srv = startServer(nodeHandler(app, opts), conn);
  const errors: unknown[] = [];
  srv.manager.errorHandler = (e) => { errors.push(e); };
  return Object.assign(srv, { errors });
}

interface Seen {
  method: string | undefined; url: string | undefined; httpVersion: string;
  headers: http.IncomingHttpHeaders; rawHeaders: string[]; body: string;
}

function record(req: http.IncomingMessage, done: (s: Seen) => void): void {
  const parts: Buffer[] = [];
  req.on("data", (d: Buffer) => parts.push(d));
  req.on("end", () => done({
    method: req.method, url: req.url, httpVersion: req.httpVersion,
    headers: { ...req.headers }, rawHeaders: req.rawHeaders, body: Buffer.concat(parts).toString(),
  }));
}

const TRICKY_REQUEST =
  "POST /path/x%20y?q=1&r=%C3%A9 HTTP/1.1\r\nHost: a.test\r\nX-A: 1\r\nx-a: 2\r\nCookie: a=1\r\ncookie: b=2\r\n" +
  "Set-Cookie: s1\r\nset-cookie: s2\r\nUser-Agent: u1\r\nuser-agent: u2\r\nAuthorization: x\r\nauthorization: y\r\n" +
  "Accept: a\r\naccept: b\r\nConstructor: c1\r\nX-Latin: caf\xe9\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody";

test("req matches node:http's for the same bytes: method, url, version, headers joined per node's rules, rawHeaders, body", async () => {
  // node:http itself, as the reference.
  let ref: Seen | undefined;
  const nodeSrv = http.createServer((req, res) => record(req, (s) => { ref = s; res.end("ok"); }));
  await new Promise<void>((r) => nodeSrv.listen(0, "127.0.0.1", r));
  let ours: Seen | undefined;
  let sock: { remoteAddress?: string; remotePort?: number; encrypted?: boolean; localPort?: number } = {};
  const srv = serve((req, res) => { sock = req.socket; record(req, (s) => { ours = s; res.end("ok"); }); });
  try {
    const port = (nodeSrv.address() as { port: number }).port;
    await rawExchange(port, Buffer.from(TRICKY_REQUEST, "latin1"));
    const r = await rawExchange(srv.port, Buffer.from(TRICKY_REQUEST, "latin1"));
    assert.match(r.data.toString(), /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(ref && ours);
    assert.deepEqual(ours, ref);
    assert.equal(ours.headers["x-latin"], "caf\xe9", "values are byte strings, as node:http has them");
    assert.equal(sock.remoteAddress, "127.0.0.1");
    assert.equal(typeof sock.remotePort, "number");
    assert.equal(sock.localPort, srv.port);
    assert.equal(sock.encrypted, undefined);
  } finally {
    nodeSrv.close();
    await srv.stop();
  }
});

test("res: status, header methods, writeHead, several Set-Cookie; end() at once gives a Content-Length", async () => {
  const log: string[] = [];
  const srv = serve((req, res) => {
    res.statusCode = 201;
    res.statusMessage = "Made It";
    res.setHeader("Content-Type", "application/json");
    res.setHeader("Set-Cookie", ["a=1; Path=/", "b=2"]);
    res.setHeader("X-Remove", "me");
    log.push(`has:${res.hasHeader("x-remove")} get:${String(res.getHeader("content-type"))} names:${Object.keys(res.getHeaders()).sort().join(",")}`);
    res.removeHeader("X-Remove");
    log.push(`sent:${res.headersSent}`);
    res.on("finish", () => log.push(`finish ended:${res.writableEnded}`));
    res.on("close", () => log.push("close"));
    res.end(JSON.stringify({ url: req.url }));
    log.push(`sent:${res.headersSent}`);
  });
  try {
    const r = await fetch(`${srv.url}/x?y=1`);
    assert.equal(r.status, 201);
    assert.equal(r.statusText, "Made It");
    assert.equal(r.headers.get("content-type"), "application/json");
    assert.deepEqual(r.headers.getSetCookie(), ["a=1; Path=/", "b=2"]);
    assert.equal(r.headers.get("x-remove"), null);
    assert.equal(r.headers.get("content-length"), String(JSON.stringify({ url: "/x?y=1" }).length));
    assert.ok(r.headers.get("date"), "Date, as node:http sends it");
    assert.deepEqual(await r.json(), { url: "/x?y=1" });
    await waitFor(() => log.includes("close"), 2000, "close event");
    assert.deepEqual(log, ["has:true get:application/json names:content-type,set-cookie,x-remove", "sent:false", "sent:true", "finish ended:true", "close"]);

    // writeHead with headers, as an array of pairs too.
    const srv2 = serve((_req, res) => { res.writeHead(418, { "X-Tea": "yes", "Set-Cookie": ["c=3", "d=4"] }).end("short and stout"); });
    try {
      const raw = await rawExchange(srv2.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      const [resp] = parseResponses(raw.data);
      assert.equal(resp!.status, 418);
      assert.equal(resp!.header("x-tea"), "yes");
      assert.deepEqual(resp!.headers.filter(([n]) => n === "set-cookie").map(([, v]) => v), ["c=3", "d=4"]);
      assert.equal(resp!.body.toString(), "short and stout");
      assert.equal(resp!.header("connection"), "close");
      assert.ok(raw.closed);
    } finally {
      await srv2.stop();
    }
  } finally {
    await srv.stop();
  }
});

test("streaming: write() before end() is chunked; each chunk reaches the client before the next is written", async () => {
  let release: (() => void) | undefined;
  const srv = serve(async (_req, res) => {
    res.setHeader("Content-Type", "text/plain");
    for (let i = 0; i < 4; i++) {
      res.write(`part ${i};`);
      await new Promise<void>((r) => { release = r; });
    }
    res.end();
  });
  try {
    const r = await fetch(srv.url);
    assert.equal(r.headers.get("transfer-encoding"), "chunked");
    const reader = r.body!.getReader();
    let text = "";
    for (let i = 0; i < 4; i++) {
      while (!text.includes(`part ${i};`)) {
        const x = await reader.read();
        assert.ok(!x.done);
        text += new TextDecoder().decode(x.value);
      }
      const go = release!;
      release = undefined;
      go();
    }
    assert.ok((await reader.read()).done);
    assert.equal(text, "part 0;part 1;part 2;part 3;");
  } finally {
    await srv.stop();
  }
});

test("app errors: a throw or a rejected promise gives 500 and reaches the errorHandler; after the head, the connection closes", async () => {
  const srv = serve(async (req, res) => {
    if (req.url === "/sync") throw new Error("sync boom");
    await sleep(1);
    if (req.url === "/async") { res.setHeader("X-Half", "set"); throw new Error("async boom"); }
    if (req.url === "/late") { res.write("partial"); throw new Error("late boom"); }
    if (req.url === "/twice") { res.end("once"); res.write("after end"); return; }
    res.end("fine");
  });
  try {
    for (const p of ["/sync", "/async"]) {
      const r = await fetch(srv.url + p);
      assert.equal(r.status, 500);
      assert.equal(r.headers.get("x-half"), null, "headers set before the throw are dropped");
      assert.equal(await r.text(), "Internal Server Error\n");
    }
    const late = await rawExchange(srv.port, "GET /late HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 3000 });
    assert.ok(late.closed);
    assert.equal(parseResponses(late.data, [], true).length, 0, "no complete response");
    assert.equal(await (await fetch(srv.url + "/twice")).text(), "once", "a write after end() does not crash the server");
    await waitFor(() => srv.errors.length === 4, 2000, "write-after-end reported");
    assert.equal(await (await fetch(srv.url + "/ok")).text(), "fine");
    assert.deepEqual(srv.errors.map((e) => (e as Error).message), ["sync boom", "async boom", "late boom", "write after end"]);
  } finally {
    await srv.stop();
  }
  // With onError, the app's own answer.
  const srv2 = serve(() => { throw new Error("x"); }, { onError: (err, _req, res) => { res.statusCode = 503; res.end(`handled ${(err as Error).message}`); } });
  try {
    const r = await fetch(srv2.url);
    assert.equal(r.status, 503);
    assert.equal(await r.text(), "handled x");
    assert.equal(srv2.errors.length, 0);
  } finally {
    await srv2.stop();
  }
});

test("pipelined keep-alive requests are answered in order; HEAD has no body; Connection: close from the app ends the connection", async () => {
  const srv = serve(async (req, res) => {
    if (req.url === "/slow") await sleep(60);
    if (req.url === "/chunks") { res.write("a"); await sleep(5); res.write("b"); res.end("c"); return; }
    if (req.url === "/bye") { res.setHeader("Connection", "close"); res.end("bye"); return; }
    res.end(`${req.method} ${req.url}`);
  });
  try {
    const reqs = ["GET /slow", "GET /chunks", "HEAD /head", "POST /post", "GET /bye", "GET /never"]
      .map((l) => `${l} HTTP/1.1\r\nHost: x\r\n${l.startsWith("POST") ? "Content-Length: 2\r\n\r\nhi" : "\r\n"}`).join("");
    const raw = await rawExchange(srv.port, reqs, { idleMs: 3000 });
    const rs = parseResponses(raw.data, [false, false, true, false, false]);
    assert.deepEqual(rs.map((r) => r.body.toString()), ["GET /slow", "abc", "", "POST /post", "bye"]);
    assert.equal(rs[1]!.chunked, true);
    assert.equal(rs[2]!.status, 200, "HEAD answered without a body: the next response parses right after its head");
    assert.ok(raw.closed, "the connection closed after Connection: close; the last request was not answered");
  } finally {
    await srv.stop();
  }
});

test("large upload: 8 MiB from curl (Expect: 100-continue) is streamed through req into a hash", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsmongoose-upload-"));
  const file = join(dir, "big.bin");
  const data = randomBytes(8 * 1024 * 1024);
  writeFileSync(file, data);
  const srv = serve((req, res) => {
    const h = createHash("sha256");
    let n = 0;
    req.on("data", (d: Buffer) => { h.update(d); n += d.length; });
    req.on("end", () => { res.setHeader("Content-Type", "application/json"); res.end(JSON.stringify({ n, sha: h.digest("hex") })); });
  }, {}, { maxBodySize: 32 * 1024 * 1024 });
  try {
    const r = await curl(["-H", "Content-Type: application/octet-stream", "--data-binary", `@${file}`, `${srv.url}/up`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { n: data.length, sha: createHash("sha256").update(data).digest("hex") });
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("client disconnect mid-stream: res gets 'close' unfinished, req is aborted, later writes are harmless, no connection left", async () => {
  const events: string[] = [];
  let conn: Connection | undefined;
  const srv = serve((req, res) => {
    if (req.url === "/ok") { res.end("ok"); return; }
    conn = srv.manager.connections.find((c) => !c.isListening);
    req.on("close", () => events.push("req close"));
    res.on("close", () => events.push(`res close finished:${res.writableFinished}`));
    const t = setInterval(() => { res.write("tick\n"); }, 5);
    res.on("close", () => { clearInterval(t); setTimeout(() => { res.write("after close"); res.end(); events.push("wrote after close"); }, 5); });
  });
  try {
    const cl = rawClient(srv.port);
    await cl.connected;
    cl.sock.write("GET /ticks HTTP/1.1\r\nHost: x\r\n\r\n");
    await waitFor(() => cl.data().includes("tick"), 5000, "first tick");
    cl.sock.destroy();
    await waitFor(() => events.includes("wrote after close"), 5000, "close handled");
    assert.ok(events.includes("res close finished:false"));
    assert.ok(events.includes("req close"));
    await waitFor(() => !srv.manager.connections.includes(conn!), 5000, "server connection gone");
    assert.equal(serverConns(srv.manager).length, 0);
    assert.equal(srv.errors.length, 0);
    const again = await curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", `${srv.url}/ok`]);
    assert.equal(again.stdout, "200", "the server goes on");
  } finally {
    await srv.stop();
  }
});

test("backpressure: write() returns false for a paused client, 'drain' comes when it reads; a piped 48 MiB stream stays bounded", async () => {
  const TOTAL = 48 * 1024 * 1024, CHUNK = 64 * 1024;
  let produced = 0, sawFalse = false, drains = 0;
  const srv = serve((_req, res) => {
    res.on("drain", () => { drains++; });
    const src = new Readable({
      highWaterMark: CHUNK,
      read() {
        if (produced >= TOTAL) { this.push(null); return; }
        produced += CHUNK;
        this.push(Buffer.alloc(CHUNK, 120));
      },
    });
    const w = res.write.bind(res);
    res.write = ((chunk: Buffer, ...rest: never[]) => { const ok = w(chunk, ...rest); if (!ok) sawFalse = true; return ok; }) as typeof res.write;
    pipeline(src, res, () => { /* errors show up as a short body */ });
  });
  const cl = rawClient(srv.port);
  try {
    await cl.connected;
    cl.sock.pause();
    cl.sock.write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
    let last = -1, stable = 0;
    while (stable < 10) {
      await sleep(20);
      if (produced === last) stable++; else { stable = 0; last = produced; }
      assert.ok(produced < TOTAL, "the whole stream was produced for a client that does not read");
    }
    assert.ok(sawFalse, "write() said to wait");
    assert.ok(produced < 24 * 1024 * 1024, `produced ${produced} bytes ahead of a paused reader`);
    cl.sock.resume();
    await waitFor(() => parseResponses(cl.data(), [], true).length === 1, 30000, "whole response");
    const [r] = parseResponses(cl.data());
    assert.equal(r!.body.length, TOTAL);
    assert.ok(drains > 0, "'drain' was emitted");
  } finally {
    cl.sock.destroy();
    await srv.stop();
  }
});

test("HTTP/1.0: no chunked encoding; a body without length ends with the connection", async () => {
  const srv = serve((_req, res) => { res.write("one,"); res.end("two"); });
  try {
    const r = await rawExchange(srv.port, "GET / HTTP/1.0\r\n\r\n", { idleMs: 3000 });
    assert.ok(r.closed);
    const t = r.data.toString();
    assert.match(t, /^HTTP\/1\.1 200 OK\r\n/, "as node:http answers");
    assert.match(t, /\r\nConnection: close\r\n/);
    assert.doesNotMatch(t, /transfer-encoding/i);
    assert.ok(t.endsWith("\r\n\r\none,two"));
  } finally {
    await srv.stop();
  }
});

test("over TLS: req.socket.encrypted is true and curl gets the answer", async () => {
  const cert = selfSignedCert();
  const srv = startServer(nodeHandler((req, res) => res.end(`encrypted=${(req.socket as unknown as { encrypted?: boolean }).encrypted}`)), { tls: { cert: cert.cert, key: cert.key } }, "https");
  try {
    const r = await curl(["--cacert", cert.certFile, `https://localhost:${srv.port}/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "encrypted=true");
  } finally {
    await srv.stop();
    cert.cleanup();
  }
});

test("malformed, oversized and truncated requests are refused by the HTTP layer and never reach the app", async () => {
  let called = 0;
  const srv = serve((_req, res) => { called++; res.end("app"); }, undefined, { maxBodySize: 1024 });
  try {
    const bad = await rawExchange(srv.port, "GET /x HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", { idleMs: 2000 });
    assert.match(bad.data.toString(), /^HTTP\/1\.1 400 /);
    const big = await rawExchange(srv.port, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n" + "a".repeat(4096), { idleMs: 2000 });
    assert.match(big.data.toString(), /^HTTP\/1\.1 413 /);
    const cut = await rawExchange(srv.port, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly this", { end: true, idleMs: 2000 });
    assert.equal(cut.data.length, 0, "a truncated request gets no answer");
    assert.ok(cut.closed);
    await waitFor(() => serverConns(srv.manager).length === 0, 5000, "connections closed");
    assert.equal(called, 0);
    const ok = await rawExchange(srv.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.match(ok.data.toString(), /app$/);
    assert.equal(called, 1);
  } finally {
    await srv.stop();
  }
});

test("options are checked", () => {
  assert.throws(() => nodeHandler(undefined as unknown as NodeApp), /app must be a function/);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
