// Test certificates made with Debian's openssl into a temporary directory: a CA, server
// certificates signed by it (localhost/127.0.0.1, expired, another name, SNI names), a
// client certificate for mTLS, and a second, untrusted CA with a server and a client
// certificate of its own. EC P-256 keys keep generation fast.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CertPair { cert: string; key: string; certFile: string; keyFile: string }

export interface TestCerts {
  dir: string;
  ca: string;
  caFile: string;
  /** localhost, 127.0.0.1 (and ::1), signed by `ca`. */
  server: CertPair;
  /** Like `server`, but its validity ended before it began. */
  expired: CertPair;
  /** other.example only, signed by `ca`. */
  other: CertPair;
  /** a.test, and b.test with *.b.test, for SNI. */
  a: CertPair;
  b: CertPair;
  /** A client certificate (CN=test client) signed by `ca`, and an expired one. */
  client: CertPair;
  expiredClient: CertPair;
  /** A second CA nobody trusts, with a server (localhost) and a client certificate. */
  rogueCa: string;
  rogueServer: CertPair;
  rogueClient: CertPair;
  cleanup(): void;
}

function ossl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function makeCa(dir: string, name: string, cn: string): void {
  ossl(["req", "-x509", ...EC, "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "3650", "-subj", `/CN=${cn}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
}

function makeLeaf(dir: string, ca: string, name: string, cn: string, ext: string, days = 3650): CertPair {
  writeFileSync(join(dir, `${name}.ext`), ext);
  ossl(["req", "-new", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`], dir);
  ossl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial",
    "-out", `${name}.crt`, "-days", String(days), "-extfile", `${name}.ext`], dir);
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  return { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8"), certFile, keyFile };
}

const SERVER_EXT = (names: string): string => `subjectAltName=${names}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`;
const CLIENT_EXT = "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n";

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "tsmongoose-tls-"));
  makeCa(dir, "ca", "tsmongoose test CA");
  makeCa(dir, "rogue", "rogue CA");
  const local = "DNS:localhost,IP:127.0.0.1,IP:::1";
  return {
    dir,
    ca: readFileSync(join(dir, "ca.crt"), "utf8"),
    caFile: join(dir, "ca.crt"),
    server: makeLeaf(dir, "ca", "server", "localhost", SERVER_EXT(local)),
    // -days -1 ends the validity a day before it starts: expired from the first second.
    expired: makeLeaf(dir, "ca", "expired", "localhost", SERVER_EXT(local), -1),
    other: makeLeaf(dir, "ca", "other", "other.example", SERVER_EXT("DNS:other.example")),
    a: makeLeaf(dir, "ca", "a", "a.test", SERVER_EXT("DNS:a.test")),
    b: makeLeaf(dir, "ca", "b", "b.test", SERVER_EXT("DNS:b.test,DNS:*.b.test")),
    client: makeLeaf(dir, "ca", "client", "test client", CLIENT_EXT),
    expiredClient: makeLeaf(dir, "ca", "expired-client", "expired client", CLIENT_EXT, -1),
    rogueCa: readFileSync(join(dir, "rogue.crt"), "utf8"),
    rogueServer: makeLeaf(dir, "rogue", "rogue-server", "localhost", SERVER_EXT(local)),
    rogueClient: makeLeaf(dir, "rogue", "rogue-client", "rogue client", CLIENT_EXT),
    cleanup() { rmSync(dir, { recursive: true, force: true }); },
  };
}
