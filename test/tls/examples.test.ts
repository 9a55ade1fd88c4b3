// examples/tls/*.ts run as programs: the guide's HTTPS server (certificate generated on
// first run) with curl and with the guide's HTTPS client; and selfSignedCert() itself.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { selfSignedCert } from "../../src/index.js";
import { curl, leakCheckAfterAll } from "../helpers.js";
import { Child, examplePath } from "../examples/spawn.js";

describe("examples/tls/https-server and https-client", () => {
  let dir: string;
  let server: Child;
  let port: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tsmongoose-tls-example-"));
    server = new Child(process.execPath, [examplePath("tls/https-server"), "https://127.0.0.1:0"], { CERT_DIR: dir });
    const m = await server.waitFor(/listening on https:\/\/[^\s:]+:(\d+)/, 20_000);
    port = Number(m[1]);
  });
  after(async () => { await server.stop(); rmSync(dir, { recursive: true, force: true }); });

  it("generates server.crt / server.key on first run, and says so", () => {
    assert.match(server.stdout, /generated a self-signed certificate: .*server\.crt/);
    assert.ok(existsSync(join(dir, "server.crt")) && existsSync(join(dir, "server.key")));
  });

  it("curl --cacert server.crt gets the guide's 'Secure Hello!'", async () => {
    const r = await curl(["--cacert", join(dir, "server.crt"), `https://localhost:${port}/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "Secure Hello!");
  });

  it("curl to 127.0.0.1 verifies too (the certificate lists the IP address)", async () => {
    const r = await curl(["--cacert", join(dir, "server.crt"), `https://127.0.0.1:${port}/`]);
    assert.equal(r.code, 0, r.stderr);
  });

  it("plain HTTP to it: the server prints why it refused", async () => {
    const r = await curl([`http://127.0.0.1:${port}/`]);
    assert.notEqual(r.code, 0);
    await server.waitFor(() => /plain-text HTTP request/.test(server.stderr) || /plain-text HTTP request/.test(server.stdout), 5000)
      .catch(() => assert.fail(`no explanation printed; stderr: ${server.stderr}`));
  });

  it("the guide's client with the certificate as its CA prints the response and exits 0", async () => {
    const c = new Child(process.execPath, [examplePath("tls/https-client"), `https://localhost:${port}/`, join(dir, "server.crt")]);
    assert.equal(await c.exit(), 0, c.stderr);
    assert.match(c.stdout, /^TLS handshake done with localhost$/m);
    assert.match(c.stdout, /^Response: Secure Hello!$/m);
  });

  it("the guide's client without the CA refuses the server, explains, and exits 1", async () => {
    const c = new Child(process.execPath, [examplePath("tls/https-client"), `https://localhost:${port}/`, join(dir, "missing-ca.crt")]);
    assert.equal(await c.exit(), 1);
    assert.match(c.stderr, /Error: TLS handshake failed: the server's certificate \(CN=localhost\) is self-signed and not trusted \[DEPTH_ZERO_SELF_SIGNED_CERT\]: pass that certificate itself as tls\.ca/);
    assert.doesNotMatch(c.stdout, /Response:/);
  });

  it("the guide's client with a name the certificate does not list", async () => {
    const c = new Child(process.execPath, [examplePath("tls/https-client"), `https://127.0.0.1:${port}/`, join(dir, "server.crt"), "example.com"]);
    assert.equal(await c.exit(), 1);
    assert.match(c.stderr, /not for "example\.com" \[ERR_TLS_CERT_ALTNAME_INVALID\]/);
  });
});

describe("selfSignedCert()", () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), "tsmongoose-selfsigned-")); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("creates a certificate for localhost, 127.0.0.1 and ::1, then reuses it", () => {
    const a = selfSignedCert({ dir });
    assert.equal(a.created, true);
    const x = new X509Certificate(a.cert);
    assert.match(x.subject, /CN=localhost/);
    assert.equal(x.subjectAltName, "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    assert.ok(x.checkPrivateKey(createPrivateKey(a.key)), "the key belongs to the certificate");
    const mtime = statSync(a.certFile).mtimeMs;
    const b = selfSignedCert({ dir });
    assert.equal(b.created, false);
    assert.ok(b.cert.equals(a.cert));
    assert.equal(statSync(b.certFile).mtimeMs, mtime);
  });

  it("other names and file names; bad input is refused before openssl runs", () => {
    const c = selfSignedCert({ dir, name: "dev.example", altNames: ["api.dev.example", "10.0.0.1"], days: 2, certFile: "dev.crt", keyFile: "dev.key" });
    const x = new X509Certificate(c.cert);
    assert.equal(x.subjectAltName, "DNS:dev.example, DNS:api.dev.example, IP Address:10.0.0.1");
    assert.ok(Date.parse(x.validTo) - Date.now() < 3 * 86400_000);
    assert.throws(() => selfSignedCert({ dir, name: "bad name; rm -rf /" }), /bad host name/);
    assert.throws(() => selfSignedCert({ dir, days: 0 }), /days must be a positive integer/);
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
