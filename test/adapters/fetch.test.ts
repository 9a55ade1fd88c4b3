// fetchHandler with a hand-written WHATWG app, tested with real peers: Node's fetch, curl,
// raw sockets (pipelining, HTTP/1.0, slow readers, disconnects).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { fetchHandler, type Connection, type FetchApp, type FetchHandlerOptions } from "../../src/index.js";
import { curl, rawExchange, startServer, waitFor, type TestServer, leakCheckAfterAll } from "../helpers.js";
import { parseResponses, rawClient, selfSignedCert, serverConns, sleep } from "./peers.js";

const enc = new TextEncoder();

function serve(app: FetchApp, opts?: FetchHandlerOptions): TestServer & { errors: unknown[] } {
  const srv = startServer(fetchHandler(app, opts));
  const errors: unknown[] = [];
  srv.manager.errorHandler = (e) => { errors.push(e); };
  return Object.assign(srv, { errors });
}

/** A stream of `n` chunks; chunk i is made only once `gate(i)` resolves. */
function gatedStream(n: number, gate: (i: number) => Promise<void>): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      if (i === n) { ctrl.close(); return; }
      await gate(i);
      ctrl.enqueue(enc.encode(`part ${i};`));
      i++;
    },
  });
}

test("request: absolute URL, method, repeated headers, body; Response status, headers and several Set-Cookie", async () => {
  let seen: { url: string; method: string; dup: string | null; host: string | null; body: string; env: boolean } | undefined;
  const srv = serve(async (req, env) => {
    seen = { url: req.url, method: req.method, dup: req.headers.get("x-dup"), host: req.headers.get("host"), body: await req.text(), env: env.conn.remoteAddr.ip === "127.0.0.1" };
    const h = new Headers({ "Content-Type": "application/json", "X-Answer": "42" });
    h.append("Set-Cookie", "a=1; Path=/");
    h.append("Set-Cookie", "b=2, with comma; HttpOnly");
    return new Response(JSON.stringify({ ok: true }), { status: 201, statusText: "Made", headers: h });
  });
  try {
    const raw = await rawExchange(srv.port, "PUT /p/a%20th?x=1&y=%C3%A9 HTTP/1.1\r\nHost: example.test:8080\r\nX-Dup: one\r\nx-dup: two\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
    const [r] = parseResponses(raw.data);
    assert.ok(r);
    assert.equal(r.status, 201);
    assert.match(r.head, /^HTTP\/1\.1 201 Made\r\n/);
    assert.equal(r.header("content-type"), "application/json");
    assert.equal(r.header("x-answer"), "42");
    assert.deepEqual(r.headers.filter(([n]) => n === "set-cookie").map(([, v]) => v), ["a=1; Path=/", "b=2, with comma; HttpOnly"]);
    assert.equal(r.header("content-length"), String(r.body.length));
    assert.equal(r.header("connection"), "close");
    assert.deepEqual(JSON.parse(r.body.toString()), { ok: true });
    assert.ok(raw.closed, "Connection: close was honoured");
    assert.deepEqual(seen, { url: "http://example.test:8080/p/a%20th?x=1&y=%C3%A9", method: "PUT", dup: "one, two", host: "example.test:8080", body: "hello", env: true });

    // The same through Node's fetch and curl.
    const f = await fetch(`${srv.url}/q?z=9`, { method: "POST", body: "from fetch" });
    assert.equal(f.status, 201);
    assert.deepEqual(f.headers.getSetCookie(), ["a=1; Path=/", "b=2, with comma; HttpOnly"]);
    assert.deepEqual(await f.json(), { ok: true });
    assert.equal(seen?.url, `${srv.url}/q?z=9`);
    assert.equal(seen?.body, "from fetch");
    const c = await curl(["-i", "-X", "DELETE", `${srv.url}/d`]);
    assert.equal(c.code, 0);
    assert.match(c.stdout, /^HTTP\/1\.1 201 Made/);
    assert.equal(seen?.method, "DELETE");
    assert.equal(srv.errors.length, 0);
  } finally {
    await srv.stop();
  }
});

test("a small body is sent whole with Content-Length; a null body has Content-Length 0; 204 and 304 have none", async () => {
  const srv = serve((req) => {
    const p = new URL(req.url).pathname;
    if (p === "/bytes") return new Response(new Uint8Array([1, 2, 3, 250]), { headers: { "Content-Type": "application/octet-stream" } });
    if (p === "/null") return new Response(null, { status: 202 });
    if (p === "/204") return new Response(null, { status: 204 });
    if (p === "/304") return new Response(null, { status: 304, headers: { ETag: '"x"' } });
    if (p === "/multi") {
      // Several chunks, all available at once: still one response with a Content-Length.
      return new Response(new ReadableStream({ start(c) { c.enqueue(enc.encode("ab")); c.enqueue(enc.encode("cd")); c.close(); } }));
    }
    return new Response("text");
  });
  try {
    const raw = await rawExchange(srv.port, ["/bytes", "/null", "/204", "/304", "/multi", "/text"].map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join(""), { idleMs: 500 });
    const rs = parseResponses(raw.data);
    assert.equal(rs.length, 6);
    assert.deepEqual([...rs[0]!.body], [1, 2, 3, 250]);
    assert.equal(rs[0]!.header("content-length"), "4");
    assert.equal(rs[0]!.header("content-type"), "application/octet-stream");
    assert.equal(rs[1]!.status, 202);
    assert.equal(rs[1]!.header("content-length"), "0");
    assert.equal(rs[2]!.status, 204);
    assert.equal(rs[2]!.header("content-length"), undefined);
    assert.equal(rs[3]!.status, 304);
    assert.equal(rs[3]!.header("etag"), '"x"');
    assert.equal(rs[4]!.body.toString(), "abcd");
    assert.equal(rs[4]!.header("content-length"), "4");
    assert.equal(rs[4]!.chunked, false);
    assert.equal(rs[5]!.body.toString(), "text");
    assert.equal(rs[5]!.header("content-type"), "text/plain;charset=UTF-8");
    assert.ok(!raw.closed, "keep-alive: the connection stays open");
  } finally {
    await srv.stop();
  }
});

test("streaming: a ReadableStream body arrives chunk by chunk, each read by the client before the next is made", async () => {
  const opened: (() => void)[] = [];
  const gates = Array.from({ length: 4 }, () => new Promise<void>((r) => opened.push(r)));
  opened[0]!();
  const srv = serve(() => new Response(gatedStream(4, (i) => gates[i]!), { headers: { "Content-Type": "text/plain" } }));
  try {
    const res = await fetch(`${srv.url}/stream`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("transfer-encoding"), "chunked");
    const reader = res.body!.getReader();
    let text = "";
    for (let i = 0; i < 4; i++) {
      // Part i must arrive while part i+1 does not exist yet.
      while (!text.includes(`part ${i};`)) {
        const r = await reader.read();
        assert.ok(!r.done, `stream ended before part ${i}`);
        text += new TextDecoder().decode(r.value);
      }
      opened[i + 1]?.();
    }
    assert.ok((await reader.read()).done);
    assert.equal(text, "part 0;part 1;part 2;part 3;");
  } finally {
    await srv.stop();
  }
});

test("streaming with a Content-Length from the app: plain body, no chunked framing; a wrong length closes the connection", async () => {
  const srv = serve((req) => {
    const short = new URL(req.url).pathname === "/short";
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        await sleep(20); // not complete within one turn of the event loop: streamed
        if (sent) { c.close(); return; }
        sent = true;
        c.enqueue(enc.encode("0123456789"));
      },
    });
    return new Response(body, { headers: { "Content-Length": short ? "15" : "10" } });
  });
  try {
    const ok = await rawExchange(srv.port, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 500 });
    const [r] = parseResponses(ok.data);
    assert.equal(r!.chunked, false);
    assert.equal(r!.header("content-length"), "10");
    assert.equal(r!.body.toString(), "0123456789");
    assert.ok(!ok.closed);
    const bad = await rawExchange(srv.port, "GET /short HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 2000 });
    assert.ok(bad.closed, "the connection is closed: the promised length cannot be kept");
    assert.match(bad.data.toString(), /content-length: 15\r\n\r\n0123456789$/);
    await waitFor(() => srv.errors.length === 1, 2000, "error reported");
    assert.match(String(srv.errors[0]), /short of its Content-Length/);
  } finally {
    await srv.stop();
  }
});

