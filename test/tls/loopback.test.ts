// Our TLS client against our TLS server, the schemes that ask for TLS, and mixed-up
// peers: a TLS client at a plain port and a plain client at a TLS port.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import {
  Manager, MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_POLL, MG_EV_READ, MG_EV_TLS_HS,
  eventName, type Connection, type ConnectionOptions, type EventHandler,
} from "../../src/index.js";
import { startLoop, startServer, waitFor, type TestServer, leakCheckAfterAll } from "../helpers.js";
import { makeTestCerts, type TestCerts } from "./certs.js";

let certs: TestCerts;
before(() => { certs = makeTestCerts(); });
after(() => certs.cleanup());

interface Client { conn: Connection; events: string[]; errors: string[]; reads: Buffer[]; msgs: string[]; closed: Promise<void> }

/** A client on the server's manager (one loop), recording events. */
function client(s: TestServer, url: string, opts: ConnectionOptions, onEvent?: EventHandler): Client {
  let done!: () => void;
  const closed = new Promise<void>((r) => { done = r; });
  const r = { events: [] as string[], errors: [] as string[], reads: [] as Buffer[], msgs: [] as string[], closed } as Client;
  r.conn = s.manager.connect(url, (c, ev, data) => {
    if (ev === MG_EV_POLL) return;
    r.events.push(eventName(ev));
    if (ev === MG_EV_ERROR) r.errors.push(data);
    if (ev === MG_EV_READ && !opts.http && !url.startsWith("https:")) { r.reads.push(Buffer.from(c.recvData())); c.recvConsume(); }
    if (ev === MG_EV_HTTP_MSG) r.msgs.push(`${data.status()} ${data.bodyText}`);
    onEvent?.(...([c, ev, data] as Parameters<EventHandler>));
    if (ev === MG_EV_CLOSE) done();
  }, opts);
  return r;
}

