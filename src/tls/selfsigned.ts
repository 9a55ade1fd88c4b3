// A self-signed certificate for development, made by the openssl command line tool (the
// guide's command, plus the subjectAltName that browsers and Node require) and kept in
// a directory so that later runs reuse it.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MgError } from "../util/errors.js";

/** Options of `selfSignedCert()`: where the files are kept and what the certificate names. */
export interface SelfSignedOptions {
  /** Where server.crt and server.key are kept (created when missing). */
  dir: string;
  /** Common name; also the first subjectAltName. Default "localhost". */
  name?: string;
  /** More names: host names, or IP addresses. Default ["127.0.0.1", "::1"] for localhost. */
  altNames?: string[];
  /** Validity in days. Default 365. */
  days?: number;
  /** The certificate's file name inside `dir`. Default "server.crt". */
  certFile?: string;
  /** The key's file name inside `dir`. Default "server.key". */
  keyFile?: string;
}

/** What `selfSignedCert()` gives: the certificate and key, and where they are kept. */
export interface SelfSigned {
  /** PEM, ready for TlsOpts (and, being self-signed, also the `ca` clients need). */
  cert: Buffer;
  /** The private key (PEM), ready for TlsOpts. */
  key: Buffer;
  /** Path of the certificate file. */
  certFile: string;
  /** Path of the private key file. */
  keyFile: string;
  /** True when this call generated the files, false when it reused them. */
  created: boolean;
}

function sanOf(name: string, alt: string[]): string {
  const isIp = (s: string): boolean => /^[\d.]+$/.test(s) || s.includes(":");
  return [name, ...alt].map((n) => (isIp(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
}

/**
 * Loads `dir/server.crt` and `dir/server.key`, or generates them with
 * `openssl req -x509 -newkey rsa:2048 -nodes ...` when they are missing or expired.
 * Throws an Error that says how to fix it when openssl is not installed.
 */
export function selfSignedCert(opts: SelfSignedOptions): SelfSigned {
  const name = opts.name ?? "localhost";
  if (!/^[A-Za-z0-9.*:-]+$/.test(name)) throw new MgError("ERR_TLS", `selfSignedCert: bad host name "${name}"`);
  const alt = opts.altNames ?? (name === "localhost" ? ["127.0.0.1", "::1"] : []);
  const days = opts.days ?? 365;
  if (!Number.isInteger(days) || days <= 0) throw new MgError("ERR_TLS", `selfSignedCert: days must be a positive integer, got ${days}`);
  const certFile = join(opts.dir, opts.certFile ?? "server.crt");
  const keyFile = join(opts.dir, opts.keyFile ?? "server.key");
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = readFileSync(certFile);
    const key = readFileSync(keyFile);
    if (Date.parse(new X509Certificate(cert).validTo) > Date.now()) return { cert, key, certFile, keyFile, created: false };
  }
  mkdirSync(opts.dir, { recursive: true });
  try {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-keyout", keyFile, "-out", certFile,
      "-days", String(days), "-nodes", "-subj", `/CN=${name}`,
      "-addext", `subjectAltName=${sanOf(name, alt)}`,
    ], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === "ENOENT") throw new MgError("ERR_TLS", "selfSignedCert: the openssl command is not installed (Debian: apt-get install openssl)");
    throw new MgError("ERR_TLS", `selfSignedCert: openssl failed: ${err.stderr?.toString().trim() || err.message}`);
  }
  return { cert: readFileSync(certFile), key: readFileSync(keyFile), certFile, keyFile, created: true };
}