test("app errors: throw, reject, non-Response and a failing body give 500 and reach the errorHandler", async () => {
  const srv = serve(async (req) => {
    const p = new URL(req.url).pathname;
    if (p === "/throw-sync") throw new Error("sync boom");
    await sleep(1);
    if (p === "/reject") throw new Error("async boom");
    if (p === "/not-response") return "a string" as unknown as Response;
    if (p === "/body-fails") return new Response(new ReadableStream({ pull(c) { c.error(new Error("body boom")); } }));
    return new Response("fine");
  });
  // A sync throw must not be mistaken for a handler throw: the app is called in an async function.
  const syncApp: FetchApp = () => { throw new Error("sync boom"); };
  const srv2 = serve(syncApp);
  try {
    for (const p of ["/throw-sync", "/reject", "/not-response", "/body-fails"]) {
      const r = await fetch(srv.url + p);
      assert.equal(r.status, 500, p);
      assert.equal(await r.text(), "Internal Server Error\n");
    }
    const after = await fetch(srv.url + "/ok");
    assert.equal(await after.text(), "fine", "the server goes on");
    assert.deepEqual(srv.errors.map((e) => (e as Error).message.replace(/^fetchHandler: /, "")), [
      "sync boom", "async boom", "the app returned a string, not a Response", "body boom",
    ]);
    const r2 = await curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", srv2.url]);
    assert.equal(r2.stdout, "500");
    assert.equal(srv2.errors.length, 1);
  } finally {
    await srv.stop();
    await srv2.stop();
  }
});

