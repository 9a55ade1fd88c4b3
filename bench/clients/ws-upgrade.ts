// The load client's opening handshake, by hand (RFC 6455 section 4.1): the upgrade
// request, and the checks a client must make on the server's answer before sending frames.
import { createHash, randomBytes } from "node:crypto";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** A response head longer than this is an error, not an upgrade. */
export const MAX_UPGRADE_HEAD = 8192;

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64 (section 4.1). */
export function newKey(): string {
  return randomBytes(16).toString("base64");
}

/** The value the server must return in Sec-WebSocket-Accept for `key` (section 4.2.2). */
export function acceptFor(key: string): string {
  return createHash("sha1").update(key + GUID).digest("base64");
}

/** The GET request that asks for the upgrade; no subprotocols, and no extensions unless `extensions` is given. */
export function upgradeRequest(url: URL, key: string, extensions?: string): Buffer {
  return Buffer.from(
    `GET ${url.pathname}${url.search} HTTP/1.1\r\n` +
    `Host: ${url.host}\r\n` +
    "Upgrade: websocket\r\n" +
    "Connection: Upgrade\r\n" +
    `Sec-WebSocket-Key: ${key}\r\n` +
    (extensions !== undefined ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : "") +
    "Sec-WebSocket-Version: 13\r\n\r\n",
    "latin1",
  );
}

/**
 * Checks a response head (the text before the blank line) against section 4.1's rules;
 * returns what is wrong, or undefined for a valid 101.
 */
export function checkUpgradeResponse(head: string, key: string, deflateOffered = false): string | undefined {
  const lines = head.split("\r\n");
  const status = lines[0] ?? "";
  if (!/^HTTP\/1\.1 101( |$)/.test(status)) return `upgrade refused: ${JSON.stringify(status.slice(0, 80))}`;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) return `malformed header line ${JSON.stringify(line.slice(0, 80))}`;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)!}, ${value}` : value);
  }
  if (headers.get("upgrade")?.toLowerCase() !== "websocket") return `Upgrade header is ${JSON.stringify(headers.get("upgrade") ?? null)}`;
  const connection = (headers.get("connection") ?? "").toLowerCase().split(",").map((t) => t.trim());
  if (!connection.includes("upgrade")) return `Connection header is ${JSON.stringify(headers.get("connection") ?? null)}`;
  const accept = headers.get("sec-websocket-accept");
  if (accept !== acceptFor(key)) return `wrong Sec-WebSocket-Accept ${JSON.stringify(accept ?? null)}`;
  const ext = headers.get("sec-websocket-extensions");
  if (deflateOffered) {
    // The offer asked for no context takeover both ways; a server that accepts must confirm
    // server_no_context_takeover (RFC 7692 section 7.1.1.1).
    const params = (ext ?? "").split(";").map((t) => t.trim().toLowerCase());
    if (params[0] !== "permessage-deflate") return `permessage-deflate not accepted (extensions: ${JSON.stringify(ext ?? null)})`;
    if (!params.includes("server_no_context_takeover")) return `permessage-deflate accepted without server_no_context_takeover: ${JSON.stringify(ext)}`;
  } else if (ext !== undefined) {
    // Nothing was offered, so nothing may be accepted (section 4.1, items 5 and 6).
    return `unrequested extension ${JSON.stringify(ext)}`;
  }
  if (headers.has("sec-websocket-protocol")) return `unrequested subprotocol ${JSON.stringify(headers.get("sec-websocket-protocol"))}`;
  return undefined;
}