describe("HTTPS: our client and our server", () => {
  let s: TestServer;
  const serverErrors: string[] = [];
  const requests: string[] = [];
  before(() => {
    s = startServer((c, ev, d) => {
      if (ev === MG_EV_ERROR) serverErrors.push(d);
      if (ev === MG_EV_HTTP_MSG) {
        requests.push(d.uri);
        if (d.uri === "/big") c.reply(200, Buffer.alloc(4 << 20, 0x61));
        else c.reply(200, `tls=${c.isTls} ${d.method} ${d.uri} ${d.bodyBytes.length}`);
      }
    }, { tls: { cert: certs.server.cert, key: certs.server.key } }, "https");
  });
  after(() => s.stop());

  it("connect(url, { tls: { ca } }) and a request on MG_EV_CONNECT", async () => {
    const c = client(s, `https://localhost:${s.port}`, { tls: { ca: certs.ca } }, (conn, ev, _d) => {
      if (ev === MG_EV_CONNECT) { assert.equal(conn.isTls, true); conn.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n"); }
      if (ev === MG_EV_HTTP_MSG) conn.close();
    });
    await c.closed;
    assert.deepEqual(c.errors, []);
    assert.deepEqual(c.msgs, ["200 tls=true GET /x 0"]);
    assert.deepEqual(c.events.slice(0, 4), ["MG_EV_OPEN", "MG_EV_RESOLVE", "MG_EV_CONNECT", "MG_EV_TLS_HS"]);
  });

  it("client close() right after the response: the server sees a clean close, not a reset (close_notify, RFC 8446 §6.1)", async () => {
    const before = serverErrors.length;
    for (let i = 0; i < 5; i++) {
      const c = client(s, `https://localhost:${s.port}`, { tls: { ca: certs.ca } }, (conn, ev, _d) => {
        if (ev === MG_EV_CONNECT) conn.send("GET /bye HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        if (ev === MG_EV_HTTP_MSG) conn.close();
      });
      await c.closed;
      assert.deepEqual(c.errors, []);
    }
    await waitFor(() => s.manager.connections.length === 1, 5000, "server side closed");
    assert.deepEqual(serverErrors.slice(before), []);
  });

  it("a 4 MiB response and a 3 MiB request body cross intact", async () => {
    const body = randomBytes(3 << 20);
    let big = Buffer.alloc(0);
    const c = client(s, `https://localhost:${s.port}`, { tls: { ca: certs.ca } }, (conn, ev, d) => {
      if (ev === MG_EV_TLS_HS) {
        conn.send(`POST /up HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\n\r\n`);
        conn.send(body);
        conn.send("GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n");
      }
      if (ev === MG_EV_HTTP_MSG && d.bodyBytes.length > 1000) { big = Buffer.from(d.bodyBytes); conn.close(); }
    });
    await c.closed;
    assert.deepEqual(c.errors, []);
    assert.equal(c.msgs[0], `200 tls=true POST /up ${body.length}`);
    assert.equal(big.length, 4 << 20);
    assert.equal(createHash("sha1").update(big).digest("hex"), createHash("sha1").update(Buffer.alloc(4 << 20, 0x61)).digest("hex"));
  });

  it("send() then drain() right after tlsInit: the request is delivered before the close", async () => {
    const before = requests.length;
    const c = client(s, `https://localhost:${s.port}`, { http: true }, (conn, ev, _d) => {
      if (ev === MG_EV_CONNECT) {
        conn.tlsInit({ ca: certs.ca });
        conn.send("GET /drained HTTP/1.1\r\nHost: localhost\r\n\r\n");
        conn.drain();
      }
    });
    await c.closed;
    await waitFor(() => requests.length > before, 5000, "request");
    assert.equal(requests.at(-1), "/drained");
  });

  it("https:// without options or tlsInit: TLS starts anyway (system CAs), so the request is never sent in clear", async () => {
    const before = serverErrors.length;
    const reqs = requests.length;
    const c = client(s, `https://localhost:${s.port}`, { http: true }, (conn, ev, _d) => {
      if (ev === MG_EV_CONNECT) conn.send("GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n");
    });
    await c.closed;
    assert.match(c.errors[0]!, /not signed by a trusted CA/);
    await waitFor(() => serverErrors.length > before, 5000, "server error");
    // Node's TLS client checks certificates after the handshake and hangs up without an alert.
    assert.match(serverErrors.at(-1)!, /client closed the connection during the TLS handshake \(it may not trust this server's certificate\)/);
    assert.equal(requests.length, reqs);
  });

  it("manager.httpRequest('https://…', { tls: { ca } })", async () => {
    const r = await s.manager.httpRequest(`https://localhost:${s.port}/req`, { tls: { ca: certs.ca } });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), "tls=true GET /req 0");
  });

  it("a plain http:// client at the TLS port: the server names the mistake, the client sees the connection end", async () => {
    const before = serverErrors.length;
    const c = client(s, `http://localhost:${s.port}`, { http: true }, (conn, ev, _d) => {
      if (ev === MG_EV_CONNECT) conn.send("GET /plain HTTP/1.1\r\nHost: localhost\r\n\r\n");
    });
    await c.closed;
    assert.deepEqual(c.msgs, []);
    await waitFor(() => serverErrors.length > before, 5000, "server error");
    assert.match(serverErrors.at(-1)!, /plain-text HTTP request to this TLS port/);
  });

  it("close() during the handshake: CLOSE, no ERROR, and the server survives", async () => {
    const c = client(s, `https://localhost:${s.port}`, { tls: { ca: certs.ca } });
    await waitFor(() => c.events.includes("MG_EV_RESOLVE"), 5000, "resolve");
    c.conn.close();
    await c.closed;
    assert.deepEqual(c.errors, []);
    const r = await s.manager.httpRequest(`https://localhost:${s.port}/after`, { tls: { ca: certs.ca } });
    assert.equal(r.status, 200);
  });

  it("tlsInit twice is harmless; tlsInit on UDP throws", async () => {
    const c = client(s, `https://localhost:${s.port}`, { http: true }, (conn, ev, _d) => {
      if (ev === MG_EV_CONNECT) {
        conn.tlsInit({ ca: certs.ca });
        conn.tlsInit({ ca: "ignored" });
        conn.send("GET /twice HTTP/1.1\r\nHost: localhost\r\n\r\n");
      }
      if (ev === MG_EV_HTTP_MSG) conn.close();
    });
    await c.closed;
    assert.deepEqual(c.msgs, ["200 tls=true GET /twice 0"]);
    const u = s.manager.listen("udp://127.0.0.1:0");
    assert.throws(() => u.tlsInit({}), /DTLS/);
    u.close();
  });
});

describe("a TLS client at a plain port", () => {
  it("our HTTP server answers the ClientHello with a plain 400; our client says the server does not speak TLS", async () => {
    const s = startServer((c, ev, _d) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "plain"); }, {}, "http");
    try {
      const c = client(s, `https://localhost:${s.port}`, { tls: { ca: certs.ca } });
      await c.closed;
      assert.equal(c.errors.length, 1);
      assert.match(c.errors[0]!, /the server did not answer with TLS: is it a plain-text port/);
      assert.ok(!c.events.includes("MG_EV_CONNECT"));
    } finally { await s.stop(); }
  });
});

