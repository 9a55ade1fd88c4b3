// HTTPS servers with real peers: curl --cacert (and --cert for mTLS), openssl s_client
// (SNI, ALPN), raw sockets for plain text, garbage, truncated and silent handshakes.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import * as tls from "node:tls";
import { readFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import {
  Manager, MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_OPEN, MG_EV_POLL, MG_EV_READ, MG_EV_TLS_HS,
  eventName, type Connection, type EventHandler, type TlsOpts,
} from "../../src/index.js";
import { curl, rawExchange, run, startLoop, startServer, waitFor, type TestServer, leakCheckAfterAll } from "../helpers.js";
import { makeTestCerts, type TestCerts } from "./certs.js";

let certs: TestCerts;
before(() => { certs = makeTestCerts(); });
after(() => certs.cleanup());

/** Records every event but POLL, with ERROR messages, per connection. */
function recorder(): { log: string[]; errors: string[]; closed: () => number; handler: EventHandler } {
  const log: string[] = [];
  const errors: string[] = [];
  let closes = 0;
  const handler: EventHandler = (c, ev, data) => {
    if (ev === MG_EV_POLL) return;
    log.push(`${c.id}:${eventName(ev)}`);
    if (ev === MG_EV_ERROR) errors.push(data);
    if (ev === MG_EV_CLOSE && !c.isListening) closes++;
    if (ev === MG_EV_HTTP_MSG) {
      assert.equal(c.isTls, true, "HTTP_MSG only on a TLS connection");
      c.reply(200, `Secure Hello! ${data.method} ${data.uri} ${data.bodyBytes.length}`);
    }
  };
  return { log, errors, closed: () => closes, handler };
}

function serverTls(extra: Partial<TlsOpts> = {}): TlsOpts {
  return { cert: certs.server.cert, key: certs.server.key, ...extra };
}

/** Bytes sent in clear look like text; TLS records start with a content type 20..23. */
function assertNoCleartext(data: Buffer, what: string): void {
  const s = data.toString("latin1");
  assert.ok(!/HTTP\/1\.[01]|Secure Hello/.test(s), `${what}: cleartext seen: ${JSON.stringify(s.slice(0, 80))}`);
  if (data.length > 0) assert.ok(data[0]! >= 20 && data[0]! <= 23, `${what}: not a TLS record (first byte ${data[0]})`);
}

describe("HTTPS server: listen(url, { tls })", () => {
  let s: TestServer;
  let rec: ReturnType<typeof recorder>;
  before(() => { rec = recorder(); s = startServer(rec.handler, { tls: serverTls() }, "https"); });
  after(() => s.stop());

  it("answers curl --cacert; ACCEPT, TLS_HS, then the request; isTls is set", async () => {
    const r = await curl(["--cacert", certs.caFile, `https://localhost:${s.port}/hello`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "Secure Hello! GET /hello 0");
    await waitFor(() => rec.closed() >= 1, 5000, "close");
    const mine = rec.log.filter((e) => !e.startsWith(`${s.listener.id}:`));
    const id = mine[0]!.split(":")[0];
    const order = mine.filter((e) => e.startsWith(`${id}:`)).map((e) => e.split(":")[1]);
    assert.deepEqual(order.slice(0, 4), ["MG_EV_OPEN", "MG_EV_ACCEPT", "MG_EV_TLS_HS", "MG_EV_HTTP_HDRS"]);
    assert.deepEqual(rec.errors, []);
  });

  it("keep-alive: two requests on one TLS connection, and a 1 MiB upload intact", async () => {
    const body = randomBytes(1 << 20);
    const file = `${certs.dir}/upload.bin`;
    (await import("node:fs")).writeFileSync(file, body);
    const r = await curl(["--cacert", certs.caFile, "-w", "\n%{num_connects}", `https://127.0.0.1:${s.port}/a`,
      "--next", "--cacert", certs.caFile, "--data-binary", `@${file}`, "-w", "\n%{num_connects}", `https://127.0.0.1:${s.port}/b`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Secure Hello! GET /a 0\n1Secure Hello! POST /b ${body.length}\n0`);
  });

  it("ALPN: advertises http/1.1 to openssl s_client, and the verified certificate is the server's", async () => {
    const r = await run("openssl", ["s_client", "-connect", `127.0.0.1:${s.port}`, "-servername", "localhost",
      "-alpn", "http/1.1", "-CAfile", certs.caFile], { input: "" });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ALPN protocol: http\/1\.1$/m);
    assert.match(r.stdout, /^subject=CN = localhost$/m);
    assert.match(r.stdout, /Verify return code: 0 \(ok\)/);
  });

  it("a client offering only h2 is refused with the no_application_protocol alert (RFC 7301 §3.2)", async () => {
    const before = rec.errors.length;
    const r = await run("openssl", ["s_client", "-connect", `127.0.0.1:${s.port}`, "-alpn", "h2", "-CAfile", certs.caFile], { input: "" });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no application protocol/);
    await waitFor(() => rec.errors.length > before, 5000, "server error");
    assert.match(rec.errors.at(-1)!, /no ALPN protocol in common/);
  });

  it("plain HTTP to the TLS port: MG_EV_ERROR names it, the connection closes, nothing is sent in clear", async () => {
    const before = rec.errors.length;
    const r = await rawExchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 3000 });
    assert.equal(r.closed, true);
    assertNoCleartext(r.data, "reply to plain HTTP");
    await waitFor(() => rec.errors.length > before, 5000, "server error");
    assert.match(rec.errors.at(-1)!, /plain-text HTTP request to this TLS port.*https:\/\/.*\[ERR_SSL_HTTP_REQUEST\]/);
  });

  it("curl with http:// to the TLS port fails, and the server explains why", async () => {
    const before = rec.errors.length;
    const r = await curl([`http://127.0.0.1:${s.port}/`]);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, "");
    await waitFor(() => rec.errors.length > before, 5000, "server error");
    assert.match(rec.errors.at(-1)!, /plain-text HTTP request/);
  });

  it("bytes that are not TLS at all: MG_EV_ERROR, close", async () => {
    const before = rec.errors.length;
    const r = await rawExchange(s.port, Buffer.from([0x00, 0x01, 0x02, 0x03, 0xff, 0xfe, 0x10, 0x20, 0x30, 0x40, 0x50]), { idleMs: 3000 });
    assert.equal(r.closed, true);
    assertNoCleartext(r.data, "reply to garbage");
    await waitFor(() => rec.errors.length > before, 5000, "server error");
    assert.match(rec.errors.at(-1)!, /TLS handshake failed: .*\[ERR_SSL_/);
  });

  it("a truncated ClientHello, then an abrupt close: MG_EV_ERROR says the peer left, then MG_EV_CLOSE", async () => {
    const hello = await captureClientHello();
    const before = rec.errors.length;
    const closesBefore = rec.closed();
    await rawExchange(s.port, hello.subarray(0, 40), { idleMs: 200, end: true });
    await waitFor(() => rec.closed() > closesBefore, 5000, "close");
    assert.equal(rec.errors.length, before + 1);
    assert.match(rec.errors.at(-1)!, /client closed the connection during the TLS handshake/);
  });

  it("the client refuses our certificate (curl without --cacert): curl fails, the server hears the alert", async () => {
    const before = rec.errors.length;
    const r = await curl([`https://localhost:${s.port}/`]);
    assert.equal(r.code, 60, `curl exit ${r.code}: ${r.stderr}`); // CURLE_PEER_FAILED_VERIFICATION
    await waitFor(() => rec.errors.length > before, 5000, "server error");
    assert.match(rec.errors.at(-1)!, /client does not trust this server's certificate \(alert: unknown CA\)/);
  });
});

/** A real ClientHello, captured from Node's TLS client. */
function captureClientHello(): Promise<Buffer> {
  return new Promise((resolve) => {
    const srv = net.createServer((sock) => {
      sock.once("data", (d) => { resolve(d); sock.destroy(); srv.close(); });
    });
    srv.listen(0, "127.0.0.1", () => {
      const c = tls.connect({ port: (srv.address() as net.AddressInfo).port, host: "127.0.0.1", servername: "localhost" });
      c.on("error", () => { /* the capture server hangs up */ });
    });
  });
}

describe("the guide's HTTPS server, translated: tlsInit({ cert, key }) on MG_EV_ACCEPT", () => {
  it("serves curl with Buffers read from server.crt / server.key", async () => {
    // Load certificates
    const cert = readFileSync(certs.server.certFile);
    const key = readFileSync(certs.server.keyFile);
    let accepted = 0;
    const handler: EventHandler = (conn, ev, _data) => {
      if (ev === MG_EV_ACCEPT) {
        // Initialize TLS on new connections
        accepted++;
        conn.tlsInit({ cert, key });
      } else if (ev === MG_EV_HTTP_MSG) {
        conn.reply(200, "Secure Hello!");
        conn.drain();
      }
    };
    const manager = new Manager(handler);
    const listener = manager.listen("https://127.0.0.1:0", { http: true });
    const loop = startLoop(manager);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await curl(["--cacert", certs.caFile, `https://localhost:${listener.localAddr.port}/`]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "Secure Hello!");
      }
      assert.equal(accepted, 3);
    } finally {
      await loop.stop();
    }
  });

  it("data sent on MG_EV_ACCEPT after tlsInit goes out encrypted, after the handshake", async () => {
    const s = startServer((c, ev, _d) => {
      if (ev === MG_EV_ACCEPT) { c.tlsInit(serverTls()); c.send("banner\n"); }
    }, {}, "tls");
    try {
      const got = await new Promise<string>((resolve, reject) => {
        const sock = tls.connect({ port: s.port, host: "127.0.0.1", servername: "localhost", ca: certs.ca }, () => {
          sock.once("data", (d) => { resolve(d.toString()); sock.destroy(); });
        });
        sock.on("error", reject);
      });
      assert.equal(got, "banner\n");
      const raw = await rawExchange(s.port, [], { idleMs: 500 });
      assertNoCleartext(raw.data, "banner before handshake");
      assert.equal(raw.data.length, 0);
    } finally {
      await s.stop();
    }
  });

  it("an https:// listener without any certificate refuses connections with a message, never in clear", async () => {
    const rec = recorder();
    const s = startServer(rec.handler, {}, "https");
    try {
      const r = await rawExchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 3000 })
        .catch((e: NodeJS.ErrnoException) => { assert.equal(e.code, "ECONNRESET"); return { data: Buffer.alloc(0), closed: true }; });
      assert.equal(r.closed, true);
      assert.equal(r.data.length, 0);
      await waitFor(() => rec.errors.length > 0, 5000, "error");
      assert.match(rec.errors[0]!, /asks for TLS but it has no certificate.*tlsInit/);
    } finally {
      await s.stop();
    }
  });

  it("tlsInit on a listener applies to every connection it accepts", async () => {
    const s = startServer((c, ev, d) => {
      if (ev === MG_EV_OPEN && c.isListening) c.tlsInit(serverTls());
      if (ev === MG_EV_HTTP_MSG) { c.reply(200, `tls=${c.isTls} ${d.uri}`); }
    }, {}, "http");
    try {
      const r = await curl(["--cacert", certs.caFile, `https://localhost:${s.port}/x`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "tls=true /x");
    } finally {
      await s.stop();
    }
  });
});

describe("several certificates chosen by SNI", () => {
  let s: TestServer;
  before(() => {
    s = startServer(recorder().handler, { tls: serverTls({ sni: { "a.test": certs.a, "*.b.test": certs.b } }) }, "https");
  });
  after(() => s.stop());

  async function subjectFor(servername: string | undefined): Promise<{ subject: string; alpn: string }> {
    const args = ["s_client", "-connect", `127.0.0.1:${s.port}`, "-alpn", "http/1.1", "-CAfile", certs.caFile];
    if (servername) args.push("-servername", servername); else args.push("-noservername");
    const r = await run("openssl", args, { input: "" });
    assert.equal(r.code, 0, r.stderr);
    return { subject: (/^subject=(.*)$/m.exec(r.stdout) ?? ["", ""])[1]!, alpn: (/^ALPN protocol: (.*)$/m.exec(r.stdout) ?? ["", ""])[1]! };
  }

  it("s_client -servername a.test gets a.test's certificate, with ALPN http/1.1", async () => {
    assert.deepEqual(await subjectFor("a.test"), { subject: "CN = a.test", alpn: "http/1.1" });
  });
  it("a wildcard entry matches x.b.test", async () => {
    assert.equal((await subjectFor("x.b.test")).subject, "CN = b.test");
  });
  it("an unknown name, or none, gets the default certificate", async () => {
    assert.equal((await subjectFor("unknown.test")).subject, "CN = localhost");
    assert.equal((await subjectFor(undefined)).subject, "CN = localhost");
  });
  it("curl verifies each name against its own certificate", async () => {
    for (const n of ["a.test", "x.b.test", "localhost"]) {
      const r = await curl(["--cacert", certs.caFile, "--resolve", `${n}:${s.port}:127.0.0.1`, `https://${n}:${s.port}/`]);
      assert.equal(r.code, 0, `${n}: ${r.stderr}`);
      assert.equal(r.stdout, "Secure Hello! GET / 0");
    }
  });
  it("without a default certificate, the first SNI entry serves unknown names", async () => {
    const s2 = startServer(recorder().handler, { tls: { sni: { "a.test": certs.a, "b.test": certs.b } } }, "https");
    try {
      const r = await run("openssl", ["s_client", "-connect", `127.0.0.1:${s2.port}`, "-servername", "zzz.test"], { input: "" });
      assert.match(r.stdout, /^subject=CN = a\.test$/m);
      const r2 = await run("openssl", ["s_client", "-connect", `127.0.0.1:${s2.port}`, "-servername", "b.test"], { input: "" });
      assert.match(r2.stdout, /^subject=CN = b\.test$/m);
    } finally {
      await s2.stop();
    }
  });
});

describe("client certificates (mTLS) when the server's options carry a ca", () => {
  let s: TestServer;
  let rec: ReturnType<typeof recorder>;
  let peer = "";
  before(() => {
    rec = recorder();
    const h = rec.handler;
    s = startServer((c, ev, d) => {
      if (ev === MG_EV_TLS_HS) {
        const sock = c._socket as tls.TLSSocket;
        peer = String(sock.getPeerCertificate().subject?.CN);
      }
      h(...([c, ev, d] as Parameters<EventHandler>));
    }, { tls: serverTls({ ca: certs.ca }) }, "https");
  });
  after(() => s.stop());

  it("curl with --cert/--key signed by the CA is served; the server sees the client's name", async () => {
    const r = await curl(["--cacert", certs.caFile, "--cert", certs.client.certFile, "--key", certs.client.keyFile, `https://localhost:${s.port}/m`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "Secure Hello! GET /m 0");
    assert.equal(peer, "test client");
  });

  it("curl without a client certificate is refused: MG_EV_ERROR says a certificate is required", async () => {
    const before = rec.errors.length;
    const r = await curl(["--cacert", certs.caFile, `https://localhost:${s.port}/m`]);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, "");
    await waitFor(() => rec.errors.length > before, 5000, "server error");
    assert.match(rec.errors.at(-1)!, /client sent no certificate, but this server requires one/);
  });

  it("an expired client certificate is refused: MG_EV_ERROR says it expired", async () => {
    const before = rec.errors.length;
    const r = await curl(["--cacert", certs.caFile, "--cert", certs.expiredClient.certFile, "--key", certs.expiredClient.keyFile, `https://localhost:${s.port}/m`]);
    assert.equal(r.stdout, "");
    await waitFor(() => rec.errors.length > before, 5000, "server error");
    assert.match(rec.errors.at(-1)!, /the client's certificate expired \[CERT_HAS_EXPIRED\]/);
  });

  it("a client certificate from another CA is refused: MG_EV_ERROR names the reason", async () => {
    const before = rec.errors.length;
    const r = await curl(["--cacert", certs.caFile, "--cert", certs.rogueClient.certFile, "--key", certs.rogueClient.keyFile, `https://localhost:${s.port}/m`]);
    assert.equal(r.stdout, "");
    assert.notEqual(r.code, 0);
    await waitFor(() => rec.errors.length > before, 5000, "server error");
    assert.match(rec.errors.at(-1)!, /client's certificate is not signed by a trusted CA \[UNABLE_TO_GET_ISSUER_CERT|client's certificate .*not signed/);
  });
});

describe("limits and bad configuration", () => {
  it("a client that never sends a ClientHello is dropped after handshakeTimeoutMs", async () => {
    const rec = recorder();
    const s = startServer(rec.handler, { tls: serverTls({ handshakeTimeoutMs: 300 }) }, "https");
    try {
      const r = await rawExchange(s.port, [], { idleMs: 5000 });
      assert.equal(r.closed, true);
      assert.equal(r.data.length, 0);
      await waitFor(() => rec.errors.length > 0, 5000, "error");
      assert.match(rec.errors[0]!, /did not complete in time \[ERR_TLS_HANDSHAKE_TIMEOUT\]/);
    } finally {
      await s.stop();
    }
  });

  it("listen() throws when the certificate or key is unusable", () => {
    const m = new Manager();
    try {
      assert.throws(() => m.listen("https://127.0.0.1:0", { tls: { cert: "not a pem", key: certs.server.key } }), /TLS|PEM|certificate/i);
      assert.throws(() => m.listen("https://127.0.0.1:0", { tls: { cert: certs.server.cert, key: certs.a.key } }), /key values mismatch|KEY_VALUES_MISMATCH/i);
      assert.throws(() => m.listen("https://127.0.0.1:0", { tls: { cert: certs.server.cert } }), /needs both cert and key/);
      assert.throws(() => m.listen("https://127.0.0.1:0", { tls: { ca: certs.ca } }), /needs a certificate/);
      assert.throws(() => m.listen("https://127.0.0.1:0", { tls: serverTls({ handshakeTimeoutMs: -1 }) }), /handshakeTimeoutMs/);
      assert.equal(m.connections.length, 0, "nothing was left listening");
    } finally {
      void m.close();
    }
  });

  it("closing the manager while handshakes are pending ends every connection", async () => {
    const rec = recorder();
    const m = new Manager(rec.handler);
    const l = m.listen("https://127.0.0.1:0", { tls: serverTls() });
    const loop = startLoop(m);
    const socks: net.Socket[] = [];
    for (let i = 0; i < 5; i++) socks.push(net.connect(l.localAddr.port, "127.0.0.1"));
    await waitFor(() => rec.log.filter((e) => e.endsWith("MG_EV_ACCEPT")).length === 5, 5000, "accepts");
    await loop.stop();
    assert.equal(m.connections.length, 0);
    for (const s of socks) s.destroy();
  });

  it("PEM given as a Uint8Array (not a Buffer) works", async () => {
    const u8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
    const s = startServer(recorder().handler, { tls: { cert: u8(certs.server.cert), key: u8(certs.server.key) } }, "https");
    try {
      const r = await curl(["--cacert", certs.caFile, `https://localhost:${s.port}/u8`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "Secure Hello! GET /u8 0");
    } finally {
      await s.stop();
    }
  });

  it("tcp:// with { tls }: a TLS echo server for openssl s_client", async () => {
    const s = startServer((c: Connection, ev, _d) => {
      if (ev === MG_EV_READ) {
        const line = c.recvData();
        c.send(line);
        if (line.includes(10)) c.drain(); // s_client -quiet waits for the server to close
        c.recvConsume();
      }
    }, { tls: serverTls() }, "tcp");
    try {
      const line = `echo-${createHash("sha1").update(String(Math.random())).digest("hex")}`;
      const r = await run("openssl", ["s_client", "-connect", `127.0.0.1:${s.port}`, "-CAfile", certs.caFile, "-quiet", "-verify_return_error"], { input: `${line}\n`, timeoutMs: 5000 });
      assert.match(r.stdout, new RegExp(`^${line}$`, "m"));
    } finally {
      await s.stop();
    }
  });
});

describe("what the server hears when a client refuses its certificate", () => {
  async function serverErrorFor(pair: { cert: string; key: string }, curlArgs: string[]): Promise<{ error: string; curlCode: number }> {
    const rec = recorder();
    const s = startServer(rec.handler, { tls: { cert: pair.cert, key: pair.key } }, "https");
    try {
      const r = await curl([...curlArgs, `https://localhost:${s.port}/`]);
      await waitFor(() => rec.errors.length > 0, 5000, "server error");
      return { error: rec.errors[0]!, curlCode: r.code };
    } finally { await s.stop(); }
  }

  it("an expired certificate: curl fails (60), the server is told it expired", async () => {
    const r = await serverErrorFor(certs.expired, ["--cacert", certs.caFile]);
    assert.equal(r.curlCode, 60);
    assert.match(r.error, /the client says our certificate has expired \(alert: certificate expired\)/);
  });

  it("a certificate for another name: curl fails (60) after the handshake, and no request is served", async () => {
    const rec = recorder();
    const s = startServer(rec.handler, { tls: { cert: certs.other.cert, key: certs.other.key } }, "https");
    try {
      const r = await curl(["--cacert", certs.caFile, `https://localhost:${s.port}/`]);
      assert.equal(r.code, 60);
      await waitFor(() => rec.closed() > 0, 5000, "close");
      assert.ok(!rec.log.some((e) => e.endsWith("MG_EV_HTTP_MSG")));
    } finally { await s.stop(); }
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
