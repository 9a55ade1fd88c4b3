// Temporary files for a run: the static file and a self-signed certificate.
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Fixtures } from "./types.js";

export function makeFixtures(): Fixtures & { remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "tsmongoose-bench-"));
  const files = new Map<string, { path: string; bytes: Buffer }>();
  let cert: { certFile: string; keyFile: string; cert: string } | undefined;
  return {
    dir,
    async file(name, size) {
      let f = files.get(name);
      if (f === undefined) {
        f = { path: join(dir, name), bytes: randomBytes(size) };
        writeFileSync(f.path, f.bytes);
        files.set(name, f);
      }
      return f;
    },
    async cert() {
      if (cert === undefined) {
        const certFile = join(dir, "cert.pem");
        const keyFile = join(dir, "key.pem");
        // EC P-256: the same key for both servers, so both negotiate the same suite.
        execFileSync("openssl", [
          "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN=localhost",
          "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ], { stdio: ["ignore", "ignore", "pipe"] });
        cert = { certFile, keyFile, cert: readFileSync(certFile, "utf8") };
      }
      return cert;
    },
    remove() { rmSync(dir, { recursive: true, force: true }); },
  };
}