describe("tls:// and tcp:// with TLS: raw bytes", () => {
  it("a 1 MiB echo over tls:// (scheme TLS, options on both sides)", async () => {
    const s = startServer((c, ev, _d) => {
      if (ev === MG_EV_READ) { c.send(c.recvData()); c.recvConsume(); }
    }, { tls: { cert: certs.server.cert, key: certs.server.key } }, "tls");
    try {
      const data = randomBytes(1 << 20);
      const c = client(s, `tls://localhost:${s.port}`, { tls: { ca: certs.ca } }, (conn, ev, _d) => {
        if (ev === MG_EV_CONNECT) conn.send(data);
      });
      await waitFor(() => c.reads.reduce((n, b) => n + b.length, 0) >= data.length, 10000, "echo");
      c.conn.close();
      await c.closed;
      assert.ok(Buffer.concat(c.reads).equals(data));
      assert.deepEqual(c.errors, []);
    } finally { await s.stop(); }
  });

  it("tcp:// + tlsInit on ACCEPT and on CONNECT, the guide's way, raw protocol", async () => {
    const s = startServer((c, ev, _d) => {
      if (ev === MG_EV_ACCEPT) c.tlsInit({ cert: certs.server.cert, key: certs.server.key });
      if (ev === MG_EV_TLS_HS) c.send(`hello ${c.isTls}\n`);
    }, {}, "tcp");
    try {
      const c = client(s, `tcp://127.0.0.1:${s.port}`, {}, (conn, ev, _d) => {
        if (ev === MG_EV_CONNECT) conn.tlsInit({ ca: certs.ca, name: "localhost" });
      });
      await waitFor(() => Buffer.concat(c.reads).toString() === "hello true\n", 5000, "greeting");
      assert.equal(c.conn.isTls, true);
      c.conn.close();
      await c.closed;
    } finally { await s.stop(); }
  });

  it("a throwing handler on TLS_HS does not break the connection or the loop", async () => {
    const errs: unknown[] = [];
    const m = new Manager(undefined, { errorHandler: (e) => errs.push(e) });
    const lsn = m.listen("tls://127.0.0.1:0", (c, ev, _d) => {
      if (ev === MG_EV_TLS_HS) { c.send("ok\n"); throw new Error("boom"); }
    }, { tls: { cert: certs.server.cert, key: certs.server.key } });
    const loop = startLoop(m);
    try {
      let got = "";
      let closed = false;
      m.connect(`tls://localhost:${lsn.localAddr.port}`, (c, ev, _d) => {
        if (ev === MG_EV_READ) { got += c.recvData().toString(); c.recvConsume(); if (got === "ok\n") c.close(); }
        if (ev === MG_EV_CLOSE) closed = true;
      }, { tls: { ca: certs.ca } });
      await waitFor(() => closed, 5000, "close");
      assert.equal(got, "ok\n");
      assert.equal(errs.length, 1);
    } finally { await loop.stop(); }
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