test("a body that fails after the head went out: the connection is closed, not ended as if complete", async () => {
  const srv = serve(() => {
    let n = 0;
    return new Response(new ReadableStream<Uint8Array>({
      async pull(c) {
        await sleep(10);
        if (n++ === 0) c.enqueue(enc.encode("first")); else c.error(new Error("midway"));
      },
    }));
  });
  try {
    const raw = await rawExchange(srv.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 3000 });
    assert.ok(raw.closed);
    const text = raw.data.toString();
    assert.match(text, /transfer-encoding: chunked/);
    assert.match(text, /5\r\nfirst\r\n$/, "no terminating chunk");
    await waitFor(() => srv.errors.length === 1, 2000, "error reported");
    assert.equal((srv.errors[0] as Error).message, "midway");
  } finally {
    await srv.stop();
  }
});

test("onError option: its Response replaces the default 500 and gets the request", async () => {
  const seen: string[] = [];
  const srv = serve(() => { throw new Error("nope"); }, {
    onError: (err, req) => { seen.push(`${(err as Error).message} ${new URL(req.url).pathname}`); return Response.json({ error: "custom" }, { status: 503 }); },
  });
  try {
    const r = await fetch(`${srv.url}/x`);
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { error: "custom" });
    assert.deepEqual(seen, ["nope /x"]);
    assert.equal(srv.errors.length, 0, "handled by onError");
  } finally {
    await srv.stop();
  }
});

test("pipelined keep-alive requests are answered in order, whatever order the app finishes them in", async () => {
  const srv = serve(async (req) => {
    const p = new URL(req.url).pathname;
    if (p === "/slow") { await sleep(80); return new Response("slow"); }
    if (p === "/stream") return new Response(gatedStream(3, () => sleep(10)));
    if (p === "/post") return new Response(`got ${await req.text()}`);
    return new Response(p);
  });
  try {
    const reqs = "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n" +
      "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n" +
      "POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" +
      "HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n" +
      "GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const raw = await rawExchange(srv.port, reqs, { idleMs: 3000 });
    const rs = parseResponses(raw.data, [false, false, false, true, false]);
    assert.deepEqual(rs.map((r) => r.body.toString()), ["slow", "part 0;part 1;part 2;", "got abc", "", "/last"]);
    assert.equal(rs[1]!.chunked, true);
    assert.equal(rs[3]!.header("content-length"), "5", "HEAD announces the GET length");
    assert.ok(raw.closed, "closed after the request that asked for it");
    assert.equal(srv.errors.length, 0);
  } finally {
    await srv.stop();
  }
});

