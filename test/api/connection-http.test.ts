// API.md "Connection", HTTP and WebSocket methods: reply, replyJson, serveDir, serveFile,
// httpChunk, httpSse, httpBasicAuth, wsUpgrade, wsSend, with curl, fetch and the ws package.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import WebSocket from "ws";
import {
  Manager, MG_EV_CONNECT, MG_EV_HTTP_MSG, MG_EV_WS_MSG, MG_EV_WS_OPEN, MG_EV_WS_CTL,
  WEBSOCKET_OP_BINARY, WEBSOCKET_OP_TEXT, WEBSOCKET_OP_PING,
} from "../../src/index.js";
import { curl, rawExchange, startLoop, startServer, waitFor, type TestServer, leakCheckAfterAll } from "../helpers.js";

/** A Uint8Array that is not a Buffer: API.md accepts any string | Uint8Array. */
function u8(s: string): Uint8Array {
  return new Uint8Array(new TextEncoder().encode(s));
}

/** Splits a raw HTTP response into head (lines) and body. */
function parseRaw(b: Buffer): { status: number; headers: [string, string][]; body: Buffer } {
  const i = b.indexOf("\r\n\r\n");
  assert.ok(i > 0, `no response head in ${JSON.stringify(b.toString("latin1").slice(0, 200))}`);
  const lines = b.subarray(0, i).toString("latin1").split("\r\n");
  const status = Number(lines[0]!.split(" ")[1]);
  const headers = lines.slice(1).map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()] as [string, string]);
  return { status, headers, body: b.subarray(i + 4) };
}
function values(h: [string, string][], name: string): string[] {
  return h.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
}

// ---- HTTP ------------------------------------------------------------------------------------

