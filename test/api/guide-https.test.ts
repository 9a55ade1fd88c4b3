// The HTTP guide's "HTTPS Server" and "HTTPS Client" sections as the guide writes them,
// with the certificate made by the guide's own openssl command (RSA 2048, CN=localhost,
// no subjectAltName), checked against real peers: curl, openssl s_client and s_server,
// and Node's https. Also TlsOpts with PEM as string, Buffer and plain Uint8Array, and tlsFree().
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import * as https from "node:https";
import * as net from "node:net";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Manager, MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_OPEN,
  MG_EV_READ, MG_EV_TLS_HS, type EventHandler, type TlsOpts, type Connection,
} from "../../src/index.js";
import { curl, run, startLoop, waitFor, type Loop, leakCheckAfterAll } from "../helpers.js";

let dir: string;
let cert: Buffer;
let key: Buffer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tsmongoose-guide-tls-"));
  // The guide's "Generate Self-Signed Certificate" command, word for word.
  const r = await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-keyout", join(dir, "server.key"),
    "-out", join(dir, "server.crt"), "-days", "365", "-nodes", "-subj", "/CN=localhost"]);
  assert.equal(r.code, 0, r.stderr);
  // Load certificates (as bytes, as the guide reads them)
  cert = readFileSync(join(dir, "server.crt"));
  key = readFileSync(join(dir, "server.key"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The guide's HTTPS server handler, with `opts` for the TLS options. */
function guideServer(opts: () => TlsOpts, errors: string[] = []): EventHandler {
  return (conn, ev, data) => {
    if (ev === MG_EV_ACCEPT) {
      // Initialize TLS on new connections
      conn.tlsInit(opts());
    } else if (ev === MG_EV_HTTP_MSG) {
      conn.reply(200, "Secure Hello!");
      conn.drain();
    } else if (ev === MG_EV_ERROR) {
      errors.push(data);
    }
  };
}

/** Starts a program and resolves once its output matches `ready`. */
function startPeer(cmd: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    const timer = setTimeout(() => { child.kill(); reject(new Error(`${cmd} did not print ${ready}: ${out}`)); }, 10_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = out.match(ready);
      if (m) { clearTimeout(timer); resolve({ child, match: m, output: () => out }); }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("error", (e) => { clearTimeout(timer); reject(e); });
  });
}

describe("guide: HTTPS Server (tlsInit on MG_EV_ACCEPT, certificate from the guide's openssl command)", () => {
  let manager: Manager;
  let loop: Loop;
  let port = 0;
  let inferredPort = 0;
  const errors: string[] = [];

  before(() => {
    manager = new Manager(guideServer(() => ({ cert, key }), errors));
    port = manager.listen("https://127.0.0.1:0", { http: true }).localAddr.port;
    // http is inferred from https:// when the option is left out.
    inferredPort = manager.listen("https://127.0.0.1:0").localAddr.port;
    loop = startLoop(manager);
  });
  after(() => loop.stop());

  it("curl --cacert server.crt https://localhost gets 'Secure Hello!'", async () => {
    for (const p of [port, inferredPort]) {
      const r = await curl(["--cacert", join(dir, "server.crt"), "--resolve", `localhost:${p}:127.0.0.1`, `https://localhost:${p}/`]);
      assert.equal(r.code, 0, `curl exit ${r.code}: ${r.stderr}`);
      assert.equal(r.stdout, "Secure Hello!");
    }
  });

  it("openssl s_client verifies the certificate for localhost and gets the response", async () => {
    const r = await run("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost",
      "-CAfile", join(dir, "server.crt"), "-verify_return_error", "-verify_hostname", "localhost", "-ign_eof"],
    { input: "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", timeoutMs: 10_000 });
    assert.match(r.stdout, /Verify return code: 0 \(ok\)/);
    assert.match(r.stdout, /HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nSecure Hello!/);
  });

  it("Node's https with the certificate as CA", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      https.get({ host: "127.0.0.1", port, servername: "localhost", ca: cert, path: "/node" }, (res) => {
        let b = "";
        res.on("data", (d) => { b += d; });
        res.on("end", () => resolve(`${res.statusCode} ${b}`));
      }).on("error", reject);
    });
    assert.equal(body, "200 Secure Hello!");
  });

  it("curl without the CA refuses the self-signed certificate (verification is real)", async () => {
    const r = await curl(["--resolve", `localhost:${port}:127.0.0.1`, `https://localhost:${port}/`]);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, "");
  });

  it("plain HTTP to the HTTPS port is refused with MG_EV_ERROR, and the server keeps serving", async () => {
    const n = errors.length;
    const r = await curl([`http://127.0.0.1:${port}/`]);
    assert.doesNotMatch(r.stdout, /Secure Hello/);
    await waitFor(() => errors.length > n, 3000, "MG_EV_ERROR");
    const ok = await curl(["--cacert", join(dir, "server.crt"), "--resolve", `localhost:${port}:127.0.0.1`, `https://localhost:${port}/`]);
    assert.equal(ok.stdout, "Secure Hello!");
  });
});

