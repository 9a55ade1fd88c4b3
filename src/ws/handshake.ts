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
  return undefined;
}

/** Checks a server's 101 response (section 4.1, the client's checks 1-6). Returns an error text or undefined. */
export function checkUpgradeResponse(msg: HttpMessage, key: string, protocols: readonly string[]): string | undefined {
  const status = msg.status();
  if (status !== 101) return `server answered ${status ?? "?"} ${msg.proto} instead of 101 Switching Protocols`;
  if (!hasToken(msg.header("Upgrade"), "websocket")) return "101 response without Upgrade: websocket";
  if (!hasToken(msg.header("Connection"), "upgrade")) return "101 response without Connection: Upgrade";
  const accept = msg.header("Sec-WebSocket-Accept");
  if (accept === undefined || accept.trim() !== acceptKey(key)) return "wrong Sec-WebSocket-Accept";
  const proto = msg.header("Sec-WebSocket-Protocol");
  if (proto !== undefined && !protocols.includes(proto.trim())) return `server chose subprotocol "${proto}" that was not offered`;
  return undefined;
}
