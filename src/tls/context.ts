// Secure contexts built from TlsOpts, cached so that a listener (or a handler that calls
// tlsInit with the same PEM on every MG_EV_ACCEPT) parses its certificate and key once.
// Servers are Node `tls.Server` objects that never listen: the core hands each accepted
// socket to one with emit("connection"), which gives us OpenSSL's SNI, ALPN and
// client-certificate checks exactly as node:https has them.
import * as tls from "node:tls";
import { X509Certificate } from "node:crypto";
import type { TlsOpts } from "./options.js";
import { MgError, typeError } from "../util/errors.js";

/** Handshake time limit when TlsOpts.handshakeTimeoutMs is not given. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000;
// Distinct configurations kept; more than this (certificates generated on the fly) evicts the oldest.
const CACHE_LIMIT = 64;

type Pem = string | Uint8Array;

/**
 * PEM for Node: strings as they are, bytes viewed as a Buffer without copying. `what`
 * names the option in errors ("tls.cert").
 */
export function pem(v: Pem | undefined, what = "tls PEM"): string | Buffer | undefined {
  if (typeof v === "string") { checkNotPath(v, what); return v; }
  if (v === undefined) return v;
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw typeError(`TLS: PEM must be a string or bytes, got ${v === null ? "null" : typeof v}`);
}

/**
 * A file name where PEM text belongs (`cert: "server.crt"`) would reach OpenSSL as
 * "no start line": say what was meant instead. A path is one short line without a
 * PEM header; PEM text always has "-----BEGIN" and several lines.
 */
function checkNotPath(v: string, what: string): void {
  if (v.length > 4096 || v.includes("-----BEGIN") || /[\r\n]/.test(v) || v.trim() === "") return;
  throw new MgError("ERR_TLS", `${what} looks like a file path (${JSON.stringify(v)}); pass the file's contents: fs.readFileSync(path)`);
}

/**
 * The CA PEM, checked: Node silently ignores a `ca` it cannot parse, which would turn a
 * typo into "not signed by a trusted CA" later.
 */
function checkedCa(v: Pem | undefined): string | Buffer | undefined {
  const p = pem(v, "tls.ca");
  if (p === undefined) return p;
  const text = typeof p === "string" ? p : p.toString("latin1");
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g);
  if (blocks === null) throw new MgError("ERR_TLS", "tls.ca holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  for (const b of blocks) {
    try { new X509Certificate(b); } catch (e) { throw new MgError("ERR_TLS", `tls.ca holds a certificate that cannot be parsed: ${(e as Error).message}`); }
  }
  return p;
}

export function handshakeTimeout(opts: TlsOpts): number {
  const t = opts.handshakeTimeoutMs;
  if (t === undefined) return DEFAULT_HANDSHAKE_TIMEOUT_MS;
  if (!Number.isInteger(t) || t <= 0) throw new MgError("ERR_TLS", `TLS: handshakeTimeoutMs must be a positive integer, got ${t}`);
  return t;
}

/** The ALPN protocols to offer: the options', else the layer's default (http/1.1 for HTTP). */
export function alpnFor(opts: TlsOpts, defaults: readonly string[] | undefined): string[] | undefined {
  if (opts.alpn !== undefined) return opts.alpn.length > 0 ? opts.alpn : undefined;
  return defaults === undefined ? undefined : [...defaults];
}

// A cache key for PEM material: strings by content, byte arrays by identity (the guide
// reads the files once and passes the same Buffers on every accept).
const byteIds = new WeakMap<object, number>();
let nextByteId = 1;
function keyOf(v: Pem | undefined): string {
  if (v === undefined) return "-";
  if (typeof v === "string") return `s${v.length}:${v}`;
  let id = byteIds.get(v);
  if (id === undefined) { id = nextByteId++; byteIds.set(v, id); }
  return `b${id}`;
}

function remember<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let v = cache.get(key);
  if (v === undefined) {
    v = make();
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(key, v);
  }
  return v;
}

// ---- servers -------------------------------------------------------------------------

/** What a server-side handshake reports back; set once per tls.Server. */
export interface ServerEvents {
  secure(tlsSock: tls.TLSSocket): void;
  failed(err: Error, tlsSock: tls.TLSSocket): void;
}

const servers = new Map<string, tls.Server>();
const serversByOpts = new WeakMap<TlsOpts, Map<string, tls.Server>>();

