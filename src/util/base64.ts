import { toBuffer } from "./bytes.js";
import { MgError } from "./errors.js";

/** Base64 (RFC 4648 section 4, with padding) of a string (UTF-8) or bytes. */
export function base64Encode(data: string | Uint8Array): string {
  return toBuffer(data).toString("base64");
}

/**
 * Decodes standard or URL-safe base64 (RFC 4648 sections 4 and 5), padded or not;
 * surrounding whitespace is ignored. Throws on characters outside the alphabet,
 * misplaced padding, or a length no encoder produces. Bytes are taken as ASCII text.
 */
export function base64Decode(text: string | Uint8Array): Buffer {
  const t = (typeof text === "string" ? text : toBuffer(text).toString("latin1")).trim();
  const body = t.replace(/={1,2}$/, "");
  const padded = body.length !== t.length;
  if (!/^[A-Za-z0-9+/\-_]*$/.test(body) || body.length % 4 === 1 || (padded && t.length % 4 !== 0)) {
    throw new MgError("ERR_INVALID_ARG", "base64Decode: input is not base64");
  }
  // Node's "base64" decoder accepts both alphabets.
  return Buffer.from(body, "base64");
}
