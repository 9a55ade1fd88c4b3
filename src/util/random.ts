// Random bytes and strings from the operating system's CSPRNG (node:crypto).
import { randomBytes as cryptoRandomBytes } from "node:crypto";
import { MgError, typeError, rangeError } from "./errors.js";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function checkLength(fn: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw rangeError(`${fn}: length must be a non-negative integer, got ${n}`);
}

/** `n` cryptographically random bytes. */
export function randomBytes(n: number): Buffer {
  checkLength("randomBytes", n);
  return cryptoRandomBytes(n);
}

/** A random string of `n` characters from A-Z, a-z and 0-9, each equally likely. */
export function randomStr(n: number): string {
  checkLength("randomStr", n);
  let out = "";
  while (out.length < n) {
    const pool = cryptoRandomBytes(n - out.length + 8);
    for (let i = 0; i < pool.length && out.length < n; i++) {
      // 248 = 4 * 62: rejecting bytes >= 248 keeps every character equally likely.
      if (pool[i]! < 248) out += ALNUM[pool[i]! % 62];
    }
  }
  return out;
}
