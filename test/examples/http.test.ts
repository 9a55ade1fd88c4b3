// The HTTP guide's examples (examples/http/*.ts), run as programs and exercised by real
// peers: curl (HTTP/1.0, -F uploads, ranges, --raw chunked, -N for SSE), Node's fetch,
// and the client examples against servers started here.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, readdirSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { MG_EV_HTTP_MSG, type HttpMessage } from "../../src/index.js";
import { curl, rawExchange, run, startServer, leakCheckAfterAll } from "../helpers.js";
import { Child, examplePath, startExample, type RunningServer } from "./spawn.js";

/** Splits curl -i output into head and body (the first blank line). */
function splitResponse(out: Buffer): { head: string; body: Buffer } {
  const i = out.indexOf("\r\n\r\n");
  assert.ok(i > 0, `no head in ${out.toString("latin1").slice(0, 200)}`);
  return { head: out.subarray(0, i).toString("latin1"), body: out.subarray(i + 4) };
}

/**
 * fetch() for servers that drain() after every response, as the guide's examples do.
 * The response does not say "Connection: close", so fetch's pool may reuse the
 * connection as the server closes it ("other side closed"); asking for close avoids
 * that race (see the basic-server test below that shows it).
 */
function fetchClose(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), Connection: "close" } });
}