describe("HTTPS server events and variants", () => {
  it("server side: MG_EV_ACCEPT, MG_EV_TLS_HS, then MG_EV_HTTP_MSG, and isTls", async () => {
    const order: string[] = [];
    const guide = guideServer(() => ({ cert, key }));
    // A handler that wraps another forwards its arguments as a whole (EventArgs is a union of tuples).
    const m = new Manager((...args) => {
      const [conn, ev] = args;
      if (ev === MG_EV_ACCEPT) order.push("accept");
      if (ev === MG_EV_TLS_HS) order.push(`tls_hs:${conn.isTls}`);
      if (ev === MG_EV_HTTP_MSG) order.push(`msg:${conn.isTls}`);
      guide(...args);
    });
    const p = m.listen("https://127.0.0.1:0", { http: true }).localAddr.port;
    const loop = startLoop(m);
    const r = await curl(["--cacert", join(dir, "server.crt"), "--resolve", `localhost:${p}:127.0.0.1`, `https://localhost:${p}/`]);
    assert.equal(r.stdout, "Secure Hello!");
    assert.deepEqual(order, ["accept", "tls_hs:true", "msg:true"]);
    await loop.stop();
  });

  it("tlsInit on the listener (cymongoose's listener.tls_init) applies to every accepted connection", async () => {
    const m = new Manager((conn, ev, _d) => { if (ev === MG_EV_HTTP_MSG) { conn.reply(200, "listener tls"); conn.drain(); } });
    const l = m.listen("https://127.0.0.1:0", { http: true });
    l.tlsInit({ cert, key });
    const loop = startLoop(m);
    const r = await curl(["--cacert", join(dir, "server.crt"), "--resolve", `localhost:${l.localAddr.port}:127.0.0.1`, `https://localhost:${l.localAddr.port}/`]);
    assert.equal(r.stdout, "listener tls", r.stderr);
    await loop.stop();
  });
});

describe("TlsOpts: PEM as string, Buffer or a plain Uint8Array", () => {
  it("a server with cert as Uint8Array and key as string serves curl", async () => {
    const u8cert = new Uint8Array(cert); // a copy that is not a Buffer
    assert.equal(Buffer.isBuffer(u8cert), false);
    const m = new Manager(guideServer(() => ({ cert: u8cert, key: key.toString("utf8") })));
    const p = m.listen("https://127.0.0.1:0", { http: true }).localAddr.port;
    const loop = startLoop(m);
    const r = await curl(["--cacert", join(dir, "server.crt"), "--resolve", `localhost:${p}:127.0.0.1`, `https://localhost:${p}/`]);
    assert.equal(r.stdout, "Secure Hello!", r.stderr);
    await loop.stop();
  });
});

// ---- client ------------------------------------------------------------------------------------

interface ClientResult { body?: string; error?: string; tlsHs: boolean; isTls: boolean; closed: boolean; order: number[] }

