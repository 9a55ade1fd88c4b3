// Our HTTPS client against Node's `https` server (and raw sockets playing broken
// servers): verification by default, `name` for SNI and the host check, skipVerification,
// client certificates, ALPN, and every handshake failure named in MG_EV_ERROR.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import * as https from "node:https";
import * as http from "node:http";
import * as net from "node:net";
import * as tlsModule from "node:tls";
import type * as tls from "node:tls";
import { createHash, randomBytes } from "node:crypto";
import {
  Manager, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_POLL, MG_EV_READ, MG_EV_RESOLVE, MG_EV_TLS_HS,
  eventName, type ConnectionOptions, type EventHandler, type TlsOpts,
} from "../../src/index.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";
import { makeTestCerts, type CertPair, type TestCerts } from "./certs.js";

let certs: TestCerts;
let manager: Manager;
let loop: ReturnType<typeof startLoop>;
before(() => { certs = makeTestCerts(); manager = new Manager(); loop = startLoop(manager); });
after(async () => { await loop.stop(); certs.cleanup(); });

interface Seen { servername: string | false; alpn: string | false; path: string; body: Buffer; peerCn: string | undefined }

/** Node's https server with `pair`, recording what each request looked like. */
async function nodeHttps(pair: CertPair, extra: https.ServerOptions = {}): Promise<{ port: number; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const srv = https.createServer({ cert: pair.cert, key: pair.key, ALPNProtocols: ["http/1.1"], ...extra }, (req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (d: Buffer) => parts.push(d));
    req.on("end", () => {
      const sock = req.socket as tls.TLSSocket;
      const body = Buffer.concat(parts);
      seen.push({ servername: (sock as unknown as { servername: string | false }).servername, alpn: sock.alpnProtocol ?? false, path: req.url ?? "", body, peerCn: sock.getPeerCertificate()?.subject?.CN as string | undefined });
      const answer = `hello from node ${req.url} ${createHash("sha256").update(body).digest("hex").slice(0, 16)}`;
      res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(answer) });
      res.end(answer);
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    seen,
    close: () => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }),
  };
}

interface Result { events: string[]; errors: string[]; body: string | undefined; status: number | undefined }

/** One GET with our client; `onConnect` may call tlsInit (the guide's way). */
function get(url: string, opts: ConnectionOptions, onConnect?: (c: Parameters<EventHandler>[0]) => void, body?: Buffer): Promise<Result> {
  return new Promise((resolve) => {
    const r: Result = { events: [], errors: [], body: undefined, status: undefined };
    const host = new URL(url.replace(/^\w+:/, "http:")).host;
    manager.connect(url, (c, ev, data) => {
      if (ev === MG_EV_POLL) return;
      r.events.push(eventName(ev));
      if (ev === MG_EV_CONNECT) {
        onConnect?.(c);
        const path = url.replace(/^\w+:\/\/[^/]+/, "") || "/";
        c.send(`${body ? "POST" : "GET"} ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${body ? `Content-Length: ${body.length}\r\n` : ""}\r\n`);
        if (body) c.send(body);
      } else if (ev === MG_EV_HTTP_MSG) {
        r.body = data.bodyText;
        r.status = data.status();
        c.close();
      } else if (ev === MG_EV_ERROR) {
        r.errors.push(data);
      } else if (ev === MG_EV_CLOSE) {
        resolve(r);
      }
    }, opts);
  });
}

