// Frame header bits and payload masking (RFC 6455 sections 5.2 and 5.3).
import { randomFillSync } from "node:crypto";

export const FIN = 0x80;
export const RSV1 = 0x40;
export const RSV_ALL = 0x70;
export const OPCODE = 0x0f;
export const MASK_BIT = 0x80;
/** Largest payload of a control frame (RFC 6455 section 5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/** Copies `src` into `dst` at `at`, XORed with the key at `dst[k..k+4)`. */
export function maskInto(src: Uint8Array, dst: Buffer, at: number, k: number): void {
  const m0 = dst[k]!, m1 = dst[k + 1]!, m2 = dst[k + 2]!, m3 = dst[k + 3]!;
  const n = src.length, n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    dst[at + i] = src[i]! ^ m0;
    dst[at + i + 1] = src[i + 1]! ^ m1;
    dst[at + i + 2] = src[i + 2]! ^ m2;
    dst[at + i + 3] = src[i + 3]! ^ m3;
  }
  for (; i < n; i++) dst[at + i] = src[i]! ^ dst[k + (i & 3)]!;
}

// Masking keys must be unpredictable (section 10.3): they come from the CSPRNG, drawn
// in batches so that one frame costs no system call.
const pool = Buffer.allocUnsafeSlow(4096);
let poolAt = pool.length;

/** Writes a fresh random 4-byte masking key into `dst` at `at`. */
export function writeMaskKey(dst: Buffer, at: number): void {
  if (poolAt + 4 > pool.length) { randomFillSync(pool); poolAt = 0; }
  dst[at] = pool[poolAt]!;
  dst[at + 1] = pool[poolAt + 1]!;
  dst[at + 2] = pool[poolAt + 2]!;
  dst[at + 3] = pool[poolAt + 3]!;
  poolAt += 4;
}

/** Bytes of a frame header for a payload of `len` bytes. */
export function headerLength(len: number, masked: boolean): number {
  return (len < 126 ? 2 : len < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/** Writes a frame header at the start of `dst`; returns where the mask key (if any) or the payload starts. */
export function writeHeader(dst: Buffer, b0: number, len: number, masked: boolean): number {
  return writeHeaderAt(dst, 0, b0, len, masked);
}

/** Writes a frame header at `dst[at..]`; returns the offset where the mask key (if any) or the payload starts. */
export function writeHeaderAt(dst: Buffer, at: number, b0: number, len: number, masked: boolean): number {
  dst[at] = b0;
  const m = masked ? MASK_BIT : 0;
  if (len < 126) { dst[at + 1] = m | len; return at + 2; }
  if (len < 65536) { dst[at + 1] = m | 126; dst.writeUInt16BE(len, at + 2); return at + 4; }
  dst[at + 1] = m | 127;
  dst.writeUInt32BE(Math.floor(len / 0x100000000), at + 2);
  dst.writeUInt32BE(len >>> 0, at + 6);
  return at + 10;
}

/** XORs `b[from..to)` in place with the key at `key[k..k+4)` (section 5.3). */
export function maskRange(b: Buffer, from: number, to: number, key: Buffer, k: number): void {
  xorKeyBytes(b, from, to, key[k]!, key[k + 1]!, key[k + 2]!, key[k + 3]!);
}

/** XORs `b[from..to)` in place with the key bytes m0..m3 repeating from `from`, byte by byte. */
export function xorKeyBytes(b: Buffer, from: number, to: number, m0: number, m1: number, m2: number, m3: number): void {
  let i = from;
  const end4 = from + ((to - from) & ~3);
  for (; i < end4; i += 4) {
    b[i] = b[i]! ^ m0;
    b[i + 1] = b[i + 1]! ^ m1;
    b[i + 2] = b[i + 2]! ^ m2;
    b[i + 3] = b[i + 3]! ^ m3;
  }
  if (i < to) b[i] = b[i]! ^ m0;
  if (i + 1 < to) b[i + 1] = b[i + 1]! ^ m1;
  if (i + 2 < to) b[i + 2] = b[i + 2]! ^ m2;
}