describe("Connection: reply and replyJson", () => {
  let s: TestServer;
  before(() => {
    s = startServer((c, ev, data) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      switch (data.uri) {
        case "/plain": c.reply(200, "hello"); break;
        case "/default": c.reply(200); break;
        case "/typed": c.reply(200, "{}", { "Content-Type": "application/json" }); break;
        case "/lower": c.reply(200, "<b>x</b>", { "content-type": "text/html" }); break;
        case "/bytes": c.reply(200, u8("bytes body")); break;
        case "/utf8": c.reply(200, "héllo"); break;
        case "/201": c.reply(201, '{"id": 123}'); break;
        case "/204": c.reply(204, ""); break;
        case "/json": c.replyJson({ a: [1, "two"], b: null }); break;
        case "/json201": c.replyJson({ id: 1 }, 201, { "X-Request-ID": "12345" }); break;
        case "/json404": c.replyJson({ error: "Not found" }, 404, "X-Why: gone"); break;
        case "/jsonstr": c.replyJson("text"); break;
        default: c.reply(404, "Not Found");
      }
    });
  });
  after(() => s.stop());

  async function get(path: string): Promise<ReturnType<typeof parseRaw>> {
    const r = await rawExchange(s.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, { idleMs: 2000 });
    return parseRaw(r.data);
  }

  it("reply adds Content-Length and Content-Type: text/plain", async () => {
    const r = await get("/plain");
    assert.equal(r.status, 200);
    assert.deepEqual(values(r.headers, "Content-Length"), ["5"]);
    assert.deepEqual(values(r.headers, "Content-Type"), ["text/plain"]);
    assert.equal(r.body.toString(), "hello");
  });

  it("reply(status) has an empty body with Content-Length: 0", async () => {
    const r = await get("/default");
    assert.deepEqual(values(r.headers, "Content-Length"), ["0"]);
    assert.equal(r.body.length, 0);
  });

  it("a given Content-Type (any case) replaces text/plain", async () => {
    for (const [p, t] of [["/typed", "application/json"], ["/lower", "text/html"]]) {
      const r = await get(p!);
      assert.deepEqual(values(r.headers, "Content-Type"), [t], p);
    }
  });

  it("body as Uint8Array and UTF-8 strings: Content-Length counts bytes", async () => {
    const a = await get("/bytes");
    assert.equal(a.body.toString(), "bytes body");
    assert.deepEqual(values(a.headers, "Content-Length"), ["10"]);
    const b = await get("/utf8");
    assert.equal(b.body.toString(), "héllo");
    assert.deepEqual(values(b.headers, "Content-Length"), ["6"]);
  });

  it("201 and 204 (no body) as the guide writes them; 204 keeps the connection usable", async () => {
    const a = await get("/201");
    assert.equal(a.status, 201);
    assert.equal(a.body.toString(), '{"id": 123}');
    const r = await rawExchange(s.port, "GET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { idleMs: 2000 });
    const text = r.data.toString("latin1");
    assert.match(text, /^HTTP\/1\.1 204 No Content\r\n/);
    assert.equal(text.split("HTTP/1.1 ").length, 3, "two responses");
    assert.match(text, /\r\n\r\nHTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nhello$/, "nothing between the 204 head and the next response");
  });

  it("replyJson(value): 200 application/json; replyJson(value, status, headers) with object or string headers", async () => {
    const a = await get("/json");
    assert.equal(a.status, 200);
    assert.deepEqual(values(a.headers, "Content-Type"), ["application/json"]);
    assert.deepEqual(JSON.parse(a.body.toString()), { a: [1, "two"], b: null });
    const b = await get("/json201");
    assert.equal(b.status, 201);
    assert.deepEqual(values(b.headers, "X-Request-ID"), ["12345"]);
    assert.deepEqual(values(b.headers, "Content-Type"), ["application/json"]);
    const c = await get("/json404");
    assert.equal(c.status, 404);
    assert.deepEqual(values(c.headers, "X-Why"), ["gone"]);
    assert.deepEqual(JSON.parse(c.body.toString()), { error: "Not found" });
    assert.equal((await get("/jsonstr")).body.toString(), '"text"');
  });

  it("fetch agrees", async () => {
    const r = await fetch(`${s.url}/json201`);
    assert.equal(r.status, 201);
    assert.equal(r.headers.get("x-request-id"), "12345");
    assert.deepEqual(await r.json(), { id: 1 });
  });
});

