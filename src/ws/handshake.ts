// The opening handshake (RFC 6455 section 4): Sec-WebSocket-Accept, validation of
// upgrade requests (server) and of 101 responses (client).
import { createHash, randomBytes } from "node:crypto";
import type { HttpMessage } from "../http/message.js";

/** The GUID of section 1.3, appended to the key before hashing. */
const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key (section 4.2.2, step 5.4): base64(SHA-1(key + GUID)). */
export function acceptKey(key: string): string {
  return createHash("sha1").update(key + WS_GUID).digest("base64");
}

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64 (section 4.1). */
export function newKey(): string {
  return randomBytes(16).toString("base64");
}

/** True when `key` is the base64 form of 16 bytes (section 4.2.1, item 5). */
export function isValidKey(key: string): boolean {
  if (key.length !== 24 || key[22] !== "=" || key[23] !== "=") return false;
  for (let i = 0; i < 22; i++) {
    const c = key.charCodeAt(i);
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    if (!ok) return false;
  }
  return true;
}

/** True when a comma-separated header value lists `token` (any case). */
export function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  for (const part of value.split(",")) {
    if (part.trim().toLowerCase() === token) return true;
  }
  return false;
}

/** Why an upgrade request is refused: the status to answer with and a reason. */
export interface HandshakeRefusal { status: 400 | 426; reason: string }

/** Checks a client's opening handshake (section 4.2.1). */
export function checkUpgradeRequest(msg: HttpMessage): HandshakeRefusal | undefined {
  if (msg.method !== "GET") return { status: 400, reason: `WebSocket upgrade needs GET, not ${msg.method}` };
  if (msg.proto !== "HTTP/1.1") return { status: 400, reason: `WebSocket upgrade needs HTTP/1.1, not ${msg.proto}` };
  // Item 2: "A |Host| header field containing the server's authority" (exactly one, not empty).
  const hosts = msg.headerAll("Host");
  if (hosts.length !== 1 || hosts[0]!.trim() === "") return { status: 400, reason: "missing or repeated Host header" };
  if (!hasToken(msg.header("Upgrade"), "websocket")) return { status: 426, reason: "missing Upgrade: websocket" };
  if (!hasToken(msg.header("Connection"), "upgrade")) return { status: 400, reason: "missing Connection: Upgrade" };
  const version = msg.header("Sec-WebSocket-Version");
  // Section 4.4: an unsupported version is answered with 426 and the versions we speak.
  if (version === undefined || version.trim() !== "13") return { status: 426, reason: `unsupported Sec-WebSocket-Version ${version ?? "(none)"}` };
  const keys = msg.headerAll("Sec-WebSocket-Key");
  if (keys.length !== 1 || !isValidKey(keys[0]!.trim())) return { status: 400, reason: "missing or invalid Sec-WebSocket-Key" };
  if (offeredProtocols(msg) === undefined) return { status: 400, reason: "invalid Sec-WebSocket-Protocol" };
  return undefined;
}

/** True for an RFC 7230 token (section 3.2.6): what a subprotocol name must be (RFC 6455 section 4.1). */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
      c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2e ||
      c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e;
    if (!ok) return false;
  }
  return true;
}

/**
 * The subprotocols a client offers, in its order of preference: every
 * Sec-WebSocket-Protocol header, a comma-separated list of tokens (RFC 6455 section
 * 4.1 item 10, section 11.3.4: `1#token`, each value unique). Undefined when the list
 * breaks that grammar (empty element, non-token, repeated value).
 */
export function offeredProtocols(msg: HttpMessage): string[] | undefined {
  const values = msg.headerAll("Sec-WebSocket-Protocol");
  const out: string[] = [];
  for (const v of values) {
    for (const part of v.split(",")) {
      const p = part.trim();
      if (!isToken(p) || out.includes(p)) return undefined;
      out.push(p);
    }
  }
  return out;
}

/** Checks a server's 101 response (section 4.1, the client's checks 1-6). Returns an error text or undefined. */
export function checkUpgradeResponse(msg: HttpMessage, key: string, protocols: readonly string[]): string | undefined {
  const status = msg.status();
  if (status !== 101) return `server answered ${status ?? "?"} ${msg.proto} instead of 101 Switching Protocols`;
  if (!hasToken(msg.header("Upgrade"), "websocket")) return "101 response without Upgrade: websocket";
  if (!hasToken(msg.header("Connection"), "upgrade")) return "101 response without Connection: Upgrade";
  const accept = msg.header("Sec-WebSocket-Accept");
  if (accept === undefined || accept.trim() !== acceptKey(key)) return "wrong Sec-WebSocket-Accept";
  // Section 4.1, item 6: the server's choice (one value) must be one we offered.
  const protos = msg.headerAll("Sec-WebSocket-Protocol");
  if (protos.length > 1) return "101 response with more than one Sec-WebSocket-Protocol";
  const proto = protos[0];
  if (proto !== undefined && !protocols.includes(proto.trim())) return `server chose subprotocol "${proto}" that was not offered`;
  return undefined;
}

/** The value of header `lowerName` in formatted header lines ("Name: value\r\n..."), or undefined. */
export function headerIn(lines: string, lowerName: string): string | undefined {
  for (const line of lines.split("\r\n")) {
    if (line.length > lowerName.length && line.charCodeAt(lowerName.length) === 0x3a && line.slice(0, lowerName.length).toLowerCase() === lowerName) {
      return line.slice(lowerName.length + 1).trim();
    }
  }
  return undefined;
}
