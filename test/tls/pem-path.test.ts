// A PEM *path* where PEM text belongs (issue 11): the error says so and how to fix it,
// instead of OpenSSL's "no start line".
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Manager, selfSignedCert, type SelfSigned } from "../../src/index.js";
import { clientContextFor } from "../../src/tls/context.js";
import { leakCheckAfterAll } from "../helpers.js";

let dir = "";
let pair: SelfSigned;
before(() => { dir = mkdtempSync(join(tmpdir(), "tsmongoose-pem-")); pair = selfSignedCert({ dir }); });
after(() => rmSync(dir, { recursive: true, force: true }));

const hint = (what: string, path: string): RegExp =>
  new RegExp(`${what.replace(/[[\].]/g, "\\$&")} looks like a file path \\(${JSON.stringify(path).replace(/[.\\/]/g, "\\$&")}\\); pass the file's contents: fs\\.readFileSync\\(path\\)`);

test("listen() with tls.cert or tls.key given as a file name says to pass the contents", async () => {
  const m = new Manager();
  try {
    assert.throws(() => m.listen("https://127.0.0.1:0", { tls: { cert: "server.crt", key: pair.key } }), { code: "ERR_TLS", message: hint("tls.cert", "server.crt") });
    assert.throws(() => m.listen("https://127.0.0.1:0", { tls: { cert: pair.cert, key: pair.keyFile } }), { code: "ERR_TLS", message: hint("tls.key", pair.keyFile) });
    assert.throws(() => m.listen("https://127.0.0.1:0", { tls: { cert: pair.cert, key: pair.key, ca: "./ca.pem" } }), { code: "ERR_TLS", message: hint("tls.ca", "./ca.pem") });
    assert.throws(() => m.listen("https://127.0.0.1:0", { tls: { sni: { "a.test": { cert: "C:\\certs\\a.crt", key: pair.key } } } }), { code: "ERR_TLS", message: hint('tls.sni["a.test"].cert', "C:\\certs\\a.crt") });
    // The same material as text (or bytes) is accepted.
    const l = m.listen("https://127.0.0.1:0", { tls: { cert: pair.cert.toString(), key: pair.key } });
    assert.ok(l.localAddr.port > 0);
  } finally {
    await m.close();
  }
});

test("client contexts: a CA path gets the hint; PEM that is merely broken still gets OpenSSL's reason", () => {
  assert.throws(() => clientContextFor({ ca: "/etc/ssl/certs/ca.pem" }), { code: "ERR_TLS", message: hint("tls.ca", "/etc/ssl/certs/ca.pem") });
  assert.throws(() => clientContextFor({ cert: "client.crt", key: "client.key" }), { code: "ERR_TLS", message: hint("tls.cert", "client.crt") });
  const broken = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  assert.throws(() => clientContextFor({ ca: broken }), (e: Error) => !/looks like a file path/.test(e.message));
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