describe("Connection: serveDir and serveFile", () => {
  let dir: string;
  let s: TestServer;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "tsmongoose-api-static-"));
    mkdirSync(join(dir, "public", "css"), { recursive: true });
    mkdirSync(join(dir, "site"));
    writeFileSync(join(dir, "public", "a.txt"), "public a");
    writeFileSync(join(dir, "public", "css", "x.css"), "body{}");
    writeFileSync(join(dir, "public", "notes.md"), "# notes");
    writeFileSync(join(dir, "site", "index.html"), "<h1>site</h1>");
    writeFileSync(join(dir, "site", "a.txt"), "site a");
    writeFileSync(join(dir, "404.html"), "<p>custom 404</p>");
    writeFileSync(join(dir, "favicon.ico"), Buffer.from([0, 0, 1, 0]));
    // The mapping as API.md writes it: relative folders ("./public"), from the working directory.
    const rel = "./" + relative(process.cwd(), dir);
    const mapping = `/static=${rel}/public,/=${rel}/site`;
    s = startServer((c, ev, data) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      if (data.uri === "/favicon.ico") c.serveFile(data, join(dir, "favicon.ico"));
      else if (data.uri === "/file-extra") c.serveFile(data, join(dir, "public", "notes.md"), { extraHeaders: { "X-File": "1" }, mimeTypes: { md: "text/markdown" } });
      else if (data.uri.startsWith("/obj/")) c.serveDir(data, `/obj=${dir}/public`, { extraHeaders: { "Cache-Control": "max-age=60", "X-Extra": "yes" } });
      else if (data.uri.startsWith("/str/")) c.serveDir(data, `/str=${dir}/public`, { extraHeaders: "Cache-Control: max-age=3600", mimeTypes: "md=text/markdown" });
      else if (data.uri.startsWith("/p404/")) c.serveDir(data, `/p404=${dir}/public`, { page404: join(dir, "404.html") });
      else c.serveDir(data, mapping);
    });
  });
  after(async () => { await s.stop(); rmSync(dir, { recursive: true, force: true }); });

  it('"/static=./public,/=./site": URI prefixes map to folders; the rest of the path is appended', async () => {
    const a = await curl(["-i", `${s.url}/static/a.txt`]);
    assert.match(a.stdout, /^HTTP\/1\.1 200 /);
    assert.match(a.stdout, /\r\nContent-Type: text\/plain/i);
    assert.ok(a.stdout.endsWith("\r\n\r\npublic a"), a.stdout);
    const css = await curl(["-i", `${s.url}/static/css/x.css`]);
    assert.match(css.stdout, /\r\nContent-Type: text\/css/i);
    assert.ok(css.stdout.endsWith("body{}"));
    assert.equal((await curl([`${s.url}/a.txt`])).stdout, "site a");
    const idx = await curl(["-i", `${s.url}/`]);
    assert.match(idx.stdout, /\r\nContent-Type: text\/html/i);
    assert.ok(idx.stdout.endsWith("<h1>site</h1>"));
    const miss = await curl(["-o", "/dev/null", "-w", "%{http_code}", `${s.url}/static/nope.txt`]);
    assert.equal(miss.stdout, "404");
  });

  it("extraHeaders as an object and as a header string; mimeTypes as an object and as a string", async () => {
    const a = await fetch(`${s.url}/obj/a.txt`);
    assert.equal(a.headers.get("cache-control"), "max-age=60");
    assert.equal(a.headers.get("x-extra"), "yes");
    assert.equal(await a.text(), "public a");
    const b = await fetch(`${s.url}/str/notes.md`);
    assert.equal(b.headers.get("cache-control"), "max-age=3600");
    assert.equal(b.headers.get("content-type"), "text/markdown");
    const f = await fetch(`${s.url}/file-extra`);
    assert.equal(f.headers.get("x-file"), "1");
    assert.equal(f.headers.get("content-type"), "text/markdown");
    assert.equal(await f.text(), "# notes");
  });

  it("page404 is served with status 404", async () => {
    const r = await fetch(`${s.url}/p404/missing.txt`);
    assert.equal(r.status, 404);
    assert.equal(await r.text(), "<p>custom 404</p>");
  });

  it("serveFile serves one file whatever the URI, with its MIME type", async () => {
    const r = await fetch(`${s.url}/favicon.ico`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /icon/);
    assert.deepEqual([...new Uint8Array(await r.arrayBuffer())], [0, 0, 1, 0]);
  });
});