describe("our client against node:https", () => {
  let srv: Awaited<ReturnType<typeof nodeHttps>>;
  before(async () => { srv = await nodeHttps(certs.server); });
  after(() => srv.close());

  it("connect(url, { tls: { ca } }): CONNECT comes with TLS_HS once verified; SNI and ALPN http/1.1 sent", async () => {
    const r = await get(`https://localhost:${srv.port}/a`, { tls: { ca: certs.ca } });
    assert.deepEqual(r.errors, []);
    assert.equal(r.status, 200);
    assert.match(r.body!, /^hello from node \/a /);
    assert.deepEqual(r.events.slice(0, 4), ["MG_EV_OPEN", "MG_EV_RESOLVE", "MG_EV_CONNECT", "MG_EV_TLS_HS"]);
    const s = srv.seen.at(-1)!;
    assert.equal(s.servername, "localhost");
    assert.equal(s.alpn, "http/1.1");
  });

  it("the guide's client: tlsInit({ ca, name }) on MG_EV_CONNECT, then send() at once: the request goes out encrypted", async () => {
    const ca = Buffer.from(certs.ca);
    const r = await get(`https://127.0.0.1:${srv.port}/guide`, { http: true }, (conn) => {
      // Initialize TLS
      const opts: TlsOpts = { ca, name: "localhost" };
      conn.tlsInit(opts);
    });
    assert.deepEqual(r.errors, []);
    assert.match(r.body!, /^hello from node \/guide /);
    assert.deepEqual(r.events.slice(0, 4), ["MG_EV_OPEN", "MG_EV_RESOLVE", "MG_EV_CONNECT", "MG_EV_TLS_HS"]);
    assert.equal(srv.seen.at(-1)!.servername, "localhost", "name sets SNI");
  });

  it("an IP address URL is checked against the certificate's IP entries and sends no SNI (RFC 6066 §3)", async () => {
    const r = await get(`https://127.0.0.1:${srv.port}/ip`, { tls: { ca: certs.ca } });
    assert.deepEqual(r.errors, []);
    assert.match(r.body!, /^hello from node \/ip /);
    assert.equal(srv.seen.at(-1)!.servername, false);
  });

  it("a 2 MiB POST body and its answer cross the TLS connection intact", async () => {
    const body = randomBytes(2 << 20);
    const r = await get(`https://localhost:${srv.port}/up`, { tls: { ca: certs.ca } }, undefined, body);
    assert.deepEqual(r.errors, []);
    assert.equal(r.body, `hello from node /up ${createHash("sha256").update(body).digest("hex").slice(0, 16)}`);
    assert.equal(srv.seen.at(-1)!.body.length, body.length);
  });

  it("tlsInit on MG_EV_RESOLVE (before the socket connects) is kept and used", async () => {
    const r = await new Promise<Result>((resolve) => {
      const res: Result = { events: [], errors: [], body: undefined, status: undefined };
      manager.connect(`tcp://localhost:${srv.port}`, (c, ev, data) => {
        if (ev === MG_EV_RESOLVE) c.tlsInit({ ca: certs.ca });
        if (ev === MG_EV_TLS_HS) c.send("GET /early HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        if (ev === MG_EV_HTTP_MSG) { res.body = data.bodyText; c.close(); }
        if (ev === MG_EV_ERROR) res.errors.push(data);
        if (ev === MG_EV_CLOSE) resolve(res);
      }, { http: true });
    });
    assert.deepEqual(r.errors, []);
    assert.match(r.body!, /^hello from node \/early /);
  });

  it("verification is on by default: without ca the system CAs are used, and they do not know our test CA", async () => {
    const r = await get(`https://localhost:${srv.port}/sys`, { http: true });
    assert.equal(r.body, undefined);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!, /^TLS handshake failed: the server's certificate \(CN=localhost\) is not signed by a trusted CA \[UNABLE_TO_VERIFY_LEAF_SIGNATURE\]: pass its CA certificate as tls\.ca/);
    assert.equal(r.events.at(-1), "MG_EV_CLOSE");
  });

  it("wrong host name: the message lists the certificate's names and the one expected", async () => {
    const r = await get(`https://localhost:${srv.port}/n`, { tls: { ca: certs.ca, name: "other.example" } });
    assert.equal(r.body, undefined);
    assert.match(r.errors[0]!, /the server's certificate is for DNS:localhost, IP Address:127\.0\.0\.1.*, not for "other\.example" \[ERR_TLS_CERT_ALTNAME_INVALID\]/);
  });

  it("skipVerification accepts a certificate nobody signed for a name it does not have", async () => {
    const r = await get(`https://localhost:${srv.port}/skip`, { tls: { skipVerification: true, name: "nobody.example" } });
    assert.deepEqual(r.errors, []);
    assert.match(r.body!, /^hello from node \/skip /);
  });

  it("a bad CA PEM is reported, not thrown into the loop", async () => {
    const r = await get(`https://localhost:${srv.port}/bad`, { tls: { ca: "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n" } });
    assert.equal(r.body, undefined);
    assert.match(r.errors[0]!, /TLS: the CA, certificate or key cannot be used/);
  });
});

describe("server certificates that must be refused", () => {
  it("expired: the message gives the date it expired", async () => {
    const srv = await nodeHttps(certs.expired);
    try {
      const r = await get(`https://localhost:${srv.port}/`, { tls: { ca: certs.ca } });
      assert.equal(r.body, undefined);
      assert.match(r.errors[0]!, /the server's certificate \(CN=localhost\) expired on .+ GMT \[CERT_HAS_EXPIRED\]/);
      assert.equal(srv.seen.length, 0, "no request reached the server");
    } finally { await srv.close(); }
  });

  it("issued for another name", async () => {
    const srv = await nodeHttps(certs.other);
    try {
      const r = await get(`https://localhost:${srv.port}/`, { tls: { ca: certs.ca } });
      assert.match(r.errors[0]!, /is for DNS:other\.example, not for "localhost" \[ERR_TLS_CERT_ALTNAME_INVALID\]/);
      // ...and with the right name it is fine.
      const ok = await get(`https://127.0.0.1:${srv.port}/ok`, { tls: { ca: certs.ca, name: "other.example" } });
      assert.deepEqual(ok.errors, []);
      assert.equal(srv.seen.at(-1)!.servername, "other.example");
    } finally { await srv.close(); }
  });

  it("signed by an unknown CA", async () => {
    const srv = await nodeHttps(certs.rogueServer);
    try {
      const r = await get(`https://localhost:${srv.port}/`, { tls: { ca: certs.ca } });
      assert.match(r.errors[0]!, /not signed by a trusted CA \[UNABLE_TO_VERIFY_LEAF_SIGNATURE\]/);
      assert.equal(srv.seen.length, 0);
    } finally { await srv.close(); }
  });
});

describe("client certificates (mTLS) against node:https with requestCert", () => {
  let srv: Awaited<ReturnType<typeof nodeHttps>>;
  before(async () => { srv = await nodeHttps(certs.server, { ca: certs.ca, requestCert: true, rejectUnauthorized: true }); });
  after(() => srv.close());

  it("cert and key in TlsOpts are presented and accepted", async () => {
    const r = await get(`https://localhost:${srv.port}/m`, { tls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key } });
    assert.deepEqual(r.errors, []);
    assert.match(r.body!, /^hello from node \/m /);
    assert.equal(srv.seen.at(-1)!.peerCn, "test client");
  });

  it("without a client certificate: the error says the server requires one", async () => {
    const r = await get(`https://localhost:${srv.port}/m`, { tls: { ca: certs.ca } });
    assert.equal(r.body, undefined);
    assert.match(r.errors[0]!, /server requires a client certificate \(alert: certificate required\): set tls\.cert and tls\.key/);
  });

  it("only cert without key is a configuration error", async () => {
    const r = await get(`https://localhost:${srv.port}/m`, { tls: { ca: certs.ca, cert: certs.client.cert } });
    assert.match(r.errors[0]!, /client certificate needs both cert and key/);
  });
});

/** A TCP server whose behaviour per connection is `onConn`; records every byte received. */
async function rawServer(onConn: (s: net.Socket) => void): Promise<{ port: number; received: Buffer[]; close(): Promise<void> }> {
  const received: Buffer[] = [];
  const socks = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    socks.add(s);
    s.on("data", (d) => received.push(d));
    s.on("error", () => { /* the client hangs up */ });
    s.on("close", () => socks.delete(s));
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    received,
    close: () => new Promise<void>((r) => { for (const s of socks) s.destroy(); srv.close(() => r()); }),
  };
}

describe("servers that do not speak TLS, and nothing sent in clear", () => {
  it("a plain HTTP server (node:http): 'did not answer with TLS', and it saw only a ClientHello", async () => {
    const seen: Buffer[] = [];
    const plain = http.createServer((_q, res) => res.end("plain"));
    plain.on("connection", (s) => s.on("data", (d) => seen.push(d)));
    await new Promise<void>((r) => plain.listen(0, "127.0.0.1", r));
    try {
      const port = (plain.address() as net.AddressInfo).port;
      const r = await get(`https://127.0.0.1:${port}/secret-path`, { tls: { ca: certs.ca } });
      assert.equal(r.body, undefined);
      assert.match(r.errors[0]!, /the server did not answer with TLS: is it a plain-text port.*\[ERR_SSL_/);
      const all = Buffer.concat(seen);
      assert.equal(all[0], 0x16, "a TLS handshake record");
      assert.ok(!all.includes("secret-path"), "the request never went out in clear");
    } finally {
      plain.closeAllConnections();
      await new Promise((r) => plain.close(r));
    }
  });

  it("the guide's pattern: the request sent right after tlsInit is never seen in clear, even when verification fails", async () => {
    // A relay to node:https that records what crosses it.
    const target = await nodeHttps(certs.rogueServer);
    const relay = await rawServer((s) => {
      const up = net.connect(target.port, "127.0.0.1");
      s.pipe(up).pipe(s);
      up.on("error", () => s.destroy());
      s.on("close", () => up.destroy());
    });
    try {
      const r = await get(`https://localhost:${relay.port}/secret-path`, { http: true }, (c) => c.tlsInit({ ca: certs.ca }));
      assert.match(r.errors[0]!, /not signed by a trusted CA/);
      const all = Buffer.concat(relay.received);
      assert.equal(all[0], 0x16);
      assert.ok(!all.includes("secret-path"));
      assert.ok(!all.includes("Host: localhost"));
      assert.equal(target.seen.length, 0);
    } finally {
      await relay.close();
      await target.close();
    }
  });

  it("a server that closes during the handshake", async () => {
    const srv = await rawServer((s) => s.once("data", () => s.destroy()));
    try {
      const r = await get(`https://localhost:${srv.port}/`, { tls: { ca: certs.ca } });
      assert.equal(r.errors.length, 1);
      assert.match(r.errors[0]!, /^TLS handshake failed: .*(closed the connection during the TLS handshake|socket disconnected)/);
      assert.equal(r.events.at(-1), "MG_EV_CLOSE");
      assert.ok(!r.events.includes("MG_EV_CONNECT"), "no CONNECT without a handshake");
    } finally { await srv.close(); }
  });

  it("a server that half-closes during the handshake", async () => {
    const srv = await rawServer((s) => s.once("data", () => s.end()));
    try {
      const r = await get(`https://localhost:${srv.port}/`, { tls: { ca: certs.ca } });
      assert.equal(r.errors.length, 1);
      assert.match(r.errors[0]!, /TLS handshake failed/);
    } finally { await srv.close(); }
  });

  it("a server that never answers: handshakeTimeoutMs", async () => {
    const srv = await rawServer(() => { /* silent */ });
    try {
      const r = await get(`https://localhost:${srv.port}/`, { tls: { ca: certs.ca, handshakeTimeoutMs: 300 } });
      assert.deepEqual(r.errors, ["TLS handshake failed: no TLS handshake within 300 ms"]);
    } finally { await srv.close(); }
  });

  it("a server answering garbage after the ClientHello", async () => {
    const srv = await rawServer((s) => s.once("data", () => s.write(randomBytes(64))));
    try {
      const r = await get(`https://localhost:${srv.port}/`, { tls: { ca: certs.ca } });
      assert.equal(r.errors.length, 1);
      assert.match(r.errors[0]!, /TLS handshake failed: .*\[ERR_SSL_/);
    } finally { await srv.close(); }
  });
});

describe("STARTTLS-style: tlsInit on a plain tcp:// connection after some plain-text exchange", () => {
  it("plain-text greeting, then TLS on the same socket; what follows is encrypted", async () => {
    const received: string[] = [];
    const srv = net.createServer((sock) => {
      sock.once("data", (d) => {
        assert.equal(d.toString(), "STARTTLS\n");
        sock.write("GO\n", () => {
          const t = new (tlsModule.TLSSocket)(sock, { isServer: true, cert: certs.server.cert, key: certs.server.key } as tls.TLSSocketOptions);
          t.on("data", (x: Buffer) => { received.push(x.toString()); t.end("secret received\n"); });
          t.on("error", () => { /* client hangs up */ });
        });
      });
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    try {
      let reply = "";
      let closed = false;
      const errors: string[] = [];
      manager.connect(`tcp://127.0.0.1:${(srv.address() as net.AddressInfo).port}`, (c, ev, data) => {
        if (ev === MG_EV_CONNECT) c.send("STARTTLS\n");
        if (ev === MG_EV_READ) {
          const text = c.recvData().toString();
          c.recvConsume();
          if (!c.isTls && text === "GO\n") { c.tlsInit({ ca: certs.ca, name: "localhost" }); c.send("the secret\n"); }
          else reply += text;
        }
        if (ev === MG_EV_ERROR) errors.push(data);
        if (ev === MG_EV_CLOSE) closed = true;
      });
      await waitFor(() => closed, 5000, "close");
      assert.deepEqual(errors, []);
      assert.deepEqual(received, ["the secret\n"]);
      assert.equal(reply, "secret received\n");
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
