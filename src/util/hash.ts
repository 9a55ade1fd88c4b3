// Digests (from node:crypto, i.e. OpenSSL) and CRC-32.
import { createHash, createHmac } from "node:crypto";
import { toBuffer } from "./bytes.js";
import { MgError, typeError, rangeError } from "./errors.js";

/** MD5 of a string (UTF-8) or bytes: 16 bytes. For checksums and legacy protocols, not security. */
export function md5(data: string | Uint8Array): Buffer {
  return createHash("md5").update(toBuffer(data)).digest();
}

/** SHA-1 of a string (UTF-8) or bytes: 20 bytes. */
export function sha1(data: string | Uint8Array): Buffer {
  return createHash("sha1").update(toBuffer(data)).digest();
}

/** SHA-256 of a string (UTF-8) or bytes: 32 bytes. */
export function sha256(data: string | Uint8Array): Buffer {
  return createHash("sha256").update(toBuffer(data)).digest();
}

/** HMAC-SHA-256 (RFC 2104) of `data` under `key`: 32 bytes. */
export function hmacSha256(key: string | Uint8Array, data: string | Uint8Array): Buffer {
  return createHmac("sha256", toBuffer(key)).update(toBuffer(data)).digest();
}

// CRC-32/ISO-HDLC (the zlib, PNG and Ethernet CRC): reflected polynomial 0xEDB88320.
const CRC_TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32 of `data` as an unsigned 32-bit number. `initial` is a previous result, so a
 * CRC can be computed in pieces: `crc32(b, crc32(a)) === crc32(a + b)`, as with
 * Mongoose's mg_crc32. `crc32("123456789") === 0xcbf43926`.
 */
export function crc32(data: string | Uint8Array, initial = 0): number {
  if (!Number.isInteger(initial) || initial < 0 || initial > 0xffffffff) {
    throw rangeError(`crc32: initial must be an unsigned 32-bit integer, got ${initial}`);
  }
  const b = toBuffer(data);
  let c = ~initial;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