describe("Connection: httpChunk, httpSse, httpBasicAuth", () => {
  it("httpChunk(data) with strings and Uint8Arrays; empty data ends the stream (curl decodes it)", async () => {
    const s = startServer((c, ev, data) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      c.reply(200, "", { "Transfer-Encoding": "chunked" });
      c.httpChunk("alpha,");
      c.httpChunk(u8("béta,"));
      c.httpChunk(Buffer.from("gamma"));
      c.httpChunk("");
      void data;
    });
    const raw = await rawExchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { idleMs: 2000 });
    const text = raw.data.toString("utf8");
    assert.equal(text.split("HTTP/1.1 200").length, 3, "the stream ended, so a second request was answered");
    assert.match(text, /\r\n\r\n6\r\nalpha,\r\n6\r\nbéta,\r\n5\r\ngamma\r\n0\r\n\r\nHTTP\/1\.1/);
    const r = await curl([s.url]);
    assert.equal(r.stdout, "alpha,béta,gamma");
    await s.stop();
  });

  it("httpSse(eventType, data): event and data lines, multi-line data split; fetch reads the stream", async () => {
    const s = startServer((c, ev, _d) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      c.reply(200, "", { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
      c.httpSse("update", "one");
      c.httpSse("multi", u8("line1\nline2"));
      c.drain();
    });
    const r = await fetch(s.url);
    assert.equal(r.headers.get("content-type"), "text/event-stream");
    assert.equal(r.headers.get("content-length"), null);
    const body = await r.text();
    assert.equal(body, "event: update\ndata: one\n\nevent: multi\ndata: line1\ndata: line2\n\n");
    await s.stop();
  });

  it("httpBasicAuth(user, pass) on a client sends an Authorization: Basic header", async () => {
    let auth: string | undefined;
    const s = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) { auth = data.header("Authorization"); c.reply(200, "ok"); }
    });
    const m = new Manager();
    let status: number | undefined;
    m.connect(s.url, (c, ev, data) => {
      if (ev === MG_EV_CONNECT) {
        c.send("GET / HTTP/1.1\r\nHost: x\r\n");
        c.httpBasicAuth("alice", "s3cret:x");
        c.send("\r\n");
      }
      if (ev === MG_EV_HTTP_MSG) { status = data.status(); c.close(); }
    }, { http: true });
    const loop = startLoop(m);
    await waitFor(() => status !== undefined, 3000, "response");
    assert.equal(status, 200);
    assert.equal(auth, `Basic ${Buffer.from("alice:s3cret:x").toString("base64")}`);
    await loop.stop();
    await s.stop();
  });
});

// ---- WebSocket -------------------------------------------------------------------------------

describe("Connection: wsUpgrade and wsSend", () => {
  it("wsUpgrade(msg, extraHeaders) answers 101 with the headers; wsSend defaults to text; binary and ping", async () => {
    const srvLog: string[] = [];
    let isWs = false;
    const s = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data, { "X-Upgrade": "yes" });
      if (ev === MG_EV_WS_OPEN) {
        isWs = c.isWebsocket;
        srvLog.push(`open:${data.uri}`);
        c.wsSend("text by default");
        c.wsSend(u8("bin"), WEBSOCKET_OP_BINARY);
        c.wsSend("p", WEBSOCKET_OP_PING);
      }
      if (ev === MG_EV_WS_MSG) srvLog.push(`msg:${data.op}:${data.text}`);
    });
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/chat`);
    let upgradeHeader: string | undefined;
    ws.on("upgrade", (res) => { upgradeHeader = res.headers["x-upgrade"] as string; });
    const got: [boolean, string][] = [];
    let pinged = "";
    ws.on("ping", (d) => { pinged = d.toString(); });
    ws.on("message", (d, isBinary) => {
      got.push([isBinary, d.toString()]);
      if (got.length === 2) ws.send("from ws");
    });
    await waitFor(() => srvLog.length === 2, 5000, "server events");
    assert.equal(upgradeHeader, "yes");
    assert.deepEqual(got, [[false, "text by default"], [true, "bin"]]);
    assert.equal(pinged, "p");
    assert.deepEqual(srvLog, ["open:/chat", `msg:${WEBSOCKET_OP_TEXT}:from ws`]);
    assert.equal(isWs, true);
    ws.close();
    await s.stop();
  });

  it("wsUpgrade with extraHeaders as a header string; WS_CTL for a ping from the peer", async () => {
    const ctl: number[] = [];
    const s = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data, "X-Str: 1\r\n");
      if (ev === MG_EV_WS_CTL) ctl.push(data.op);
    });
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/`);
    let hdr: unknown;
    ws.on("upgrade", (res) => { hdr = res.headers["x-str"]; });
    let pong = false;
    ws.on("pong", () => { pong = true; });
    ws.on("open", () => ws.ping("hey"));
    await waitFor(() => pong, 5000, "pong");
    assert.equal(hdr, "1");
    assert.ok(ctl.includes(WEBSOCKET_OP_PING));
    ws.close();
    await s.stop();
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
