import { toBuffer } from "./bytes.js";

/** Base64 of a string (UTF-8) or bytes. */
export function base64Encode(data: string | Uint8Array): string {
  return toBuffer(data).toString("base64");
}

/** Decodes standard or URL-safe base64. Throws on characters outside the alphabet. */
export function base64Decode(text: string): Buffer {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/\-_]*={0,2}$/.test(t)) throw new Error("base64Decode: input is not base64");
  return Buffer.from(t, t.includes("-") || t.includes("_") ? "base64url" : "base64");
}