test("HEAD: no body for a string, a null body or a stream; curl -I sees the headers", async () => {
  let cancelled = 0;
  const srv = serve((req) => {
    const p = new URL(req.url).pathname;
    if (p === "/stream") {
      return new Response(new ReadableStream({ async pull(c) { await sleep(50); c.enqueue(enc.encode("x")); }, cancel() { cancelled++; } }), { headers: { "X-Kind": "stream" } });
    }
    if (p === "/null") return new Response(null, { headers: { "Content-Length": "1234" } });
    return new Response("hello head", { headers: { "X-Kind": "text" } });
  });
  try {
    const raw = await rawExchange(srv.port, "HEAD /text HTTP/1.1\r\nHost: x\r\n\r\nHEAD /null HTTP/1.1\r\nHost: x\r\n\r\nHEAD /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /text HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { idleMs: 3000 });
    const rs = parseResponses(raw.data, [true, true, true, false]);
    assert.equal(rs.length, 4);
    assert.equal(rs[0]!.header("content-length"), "10");
    assert.equal(rs[1]!.header("content-length"), "1234", "the app's length passes for HEAD");
    assert.equal(rs[2]!.header("x-kind"), "stream");
    assert.equal(rs[2]!.header("content-length"), undefined);
    assert.equal(rs[2]!.header("transfer-encoding"), undefined);
    assert.equal(rs[3]!.body.toString(), "hello head", "the next response follows directly: no body bytes were sent for HEAD");
    await waitFor(() => cancelled === 1, 2000, "the stream of the HEAD response cancelled");
    const c = await curl(["-I", `${srv.url}/text`]);
    assert.match(c.stdout, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(c.stdout, /content-length: 10\r\n/);
  } finally {
    await srv.stop();
  }
});

test("large upload: 8 MiB POST body reaches the app intact", async () => {
  const srv = startServer(fetchHandler(async (req) => {
    const b = Buffer.from(await req.arrayBuffer());
    return Response.json({ size: b.length, sha: createHash("sha256").update(b).digest("hex"), type: req.headers.get("content-type") });
  }), { maxBodySize: 32 * 1024 * 1024 });
  try {
    const body = randomBytes(8 * 1024 * 1024);
    const r = await fetch(`${srv.url}/upload`, { method: "POST", body, headers: { "Content-Type": "application/octet-stream" } });
    assert.deepEqual(await r.json(), { size: body.length, sha: createHash("sha256").update(body).digest("hex"), type: "application/octet-stream" });
    // And chunked from curl (-T - with stdin sends Transfer-Encoding: chunked).
    const c = await curl(["-T", "-", "-H", "Content-Type: x/y", `${srv.url}/up2`]);
    assert.equal(c.code, 0);
    assert.deepEqual(JSON.parse(c.stdout), { size: 0, sha: createHash("sha256").update(Buffer.alloc(0)).digest("hex"), type: "x/y" });
  } finally {
    await srv.stop();
  }
});

test("client disconnect mid-stream: the body is cancelled, request.signal aborts, no crash, no connection left", async () => {
  let cancelled = 0, aborted = 0, produced = 0, pullsAfterCancel = 0;
  let streaming: Connection | undefined;
  let untouched: Request | undefined;
  const srv = serve((req, env) => {
    streaming = env.conn;
    // The signal is watched from the start on /ticks; /quiet only looks at it afterwards.
    if (new URL(req.url).pathname === "/quiet") untouched = req;
    else req.signal.addEventListener("abort", () => { aborted++; });
    let gone = false;
    return new Response(new ReadableStream<Uint8Array>({
      async pull(c) {
        if (gone) pullsAfterCancel++;
        await sleep(5);
        produced++;
        c.enqueue(enc.encode(`tick ${produced}\n`));
      },
      cancel() { cancelled++; gone = true; },
    }));
  });
  try {
    for (const how of ["fetch-abort", "socket-destroy"]) {
      const before = cancelled;
      if (how === "fetch-abort") {
        const ac = new AbortController();
        const res = await fetch(`${srv.url}/ticks`, { signal: ac.signal });
        const reader = res.body!.getReader();
        const first = await reader.read();
        assert.match(new TextDecoder().decode(first.value), /^tick/);
        ac.abort();
      } else {
        const cl = rawClient(srv.port);
        await cl.connected;
        cl.sock.write("GET /ticks HTTP/1.1\r\nHost: x\r\n\r\n");
        await waitFor(() => cl.data().includes("tick"), 5000, "first tick");
        cl.sock.destroy();
      }
      await waitFor(() => cancelled === before + 1, 5000, `stream cancelled (${how})`);
      // (Node's fetch may open a spare connection of its own meanwhile: only the streaming one is watched.)
      const conn = streaming!;
      await waitFor(() => !srv.manager.connections.includes(conn), 5000, `server connection closed (${how})`);
    }
    assert.equal(aborted, 2, "request.signal aborted on each disconnect");
    // A signal first read after the disconnect is already aborted.
    const cl = rawClient(srv.port);
    await cl.connected;
    cl.sock.write("GET /quiet HTTP/1.1\r\nHost: x\r\n\r\n");
    await waitFor(() => cl.data().includes("tick"), 5000, "first tick");
    const quietConn = streaming!;
    cl.sock.destroy();
    await waitFor(() => !srv.manager.connections.includes(quietConn), 5000, "quiet connection closed");
    assert.equal(untouched!.signal.aborted, true);
    assert.equal((untouched!.signal.reason as Error).name, "AbortError");
    await sleep(50);
    assert.equal(pullsAfterCancel, 0, "nothing pulled after cancel");
    assert.equal(srv.errors.length, 0, "a disconnect is not an error");
    const r = await curl(["-s", "-o", "/dev/null", "--max-time", "2", "-w", "%{http_code}", `${srv.url}/still`]);
    assert.equal(r.stdout, "200", "the server still answers");
  } finally {
    await srv.stop();
  }
});

test("slow reader: a long stream waits for the socket instead of queueing in memory, then every byte arrives", async () => {
  const TOTAL = 48 * 1024 * 1024, CHUNK = 64 * 1024;
  let produced = 0;
  const srv = serve(() => new Response(new ReadableStream<Uint8Array>({
    pull(c) {
      if (produced >= TOTAL) { c.close(); return; }
      const b = new Uint8Array(CHUNK).fill(97 + ((produced / CHUNK) % 26));
      produced += CHUNK;
      c.enqueue(b);
    },
  }, { highWaterMark: 0 })));
  const cl = rawClient(srv.port);
  try {
    await cl.connected;
    cl.sock.pause();
    cl.sock.write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
    // Wait until production stops: the server waits for the paused client.
    let last = -1, stable = 0;
    while (stable < 10) {
      await sleep(20);
      if (produced === last) stable++; else { stable = 0; last = produced; }
      assert.ok(produced < TOTAL, "the whole stream was produced for a client that does not read");
    }
    const conn = serverConns(srv.manager)[0]!;
    assert.ok(conn.sendLen < 4 * 1024 * 1024, `send queue ${conn.sendLen}`);
    assert.ok(produced < 24 * 1024 * 1024, `produced ${produced} bytes ahead of a paused reader`);
    cl.sock.resume();
    await waitFor(() => { const r = parseResponses(cl.data(), [], true); return r.length === 1; }, 30000, "whole response");
    const [r] = parseResponses(cl.data());
    assert.equal(r!.body.length, TOTAL);
    assert.equal(r!.body[0], 97);
    assert.equal(r!.body[TOTAL - 1], 97 + ((TOTAL / CHUNK - 1) % 26));
    await waitFor(() => conn._onWritable === undefined, 2000, "hold released");
    assert.equal(srv.errors.length, 0);
  } finally {
    cl.sock.destroy();
    await srv.stop();
  }
});

test("a paused client that disconnects while the stream waits for the socket: the stream is cancelled and released", async () => {
  let produced = 0, cancelled = 0;
  let response: Response | undefined;
  const srv = serve(() => (response = new Response(new ReadableStream<Uint8Array>({
    pull(c) { produced += 65536; c.enqueue(new Uint8Array(65536)); },
    cancel() { cancelled++; },
  }, { highWaterMark: 0 }))));
  const cl = rawClient(srv.port);
  try {
    await cl.connected;
    cl.sock.pause();
    cl.sock.write("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n");
    await waitFor(() => produced > 1024 * 1024, 5000, "server streaming");
    const conn = serverConns(srv.manager)[0]!;
    // Let the writer come to wait for the socket to drain.
    let last = -1, stable = 0;
    while (stable < 5) { await sleep(20); if (produced === last) stable++; else { stable = 0; last = produced; } }
    assert.ok(conn.sendLen > 0 && conn._onWritable !== undefined, "waiting for the socket");
    assert.equal(response!.body!.locked, true);
    cl.sock.destroy();
    await waitFor(() => cancelled === 1, 5000, "stream cancelled");
    await waitFor(() => !srv.manager.connections.includes(conn), 5000, "connection closed");
    // The writer that waited for the socket finished too: it let go of the body.
    await waitFor(() => !response!.body!.locked, 5000, "body released by the adapter");
    const n = produced;
    await sleep(30);
    assert.equal(produced, n, "no more pulls");
    assert.equal(srv.errors.length, 0);
  } finally {
    cl.sock.destroy();
    await srv.stop();
  }
});

test("HTTP/1.0: a stream is delimited by closing the connection; a whole body has a length and keep-alive is honoured", async () => {
  const srv = serve((req) => new URL(req.url).pathname === "/stream"
    ? new Response(gatedStream(3, () => sleep(10)))
    : new Response("whole"));
  try {
    const s = await rawExchange(srv.port, "GET /stream HTTP/1.0\r\n\r\n", { idleMs: 3000 });
    assert.ok(s.closed);
    const text = s.data.toString();
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(text, /transfer-encoding/i);
    assert.match(text, /connection: close\r\n/);
    assert.ok(text.endsWith("\r\n\r\npart 0;part 1;part 2;"));
    const w = await rawExchange(srv.port, "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n", { idleMs: 2000 });
    const rs = parseResponses(w.data);
    assert.equal(rs.length, 2);
    assert.equal(rs[0]!.header("connection"), "keep-alive");
    assert.equal(rs[1]!.header("connection"), "close");
    assert.ok(w.closed);
  } finally {
    await srv.stop();
  }
});

test("a client that half-closes right after its request still gets the (async) response", async () => {
  const srv = serve(async () => { await sleep(50); return new Response("late but complete"); });
  try {
    const r = await rawExchange(srv.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", { end: true, idleMs: 2000 });
    const [res] = parseResponses(r.data);
    assert.equal(res!.body.toString(), "late but complete");
    assert.ok(r.closed);
  } finally {
    await srv.stop();
  }
});

test("requests a Request cannot express: bad Host, a target that is not a path, CONNECT -> 400 and close", async () => {
  let called = 0;
  const srv = serve(() => { called++; return new Response("no"); });
  try {
    for (const req of [
      "GET /x HTTP/1.1\r\nHost: evil.test/other?\r\n\r\n",
      "GET /x HTTP/1.1\r\nHost: a@b\r\n\r\n",
      "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
      "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n",
    ]) {
      const r = await rawExchange(srv.port, req, { idleMs: 2000 });
      const text = r.data.toString();
      assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/, req);
      assert.ok(r.closed, req);
    }
    assert.equal(called, 0);
    // Absolute-form targets are accepted as they are (RFC 9112 section 3.2.2).
    let url = "";
    const srv2 = serve((req) => { url = req.url; return new Response("ok"); });
    try {
      const r = await rawExchange(srv2.port, "GET http://proxy.test/abs?q=1 HTTP/1.1\r\nHost: proxy.test\r\nConnection: close\r\n\r\n");
      assert.match(r.data.toString(), /^HTTP\/1\.1 200 OK/);
      assert.equal(url, "http://proxy.test/abs?q=1");
    } finally {
      await srv2.stop();
    }
  } finally {
    await srv.stop();
  }
});

test("over TLS the request URL is https://, and curl gets the answer", async () => {
  const cert = selfSignedCert();
  const srv = startServer(fetchHandler((req) => new Response(`${req.url} ${req.headers.get("host")}`)), { tls: { cert: cert.cert, key: cert.key } }, "https");
  try {
    const r = await curl(["--cacert", cert.certFile, `https://localhost:${srv.port}/secure?a=1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `https://localhost:${srv.port}/secure?a=1 localhost:${srv.port}`);
  } finally {
    await srv.stop();
    cert.cleanup();
  }
});

test("malformed, oversized and truncated requests are refused by the HTTP layer and never reach the app", async () => {
  let called = 0;
  const srv = Object.assign(startServer(fetchHandler(() => { called++; return new Response("app"); }), { maxBodySize: 1024 }), { errors: [] as unknown[] });
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
  assert.throws(() => fetchHandler(undefined as unknown as FetchApp), /app must be a function/);
  assert.throws(() => fetchHandler(() => new Response(""), { bufferLimit: -1 }), /bufferLimit/);
});

test("importing the package does not load Node's fetch implementation (only fetchHandler's first request does)", () => {
  // The global Request is a getter that loads undici (about 2 MB of heap); the adapter's
  // Request subclass is made on first use, so a program that never uses it does not pay.
  const entry = new URL("../../src/index.js", import.meta.url).href;
  const script = `await import(${JSON.stringify(entry)}); console.log(process.moduleLoadList.some((m) => m.includes("undici")));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }).trim();
  assert.equal(out, "false");
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