/** The guide's HTTPS client: tlsInit({ ca, name }) on MG_EV_CONNECT, then send. */
async function guideClient(url: string, opts: TlsOpts, host = "localhost"): Promise<ClientResult> {
  const res: ClientResult = { tlsHs: false, isTls: false, closed: false, order: [] };
  const clientHandler: EventHandler = (conn, ev, data) => {
    if (ev === MG_EV_OPEN || ev === MG_EV_CONNECT || ev === MG_EV_TLS_HS || ev === MG_EV_HTTP_MSG) res.order.push(ev);
    if (ev === MG_EV_CONNECT) {
      // Initialize TLS
      conn.tlsInit(opts);
      // Send request after TLS handshake
      conn.send(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    } else if (ev === MG_EV_TLS_HS) {
      res.tlsHs = true;
      res.isTls = conn.isTls;
    } else if (ev === MG_EV_HTTP_MSG) {
      res.body = data.bodyText;
      conn.close();
    } else if (ev === MG_EV_ERROR) {
      res.error = data;
    } else if (ev === MG_EV_CLOSE) {
      res.closed = true;
    }
  };
  const manager = new Manager(clientHandler);
  manager.connect(url, { http: true });
  const deadline = Date.now() + 10_000;
  while (!res.closed && Date.now() < deadline) await manager.poll(100);
  await manager.close();
  assert.ok(res.closed, "the client finished");
  return res;
}

describe("guide: HTTPS Client (tlsInit({ ca, name }) on MG_EV_CONNECT, then send)", () => {
  it("against openssl s_server -www with the guide's certificate", async () => {
    const peer = await startPeer("openssl", ["s_server", "-cert", join(dir, "server.crt"), "-key", join(dir, "server.key"),
      "-accept", "127.0.0.1:0", "-www"], /ACCEPT 127\.0\.0\.1:(\d+)/);
    try {
      const r = await guideClient(`https://127.0.0.1:${peer.match[1]}`, { ca: cert, name: "localhost" });
      assert.equal(r.error, undefined);
      assert.ok(r.tlsHs && r.isTls, "MG_EV_TLS_HS and isTls");
      assert.match(r.body ?? "", /s_server -cert/, "s_server's status page, framed by the connection close");
      assert.deepEqual(r.order, [MG_EV_OPEN, MG_EV_CONNECT, MG_EV_TLS_HS, MG_EV_HTTP_MSG]);
    } finally {
      peer.child.kill();
    }
  });

  it("against Node's https server; ca as string and as plain Uint8Array", async () => {
    const srv = https.createServer({ cert, key }, (req, res) => {
      // `name` is the SNI name too.
      res.end(`node says hi to ${req.headers.host} (sni ${(req.socket as unknown as { servername?: string }).servername})`);
    }).listen(0, "127.0.0.1");
    await new Promise((r) => srv.once("listening", r));
    const p = (srv.address() as net.AddressInfo).port;
    for (const ca of [cert.toString("utf8"), new Uint8Array(cert)]) {
      const r = await guideClient(`https://127.0.0.1:${p}`, { ca, name: "localhost" });
      assert.equal(r.error, undefined);
      assert.equal(r.body, "node says hi to localhost (sni localhost)");
    }
    srv.close();
  });

  it("a name the certificate does not have: MG_EV_ERROR, and the request never reaches the server", async () => {
    const requests: string[] = [];
    const srv = https.createServer({ cert, key }, (req, res) => { requests.push(req.url ?? ""); res.end("x"); }).listen(0, "127.0.0.1");
    await new Promise((r) => srv.once("listening", r));
    const p = (srv.address() as net.AddressInfo).port;
    const r = await guideClient(`https://127.0.0.1:${p}`, { ca: cert, name: "example.com" }, "example.com");
    assert.match(r.error ?? "", /example\.com|host ?name|altname|certificate/i, r.error);
    assert.equal(r.body, undefined);
    assert.deepEqual(requests, []);
    srv.close();
  });

  it("without the CA the self-signed server is refused; skipVerification accepts it", async () => {
    const m = new Manager(guideServer(() => ({ cert, key })));
    const p = m.listen("https://127.0.0.1:0", { http: true }).localAddr.port;
    const loop = startLoop(m);
    const refused = await guideClient(`https://127.0.0.1:${p}`, { name: "localhost" });
    assert.match(refused.error ?? "", /self[- ]signed|certificate|verify/i);
    assert.equal(refused.body, undefined);
    const skipped = await guideClient(`https://127.0.0.1:${p}`, { skipVerification: true });
    assert.equal(skipped.body, "Secure Hello!");
    await loop.stop();
  });
});

describe("tlsFree()", () => {
  it("forgets TLS options given before the connection started TLS: it stays plaintext", async () => {
    const echo = net.createServer((s) => s.on("data", (d) => s.write(d))).listen(0, "127.0.0.1");
    await new Promise((r) => echo.once("listening", r));
    const m = new Manager();
    let got = "";
    let conn: Connection | undefined;
    m.connect(`tcp://127.0.0.1:${(echo.address() as net.AddressInfo).port}`, (c, ev, _d) => {
      if (ev === MG_EV_OPEN) { conn = c; c.tlsInit({ ca: cert, name: "localhost" }); c.tlsFree(); }
      if (ev === MG_EV_CONNECT) c.send("plain text");
      if (ev === MG_EV_READ) { got += c.recvData().toString(); c.recvConsume(); }
    });
    const loop = startLoop(m);
    await waitFor(() => got === "plain text", 3000, "echo in clear");
    assert.equal(conn!.isTls, false);
    await loop.stop();
    echo.close();
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
