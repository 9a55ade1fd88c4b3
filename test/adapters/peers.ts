// Test tools shared by the adapter tests: a raw TCP client that can pause reading, and a
// parser for raw HTTP/1.1 responses (Content-Length, chunked, or none for HEAD/204/304).
import * as net from "node:net";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Connection, Manager } from "../../src/index.js";

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The server side connections of `m` (not the listener). */
export function serverConns(m: Manager): Connection[] {
  return m.connections.filter((c) => !c.isListening);
}

export interface RawClient {
  sock: net.Socket;
  readonly received: number;
  readonly closed: boolean;
  data(): Buffer;
  connected: Promise<void>;
}

/** A raw client whose reading can be paused; collects what it reads. */
export function rawClient(port: number): RawClient {
  const sock = net.connect(port, "127.0.0.1");
  const chunks: Buffer[] = [];
  let received = 0;
  let closed = false;
  sock.on("data", (d: Buffer) => { chunks.push(d); received += d.length; });
  sock.on("close", () => { closed = true; });
  sock.on("error", () => { /* the test asserts on what arrived */ });
  return {
    sock,
    get received() { return received; },
    get closed() { return closed; },
    data: () => Buffer.concat(chunks),
    connected: new Promise<void>((r) => sock.once("connect", () => r())),
  };
}

export interface RawResponse {
  status: number;
  head: string;
  /** Header names in lower case; repeated headers kept in order. */
  headers: [string, string][];
  header(name: string): string | undefined;
  body: Buffer;
  chunked: boolean;
  /** Chunk sizes as framed (chunked bodies). */
  chunks: number[];
}

/**
 * Splits raw bytes into complete responses. `noBody[i]` says response i answers a HEAD
 * request. Throws on an incomplete or malformed response unless `partialOk`, in which
 * case parsing stops there.
 */
export function parseResponses(buf: Buffer, noBody: boolean[] = [], partialOk = false): RawResponse[] {
  const out: RawResponse[] = [];
  let pos = 0;
  const incomplete = (what: string): RawResponse[] => {
    if (partialOk) return out;
    throw new Error(`incomplete ${what} at ${pos}: ${JSON.stringify(buf.subarray(pos, pos + 200).toString("latin1"))}`);
  };
  while (pos < buf.length) {
    const end = buf.indexOf("\r\n\r\n", pos, "latin1");
    if (end < 0) return incomplete("head");
    const head = buf.subarray(pos, end).toString("latin1");
    const lines = head.split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (!m) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
    const status = Number(m[1]);
    const headers: [string, string][] = [];
    for (const l of lines.slice(1)) {
      const c = l.indexOf(":");
      headers.push([l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim()]);
    }
    const header = (n: string): string | undefined => headers.find(([k]) => k === n.toLowerCase())?.[1];
    let p = end + 4;
    let body: Buffer;
    const chunks: number[] = [];
    const te = header("transfer-encoding");
    const chunked = te !== undefined && te.toLowerCase().includes("chunked");
    if (noBody[out.length] || status === 304 || status === 204 || status < 200) {
      body = Buffer.alloc(0);
    } else if (chunked) {
      const parts: Buffer[] = [];
      for (;;) {
        const le = buf.indexOf("\r\n", p, "latin1");
        if (le < 0) return incomplete("chunk size");
        const size = parseInt(buf.subarray(p, le).toString("latin1"), 16);
        if (!Number.isFinite(size)) throw new Error("bad chunk size");
        p = le + 2;
        if (size === 0) {
          if (buf.length < p + 2) return incomplete("last chunk");
          p += 2; // no trailers in these tests
          break;
        }
        if (buf.length < p + size + 2) return incomplete("chunk");
        parts.push(buf.subarray(p, p + size));
        chunks.push(size);
        p += size + 2;
      }
      body = Buffer.concat(parts);
    } else {
      const len = Number(header("content-length") ?? "0");
      if (buf.length < p + len) return incomplete("body");
      body = buf.subarray(p, p + len);
      p += len;
    }
    out.push({ status, head, headers, header, body, chunked, chunks });
    pos = p;
  }
  return out;
}

export interface SelfSigned { cert: string; key: string; certFile: string; dir: string; cleanup(): void }

/** A self-signed certificate for localhost and 127.0.0.1, made with Debian's openssl. */
export function selfSignedCert(): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), "tsmongoose-adapters-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", "key.pem", "-out", "cert.pem", "-days", "2", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const certFile = join(dir, "cert.pem");
  return {
    cert: readFileSync(certFile, "utf8"), key: readFileSync(join(dir, "key.pem"), "utf8"), certFile, dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