function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tsmongoose-${prefix}-`));
}

/** Bytes that look like multipart and chunked framing, to trip naive parsers. */
function trickyBytes(n: number): Buffer {
  const b = randomBytes(n);
  const traps = ["\r\n--", "\r\n\r\n", "--boundary", "\r\n0\r\n\r\n", "Content-Disposition: form-data"];
  for (let i = 0; i + 40 < n; i += 997) b.write(traps[i % traps.length]!, i, "latin1");
  return b;
}

// ---- basic-server -------------------------------------------------------------------------

describe("examples/http/basic-server", () => {
  let s: RunningServer;
  before(async () => { s = await startExample("http/basic-server"); });
  after(() => s.stop());

  it("answers curl's HTTP/1.0 request with the guide's JSON and prints the request line", async () => {
    const r = await curl(["--http1.0", "-i", `${s.url}/hello?x=1`]);
    assert.equal(r.code, 0);
    const { head, body } = splitResponse(r.stdoutBytes);
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head, /\r\nContent-Type: application\/json\r\n/i);
    assert.match(head, /\r\nContent-Length: 16(\r\n|$)/i);
    assert.equal(body.toString(), '{"status": "ok"}');
    await s.child.waitFor(/^GET \/hello$/m);
  });

  it("answers Node's fetch, and drain() closes the connection after each response", async () => {
    const r = await fetchClose(`${s.url}/api/thing`, { method: "PUT", body: "x" });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: "ok" });
    await s.child.waitFor(/^PUT \/api\/thing$/m);
    // A keep-alive request is answered, then drain() closes the connection.
    const raw = await rawExchange(s.port, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 3000 });
    assert.equal(raw.closed, true, "closed by the server");
    assert.match(raw.data.toString("latin1"), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n\{"status": "ok"\}$/);
  });

  // RFC 9112 section 9.6: a server that is going to close the connection after a
  // response should say so with "Connection: close" in it. The guide's reply() + drain()
  // closes a keep-alive connection without saying so, and a keep-alive client (Node's
  // fetch, browsers) may reuse it meanwhile: in a loop of 300 fetches a few fail with
  // "other side closed".
  it("a response followed by drain() says Connection: close", async () => {
    const raw = await rawExchange(s.port, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 3000 });
    assert.equal(raw.closed, true);
    const text = raw.data.toString("latin1");
    assert.match(text.slice(0, text.indexOf("\r\n\r\n")), /\r\nConnection: close(\r\n|$)/i);
  });
});

// ---- request-data -----------------------------------------------------------------------------

describe("examples/http/request-data", () => {
  let s: RunningServer;
  before(async () => { s = await startExample("http/request-data"); });
  after(async () => { assert.equal(await s.stop(), 0, "run() ends with a graceful close on SIGTERM"); });

  interface Echo {
    method: string; uri: string; query: string; userId?: string; contentType?: string; auth?: string;
    proto: string; headers: [string, string][]; bodyLength: number; bodyText: string;
  }

  it("gives method, path, query, decoded query variable, headers and body (fetch)", async () => {
    const r = await fetch(`${s.url}/api/users/123?id=a%20b&name=foo`, {
      method: "POST",
      headers: { Authorization: "Bearer t0ken", "Content-Type": "text/plain; charset=utf-8", "X-Custom": "one" },
      body: "héllo wörld",
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "application/json");
    const e = await r.json() as Echo;
    assert.equal(e.method, "POST");
    assert.equal(e.uri, "/api/users/123");
    assert.equal(e.query, "id=a%20b&name=foo");
    assert.equal(e.userId, "a b");
    assert.equal(e.contentType, "text/plain; charset=utf-8");
    assert.equal(e.auth, "Bearer t0ken");
    assert.equal(e.proto, "HTTP/1.1");
    assert.ok(e.headers.some(([n, v]) => n.toLowerCase() === "x-custom" && v === "one"), JSON.stringify(e.headers));
    assert.equal(e.bodyText, "héllo wörld");
    assert.equal(e.bodyLength, Buffer.byteLength("héllo wörld"));
    // The example prints every header.
    await s.child.waitFor(/^x-custom: one$/im);
  });

  it("HTTP/1.0 from curl with a binary body and repeated headers", async () => {
    const dir = tmp("reqdata");
    const body = trickyBytes(70_000);
    writeFileSync(join(dir, "body.bin"), body);
    const r = await curl(["--http1.0", "-H", "X-Dup: a", "-H", "X-Dup: b", "-H", "Content-Type: application/octet-stream",
      "--data-binary", `@${join(dir, "body.bin")}`, `${s.url}/upload?id=7`]);
    rmSync(dir, { recursive: true });
    assert.equal(r.code, 0, r.stderr);
    const e = JSON.parse(r.stdout) as Echo;
    assert.equal(e.proto, "HTTP/1.0");
    assert.equal(e.userId, "7");
    assert.equal(e.bodyLength, body.length);
    assert.deepEqual(e.headers.filter(([n]) => n === "X-Dup").map(([, v]) => v), ["a", "b"]);
  });

  it("a request without query or body gives empty strings and undefined variables", async () => {
    const e = await (await fetch(`${s.url}/`)).json() as Echo;
    assert.equal(e.query, "");
    assert.equal(e.userId, undefined);
    assert.equal(e.contentType, undefined);
    assert.equal(e.bodyLength, 0);
    assert.equal(e.bodyText, "");
  });
});

// ---- routing ---------------------------------------------------------------------------------

describe("examples/http/routing", () => {
  let s: RunningServer;
  before(async () => { s = await startExample("http/routing"); });
  after(() => s.stop());

  it("GET / is the home page", async () => {
    const r = await fetchClose(`${s.url}/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "text/plain");
    assert.equal(await r.text(), "Home page");
    const c = await curl(["--http1.0", `${s.url}/`]);
    assert.equal(c.stdout, "Home page");
  });

  it("GET /api/users/:id, POST /api/users creates one that GET then finds", async () => {
    assert.deepEqual(await (await fetchClose(`${s.url}/api/users/1`)).json(), { id: 1, name: "Alice" });
    const created = await fetchClose(`${s.url}/api/users`, { method: "POST", body: JSON.stringify({ name: "Bob" }) });
    assert.equal(created.status, 201);
    const bob = await created.json() as { id: number; name: string };
    assert.equal(bob.name, "Bob");
    assert.equal(created.headers.get("location"), `/api/users/${bob.id}`);
    assert.deepEqual(await (await fetchClose(`${s.url}/api/users/${bob.id}`)).json(), bob);
    const missing = await fetchClose(`${s.url}/api/users/999`);
    assert.equal(missing.status, 404);
  });

  it("bad input to POST /api/users is a 400", async () => {
    for (const body of ["not json", "{}", '{"name": 5}', '{"name": ""}']) {
      const r = await fetchClose(`${s.url}/api/users`, { method: "POST", body });
      assert.equal(r.status, 400, body);
      assert.ok(((await r.json()) as { error: string }).error);
    }
  });

  it("anything else is the guide's JSON 404", async () => {
    for (const [method, path] of [["GET", "/nope"], ["DELETE", "/api/users/1"], ["PUT", "/api/users"], ["GET", "/api/users"]] as const) {
      const r = await fetchClose(`${s.url}${path}`, { method });
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(r.headers.get("content-type"), "application/json");
      assert.deepEqual(await r.json(), { error: "Not found" });
    }
  });
});

