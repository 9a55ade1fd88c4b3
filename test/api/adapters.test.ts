// API.md "Adapters and tools": fetchHandler(app), nodeHandler(app) and manager.httpRequest,
// used exactly as API.md writes them, with curl and fetch as peers.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Manager, fetchHandler, nodeHandler, MG_EV_HTTP_MSG } from "../../src/index.js";
import { curl, startLoop, leakCheckAfterAll } from "../helpers.js";

describe("fetchHandler(app)", () => {
  it('manager.listen("http://…", fetchHandler(app)) serves a WHATWG (Request) => Response app', async () => {
    const m = new Manager();
    const app = async (req: Request): Promise<Response> => {
      const url = new URL(req.url);
      if (req.method === "POST") {
        return new Response(JSON.stringify({ got: await req.text(), ct: req.headers.get("content-type") }), {
          status: 201, headers: { "Content-Type": "application/json", "X-App": "fetch" },
        });
      }
      return new Response(`hello ${url.pathname} ${url.searchParams.get("q")}`);
    };
    const l = m.listen("http://127.0.0.1:0", fetchHandler(app));
    const sync = m.listen("http://127.0.0.1:0", fetchHandler(() => new Response("sync", { status: 202 })));
    const loop = startLoop(m);
    const base = `http://127.0.0.1:${l.localAddr.port}`;
    const a = await fetch(`${base}/path?q=1`);
    assert.equal(a.status, 200);
    assert.equal(await a.text(), "hello /path 1");
    const b = await fetch(`${base}/post`, { method: "POST", body: "body text", headers: { "Content-Type": "text/x-test" } });
    assert.equal(b.status, 201);
    assert.equal(b.headers.get("x-app"), "fetch");
    assert.deepEqual(await b.json(), { got: "body text", ct: "text/x-test" });
    const c = await curl(["-i", `http://127.0.0.1:${sync.localAddr.port}/`]);
    assert.match(c.stdout, /^HTTP\/1\.1 202 /);
    assert.ok(c.stdout.endsWith("sync"));
    await loop.stop();
  });
});

describe("nodeHandler(app)", () => {
  it("serves a node:http-style (req, res) app", async () => {
    const m = new Manager();
    const app = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (d: string) => { body += d; });
      req.on("end", () => {
        res.writeHead(200, { "Content-Type": "text/plain", "X-App": "node" });
        res.end(`${req.method} ${req.url} ${req.headers["x-in"] ?? ""} ${body}`);
      });
    };
    const l = m.listen("http://127.0.0.1:0", nodeHandler(app));
    const loop = startLoop(m);
    const r = await fetch(`http://127.0.0.1:${l.localAddr.port}/x?y=1`, { method: "PUT", body: "data", headers: { "X-In": "v" } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("x-app"), "node");
    assert.equal(await r.text(), "PUT /x?y=1 v data");
    await loop.stop();
  });
});

describe("manager.httpRequest(url, { method, headers, body })", () => {
  it("resolves to { status, headers, body: Buffer } against node:http and against our own server", async () => {
    const peer = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => { body += d; });
      req.on("end", () => {
        res.setHeader("X-Method", req.method ?? "");
        res.setHeader("X-Got", String(req.headers["x-send"] ?? ""));
        res.statusCode = req.url === "/missing" ? 404 : 200;
        res.end(`body:${body}`);
      });
    }).listen(0, "127.0.0.1");
    await new Promise((r) => peer.once("listening", r));
    const port = (peer.address() as AddressInfo).port;
    const m = new Manager();
    const own = m.listen("http://127.0.0.1:0", (c, ev, data) => { if (ev === MG_EV_HTTP_MSG) c.replyJson({ uri: data.uri, body: data.bodyText }); });
    const loop = startLoop(m);
    const r = await m.httpRequest(`http://127.0.0.1:${port}/p`, { method: "POST", headers: { "X-Send": "1" }, body: "payload" });
    assert.equal(r.status, 200);
    assert.ok(Buffer.isBuffer(r.body));
    assert.equal(r.body.toString(), "body:payload");
    assert.equal(r.headers["x-method"], "POST");
    assert.equal(r.headers["x-got"], "1");
    const g = await m.httpRequest(`http://127.0.0.1:${port}/missing`);
    assert.equal(g.status, 404);
    assert.equal(g.headers["x-method"], "GET", "GET by default");
    const b = await m.httpRequest(`http://127.0.0.1:${own.localAddr.port}/own`, { method: "PUT", body: new Uint8Array([0x68, 0x69]) });
    assert.deepEqual(JSON.parse(b.body.toString()), { uri: "/own", body: "hi" });
    await loop.stop();
    peer.close();
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