/**
 * The (cached) tls.Server for these options. Throws an Error that says what is wrong
 * when the certificate, key or CA cannot be used.
 */
export function serverFor(opts: TlsOpts, alpnDefault: readonly string[] | undefined, events: ServerEvents): tls.Server {
  const alpn = alpnFor(opts, alpnDefault);
  const timeout = handshakeTimeout(opts);
  const variant = `${alpn?.join(",") ?? ""}|${timeout}`;
  let mine = serversByOpts.get(opts);
  const fast = mine?.get(variant);
  if (fast !== undefined) return fast;
  const sni = opts.sni ?? {};
  const names = Object.keys(sni);
  let key = `${variant}|${keyOf(opts.cert)}|${keyOf(opts.key)}|${keyOf(opts.ca)}`;
  for (const n of names) key += `|${n}=${keyOf(sni[n]!.cert)}/${keyOf(sni[n]!.key)}`;
  const srv = remember(servers, key, () => makeServer(opts, names, alpn, timeout, events));
  if (mine === undefined) { mine = new Map(); serversByOpts.set(opts, mine); }
  mine.set(variant, srv);
  return srv;
}

function makeServer(opts: TlsOpts, names: string[], alpn: string[] | undefined, timeout: number, events: ServerEvents): tls.Server {
  let cert = pem(opts.cert, "tls.cert");
  let key = pem(opts.key, "tls.key");
  if ((cert === undefined) !== (key === undefined)) {
    throw new MgError("ERR_TLS", `TLS: a server needs both cert and key (got only ${cert === undefined ? "key" : "cert"})`);
  }
  if (cert === undefined && names.length > 0) {
    // No default certificate: clients that ask for no name (or an unknown one) get the first.
    const first = opts.sni![names[0]!]!;
    cert = pem(first.cert, `tls.sni[${JSON.stringify(names[0])}].cert`);
    key = pem(first.key, `tls.sni[${JSON.stringify(names[0])}].key`);
  }
  if (cert === undefined || key === undefined) {
    throw new MgError("ERR_TLS", "TLS: a server needs a certificate: give tls.cert and tls.key (or tls.sni)");
  }
  let srv: tls.Server;
  let ca: string | Buffer | undefined;
  try {
    ca = checkedCa(opts.ca);
    srv = new tls.Server({
      cert, key, ca,
      // mTLS: with a CA, clients must present a certificate it signed (RFC 8446 §4.3.2).
      requestCert: ca !== undefined,
      rejectUnauthorized: ca !== undefined,
      ALPNProtocols: alpn,
      handshakeTimeout: timeout,
    });
  } catch (err) {
    throw new MgError("ERR_TLS", `TLS: the server's certificate, key or CA cannot be used: ${(err as Error).message}`);
  }
  for (const n of names) {
    const e = opts.sni![n]!;
    try {
      srv.addContext(n, { cert: pem(e.cert, `tls.sni[${JSON.stringify(n)}].cert`), key: pem(e.key, `tls.sni[${JSON.stringify(n)}].key`), ca });
    } catch (err) {
      if (err instanceof MgError) throw err;
      throw new MgError("ERR_TLS", `TLS: the certificate or key for SNI name "${n}" cannot be used: ${(err as Error).message}`);
    }
  }
  srv.on("secureConnection", (s: tls.TLSSocket) => events.secure(s));
  srv.on("tlsClientError", (err: Error, s: tls.TLSSocket) => events.failed(err, s));
  return srv;
}

// ---- clients -------------------------------------------------------------------------

const clientContexts = new Map<string, tls.SecureContext>();

/** The (cached) secure context of a client: trusted CAs (the system's when no ca) and an optional client certificate. */
export function clientContextFor(opts: TlsOpts): tls.SecureContext {
  const key = `${keyOf(opts.ca)}|${keyOf(opts.cert)}|${keyOf(opts.key)}`;
  return remember(clientContexts, key, () => {
    const cert = pem(opts.cert, "tls.cert");
    const k = pem(opts.key, "tls.key");
    if ((cert === undefined) !== (k === undefined)) {
      throw new MgError("ERR_TLS", `TLS: a client certificate needs both cert and key (got only ${cert === undefined ? "key" : "cert"})`);
    }
    return tls.createSecureContext({ ca: checkedCa(opts.ca), cert, key: k });
  });
}