// ---- static-files ----------------------------------------------------------------------------

describe("examples/http/static-files", () => {
  const shipped = fileURLToPath(new URL("../../../examples/http/public", import.meta.url));
  let s: RunningServer;     // the example's own public/ folder (its default)
  let big: RunningServer;   // a temporary root holding a larger file
  let root: string;
  const bigFile = randomBytes(3 * 1024 * 1024 + 123);

  before(async () => {
    root = tmp("static");
    mkdirSync(join(root, "static"));
    writeFileSync(join(root, "static", "big.bin"), bigFile);
    writeFileSync(join(root, "secret.txt"), "outside /static/ but inside the root\n");
    s = await startExample("http/static-files");
    big = await startExample("http/static-files", ["http://127.0.0.1:0", root]);
  });
  after(async () => {
    await Promise.all([s.stop(), big.stop()]);
    rmSync(root, { recursive: true });
  });

  it("serves /static/ files with the guide's Cache-Control header, HTTP/1.0 too", async () => {
    const expected = readFileSync(join(shipped, "static", "hello.txt"));
    for (const v of [[], ["--http1.0"]]) {
      const r = await curl([...v, "-i", `${s.url}/static/hello.txt`]);
      const { head, body } = splitResponse(r.stdoutBytes);
      assert.match(head, /^HTTP\/1\.1 200 /);
      assert.match(head, /\r\nCache-Control: max-age=3600(\r\n|$)/i);
      assert.match(head, /\r\nContent-Type: text\/plain/i);
      assert.deepEqual(body, expected);
    }
  });

  it("serves index.html for /static/ and the favicon as one file", async () => {
    const page = await fetch(`${s.url}/static/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(await page.text(), /Served by conn\.serveDir\(\)/);
    const icon = await fetch(`${s.url}/favicon.ico`);
    assert.equal(icon.status, 200);
    assert.match(icon.headers.get("content-type") ?? "", /icon/);
    assert.deepEqual(Buffer.from(await icon.arrayBuffer()), readFileSync(join(shipped, "favicon.ico")));
  });

  it("answers other paths dynamically", async () => {
    const r = await fetchClose(`${s.url}/anything`);
    assert.equal(await r.text(), "Hello!");
  });

  it("Range requests: 206 with the right bytes, 416 past the end", async () => {
    const r = await curl(["-i", "-r", "0-4", `${s.url}/static/hello.txt`]);
    const { head, body } = splitResponse(r.stdoutBytes);
    assert.match(head, /^HTTP\/1\.1 206 /);
    assert.match(head, /\r\nContent-Range: bytes 0-4\/26(\r\n|$)/i);
    assert.equal(body.toString(), "Hello");

    const mid = await curl(["-r", "1000000-1000099", `${big.url}/static/big.bin`]);
    assert.deepEqual(mid.stdoutBytes, bigFile.subarray(1000000, 1000100));
    const tail = await curl(["-r", "-10", `${big.url}/static/big.bin`]);
    assert.deepEqual(tail.stdoutBytes, bigFile.subarray(bigFile.length - 10));

    const past = await curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-r", `${bigFile.length + 10}-`, `${big.url}/static/big.bin`]);
    assert.equal(past.stdout, "416");
  });

  it("streams a 3 MiB file whole, and HEAD gives its length without the body", async () => {
    const r = await curl([`${big.url}/static/big.bin`]);
    assert.equal(r.stdoutBytes.length, bigFile.length);
    assert.ok(r.stdoutBytes.equals(bigFile), "same bytes");
    const h = await curl(["-I", `${big.url}/static/big.bin`]);
    assert.match(h.stdout, /^HTTP\/1\.1 200 /);
    assert.match(h.stdout, new RegExp(`\\r\\nContent-Length: ${bigFile.length}\\r\\n`, "i"));
  });

  it("a second GET with the ETag is a 304", async () => {
    const first = await fetch(`${s.url}/static/hello.txt`);
    await first.arrayBuffer();
    const etag = first.headers.get("etag");
    assert.ok(etag, "an ETag header");
    const again = await fetch(`${s.url}/static/hello.txt`, { headers: { "If-None-Match": etag } });
    assert.equal(again.status, 304);
  });

  it("refuses to leave the root", async () => {
    for (const path of ["/static/../../../../../etc/passwd", "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/static/..%2f..%2f..%2f..%2fetc/passwd"]) {
      const r = await curl(["--path-as-is", "-s", "-w", "\n%{http_code}", `${big.url}${path}`]);
      const code = Number(r.stdout.slice(r.stdout.lastIndexOf("\n") + 1));
      assert.ok(code >= 400 && code < 500, `${path}: ${code}`);
      assert.doesNotMatch(r.stdout, /root:/, path);
    }
  });
});

// ---- responses -------------------------------------------------------------------------------

describe("examples/http/responses", () => {
  let s: RunningServer;
  before(async () => { s = await startExample("http/responses"); });
  after(() => s.stop());

  it("a simple response is text/plain", async () => {
    const r = await fetch(`${s.url}/simple`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "text/plain");
    assert.equal(await r.text(), "OK");
  });

  it("extra headers are sent as given", async () => {
    const r = await fetch(`${s.url}/headers`);
    assert.equal(r.headers.get("x-request-id"), "12345");
    assert.equal(r.headers.get("content-type"), "application/json");
    assert.deepEqual(await r.json(), { status: "ok" });
  });

  it("JSON by hand and with replyJson() are the same", async () => {
    const expected = { users: [{ id: 1, name: "Alice" }, { id: 2, name: "Bob" }], count: 2 };
    for (const path of ["/json", "/json-short"]) {
      const r = await fetch(`${s.url}${path}`);
      assert.equal(r.headers.get("content-type"), "application/json", path);
      assert.deepEqual(await r.json(), expected, path);
    }
  });

  it("HTML, also to an HTTP/1.0 client", async () => {
    const r = await curl(["--http1.0", "-i", `${s.url}/html`]);
    const { head, body } = splitResponse(r.stdoutBytes);
    assert.match(head, /\r\nContent-Type: text\/html\r\n/i);
    assert.match(body.toString(), /<h1>Hello, World!<\/h1>/);
  });

  it("the guide's status codes with their reason phrases and bodies", async () => {
    const table: [number, string, string][] = [
      [200, "OK", "OK"], [201, "Created", '{"id": 123}'], [204, "No Content", ""],
      [400, "Bad Request", "Bad Request"], [401, "Unauthorized", "Unauthorized"], [403, "Forbidden", "Forbidden"],
      [404, "Not Found", "Not Found"], [500, "Internal Server Error", "Internal Server Error"],
      [503, "Service Unavailable", "Service Unavailable"],
    ];
    for (const [code, reason, body] of table) {
      const r = await fetch(`${s.url}/status/${code}`);
      assert.equal(r.status, code);
      assert.equal(r.statusText, reason);
      assert.equal(await r.text(), body, `body of ${code}`);
      if (code === 204) assert.equal(r.headers.get("content-length"), null, "204 has no Content-Length");
    }
  });
});

// ---- chunked -------------------------------------------------------------------------------

describe("examples/http/chunked", () => {
  let s: RunningServer;
  const lines = Array.from({ length: 100 }, (_, i) => `Chunk ${i}\n`).join("");
  before(async () => { s = await startExample("http/chunked"); });
  after(() => s.stop());

  it("curl decodes the 100 chunks", async () => {
    const r = await curl(["-i", `${s.url}/`]);
    const { head, body } = splitResponse(r.stdoutBytes);
    assert.match(head, /\r\nTransfer-Encoding: chunked(\r\n|$)/i);
    assert.doesNotMatch(head, /Content-Length/i);
    assert.equal(body.toString(), lines);
  });

  it("on the wire: one chunk per httpChunk() call and the last chunk", async () => {
    const r = await curl(["--raw", `${s.url}/`]);
    assert.ok(r.stdout.startsWith("8\r\nChunk 0\n\r\n8\r\nChunk 1\n\r\n"), r.stdout.slice(0, 40));
    assert.ok(r.stdout.includes("9\r\nChunk 10\n\r\n"));
    assert.ok(r.stdout.endsWith("9\r\nChunk 99\n\r\n0\r\n\r\n"));
  });

  it("fetch reads it, and the connection stays usable for pipelined requests", async () => {
    assert.equal(await (await fetch(`${s.url}/a`)).text(), lines);
    const raw = await rawExchange(s.port, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 1000 });
    const text = raw.data.toString("latin1");
    assert.equal(text.split("HTTP/1.1 200 OK").length - 1, 2);
    assert.equal(text.split("0\r\n\r\n").length - 1, 2);
  });

  // RFC 9112 section 6.1: "A server MUST NOT send a response containing Transfer-Encoding
  // unless the corresponding request indicates HTTP/1.1 (or later minor revisions)."
  // The HTTP/1.0 client gets the bytes as they are and the end of the connection ends them.
  it("an HTTP/1.0 client gets the body without chunk framing (RFC 9112 6.1)", async () => {
    const raw = await rawExchange(s.port, "GET / HTTP/1.0\r\n\r\n", { idleMs: 2000 });
    const text = raw.data.toString("latin1");
    const end = text.indexOf("\r\n\r\n");
    assert.doesNotMatch(text.slice(0, end), /Transfer-Encoding/i);
    assert.equal(text.slice(end + 4), lines);
    assert.equal(raw.closed, true);
  });
});

// ---- sse ---------------------------------------------------------------------------------------

interface SseEvent { event: string; data: string }
function parseSse(text: string): SseEvent[] {
  const out: SseEvent[] = [];
  for (const block of text.replaceAll("\r\n", "\n").split("\n\n")) {
    let event = "", data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data.push(line.slice(6));
    }
    if (data.length > 0) out.push({ event, data: data.join("\n") });
  }
  return out;
}

describe("examples/http/sse", () => {
  let s: RunningServer;
  const peers: Child[] = [];
  before(async () => { s = await startExample("http/sse", ["http://127.0.0.1:0"], { SSE_INTERVAL_MS: "100" }); });
  after(async () => {
    await Promise.all(peers.map((p) => p.stop()));
    // A client still connected does not keep run() from ending cleanly.
    const keep = new Child("curl", ["-sN", `${s.url}/events`]);
    await s.child.waitFor(/client \d+ subscribed \(1 connected\)/);
    assert.equal(await s.stop(), 0);
    await keep.stop();
  });

  it("curl -N receives the timer's broadcast as event: update lines, head without Content-Length", async () => {
    const c = new Child("curl", ["-sN", "-i", `${s.url}/events`]);
    peers.push(c);
    await c.waitFor(/(event: update\ndata: [^\n]*\n\n[^]*){3}/);
    await c.stop();
    const { head, body } = splitResponse(c.stdoutBytes);
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head, /\r\nContent-Type: text\/event-stream(\r\n|$)/i);
    assert.match(head, /\r\nCache-Control: no-cache(\r\n|$)/i);
    assert.doesNotMatch(head, /Content-Length/i);
    const events = parseSse(body.toString());
    assert.ok(events.length >= 3);
    const ns = events.map((e) => (JSON.parse(e.data) as { n: number }).n);
    for (let i = 1; i < ns.length; i++) assert.equal(ns[i], ns[i - 1]! + 1, `consecutive: ${ns}`);
    assert.ok(events.every((e) => e.event === "update"));
  });

  it("every client gets the same broadcast; a client that left is removed by the try/catch", async () => {
    const a = new Child("curl", ["-sN", `${s.url}/events`]);
    const b = new Child("curl", ["-sN", `${s.url}/events`]);
    peers.push(a, b);
    await a.waitFor(/(data: [^\n]*\n\n[^]*){3}/);
    await b.waitFor(/(data: [^\n]*\n\n[^]*){3}/);
    const na = new Set(parseSse(a.stdout).map((e) => e.data));
    const nb = parseSse(b.stdout).map((e) => e.data);
    assert.ok(nb.some((d) => na.has(d)), "one broadcast reached both");
    const before = (s.child.stdout.match(/removed/g) ?? []).length;
    await a.stop();
    // The next broadcast finds a's connection closed: httpSse() throws and it is removed.
    await s.child.waitFor(new RegExp(`(removed[^]*){${before + 1}}`));
    const seen = parseSse(b.stdout).length;
    await b.waitFor((out) => parseSse(out).length > seen + 1); // b still receives
    await b.stop();
  });

  it("Node's fetch reads the stream; other paths give the EventSource page", async () => {
    const ac = new AbortController();
    const r = await fetch(`${s.url}/events`, { signal: ac.signal });
    assert.equal(r.headers.get("content-type"), "text/event-stream");
    const reader = r.body!.getReader();
    let text = "";
    while (parseSse(text).length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    ac.abort();
    assert.equal(parseSse(text)[0]!.event, "update");
    const page = await fetch(`${s.url}/`);
    assert.match(await page.text(), /new EventSource\("\/events"\)/);
  });
});

// ---- upload -----------------------------------------------------------------------------------

describe("examples/http/upload", () => {
  let s: RunningServer;
  let dir: string;     // where the example saves
  let work: string;    // files to upload
  before(async () => {
    dir = join(tmp("upload"), "uploads");
    work = tmp("upload-src");
    s = await startExample("http/upload", ["http://127.0.0.1:0", dir]);
  });
  after(async () => {
    await s.stop();
    rmSync(join(dir, ".."), { recursive: true });
    rmSync(work, { recursive: true });
  });

  it("curl -F saves the file byte for byte", async () => {
    const data = trickyBytes(300_000);
    writeFileSync(join(work, "data.bin"), data);
    const r = await curl(["-F", `file=@${join(work, "data.bin")}`, `${s.url}/upload`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { status: "uploaded" });
    assert.ok(readFileSync(join(dir, "data.bin")).equals(data), "saved bytes equal the upload");
    await s.child.waitFor(/Uploaded: .*data\.bin \(300000 bytes\)/);
  });

  it("several files and a plain field in one form; an empty file; HTTP/1.0", async () => {
    writeFileSync(join(work, "a.txt"), "first file\r\n--not a boundary\r\n");
    writeFileSync(join(work, "b.bin"), trickyBytes(5000));
    writeFileSync(join(work, "empty.txt"), "");
    const r = await curl(["--http1.0", "-F", `one=@${join(work, "a.txt")}`, "-F", "note=just text",
      "-F", `two=@${join(work, "b.bin")}`, "-F", `three=@${join(work, "empty.txt")}`, `${s.url}/upload`]);
    assert.equal(r.code, 0, r.stderr);
    for (const name of ["a.txt", "b.bin", "empty.txt"]) {
      assert.ok(readFileSync(join(dir, name)).equals(readFileSync(join(work, name))), name);
    }
    assert.ok(!existsSync(join(dir, "note")), "a field without a filename is not a file");
  });

  it("a 5 MiB upload", async () => {
    const data = randomBytes(5 * 1024 * 1024);
    writeFileSync(join(work, "large.bin"), data);
    const r = await curl(["-F", `file=@${join(work, "large.bin")}`, `${s.url}/upload`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(join(dir, "large.bin")).equals(data));
  });

  it("a file name with a path cannot write outside the upload folder", async () => {
    writeFileSync(join(work, "x.txt"), "escape attempt");
    const before = readdirSync(join(dir, ".."));
    const r = await curl(["-F", `file=@${join(work, "x.txt")};filename=../../escape.txt`, `${s.url}/upload`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(join(dir, "..")), before, "nothing new next to the upload folder");
    assert.equal(readFileSync(join(dir, "escape.txt"), "utf8"), "escape attempt");
  });

  it("GET shows the upload form", async () => {
    const r = await fetch(`${s.url}/`);
    assert.match(await r.text(), /enctype="multipart\/form-data"/);
  });
});

// ---- clients -----------------------------------------------------------------------------------

describe("examples/http/http-client-get and http-client-post", () => {
  it("GET: sends the guide's request and prints status and body", async () => {
    let got: HttpMessage | undefined;
    const srv = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) { got = data; c.replyJson({ data: [1, 2, 3] }); }
    });
    try {
      const r = await run(process.execPath, [examplePath("http/http-client-get"), `${srv.url}/api/data`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Status: 200$/m);
      assert.match(r.stdout, /^Body: \{"data":\[1,2,3\]\}$/m);
      assert.equal(got?.method, "GET");
      assert.equal(got?.uri, "/api/data");
      assert.equal(got?.proto, "HTTP/1.1");
      assert.equal(got?.header("Host"), `127.0.0.1:${srv.port}`);
    } finally {
      await srv.stop();
    }
  });

  it("GET: a chunked response is decoded (against the chunked example)", async () => {
    const s = await startExample("http/chunked");
    try {
      const r = await run(process.execPath, [examplePath("http/http-client-get"), `${s.url}/`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Body: Chunk 0\nChunk 1\n[^]*Chunk 99\n/m);
    } finally {
      await s.stop();
    }
  });

  it("GET: nothing listening is an error and exit code 1", async () => {
    const srv = startServer(() => undefined);
    const port = srv.port;
    await srv.stop(); // the port is free now
    const r = await run(process.execPath, [examplePath("http/http-client-get"), `http://127.0.0.1:${port}/`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: .*ECONNREFUSED/m);
  });

  it("POST: JSON body with its Content-Length", async () => {
    let got: HttpMessage | undefined;
    const srv = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) { got = data; c.reply(201, '{"id": 7}', { "Content-Type": "application/json" }); }
    });
    try {
      const r = await run(process.execPath, [examplePath("http/http-client-post"), `${srv.url}/api/users`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Status: 201$/m);
      assert.match(r.stdout, /^Body: \{"id": 7\}$/m);
      assert.equal(got?.method, "POST");
      assert.equal(got?.uri, "/api/users");
      assert.equal(got?.header("Content-Type"), "application/json");
      assert.equal(got?.header("Content-Length"), "16");
      assert.deepEqual(JSON.parse(got!.bodyText), { name: "Alice" });
    } finally {
      await srv.stop();
    }
  });

  it("POST against the routing example creates Alice", async () => {
    const s = await startExample("http/routing");
    try {
      const r = await run(process.execPath, [examplePath("http/http-client-post"), `${s.url}/api/users`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Status: 201$/m);
      const id = Number(/"id":(\d+)/.exec(r.stdout)?.[1]);
      assert.deepEqual(await (await fetchClose(`${s.url}/api/users/${id}`)).json(), { id, name: "Alice" });
    } finally {
      await s.stop();
    }
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
