// SNTP/NTP packets (RFC 4330 section 4, RFC 5905 section 7.3): 48 bytes, big-endian.
//   byte 0: LI (2 bits) | VN (3 bits) | Mode (3 bits); 1: stratum; 2: poll; 3: precision;
//   4: root delay; 8: root dispersion; 12: reference identifier;
//   16: reference, 24: originate, 32: receive, 40: transmit timestamps (64-bit NTP format).

export const SNTP_PACKET_SIZE = 48;
export const NTP_MODE_CLIENT = 3;
export const NTP_MODE_SERVER = 4;
const OFF_REFID = 12;
const OFF_ORIGINATE = 24;
const OFF_RECEIVE = 32;
const OFF_TRANSMIT = 40;
// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch).
const NTP_UNIX_DELTA = 2_208_988_800;
const TWO_32 = 4_294_967_296;

/**
 * NTP seconds -> Unix epoch milliseconds. RFC 4330 section 3: when the most significant
 * bit of the seconds is set the time is in 1968-2036 (era 0, counted from 1900); when it
 * is clear the time is in 2036-2104 (era 1, counted from 2036-02-07T06:28:16Z).
 */
export function ntpToEpochMs(seconds: number, fraction: number): number {
  const era = seconds >= 0x8000_0000 ? 0 : TWO_32;
  return (seconds + era - NTP_UNIX_DELTA) * 1000 + (fraction / TWO_32) * 1000;
}

/** Reads the 64-bit NTP timestamp at `off` as epoch milliseconds (fractional). */
export function readTimestamp(buf: Uint8Array, off: number): number {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return ntpToEpochMs(v.getUint32(off), v.getUint32(off + 4));
}

/** Writes epoch milliseconds as a 64-bit NTP timestamp at `off` (the inverse mapping of ntpToEpochMs). */
export function writeTimestamp(buf: Uint8Array, off: number, epochMs: number): void {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const totalSec = Math.floor(epochMs / 1000);
  const fracMs = epochMs - totalSec * 1000;
  // Modulo 2^32: the era is implied by the top bit (RFC 4330 section 3).
  const sec = ((totalSec + NTP_UNIX_DELTA) % TWO_32 + TWO_32) % TWO_32;
  v.setUint32(off, sec);
  v.setUint32(off + 4, Math.min(TWO_32 - 1, Math.floor((fracMs / 1000) * TWO_32)));
}

/**
 * A client request (RFC 4330 section 5): LI 0, version 4, mode 3, and only the transmit
 * timestamp set. The low 16 bits of its fraction (well below a millisecond) are random,
 * as section 3 advises, so a spoofer cannot guess the originate timestamp the reply must echo.
 */
export function buildRequest(nowEpochMs: number, random16: number): Buffer {
  const buf = Buffer.alloc(SNTP_PACKET_SIZE);
  buf[0] = (0 << 6) | (4 << 3) | NTP_MODE_CLIENT;
  writeTimestamp(buf, OFF_TRANSMIT, nowEpochMs);
  buf.writeUInt16BE(random16 & 0xffff, OFF_TRANSMIT + 6);
  return buf;
}

/** The transmit timestamp of a request: what the server's reply must echo as its originate timestamp. */
export function requestTransmit(req: Uint8Array): Uint8Array {
  return req.subarray(OFF_TRANSMIT, OFF_TRANSMIT + 8);
}

/** A server reply that passed every check. */
export interface SntpReply {
  leap: number;
  version: number;
  stratum: number;
  /** Server time when the request arrived (T2), epoch ms. */
  receiveMs: number;
  /** Server time when the reply left (T3), epoch ms. */
  transmitMs: number;
}

/** A reply that was rejected; `kiss` is the kiss code of a kiss-o'-death packet (RFC 4330 section 8). */
export interface SntpReject { reason: string; kiss?: string }

function isZero(buf: Uint8Array, off: number, n: number): boolean {
  for (let i = off; i < off + n; i++) if (buf[i] !== 0) return false;
  return true;
}

function sameBytes(a: Uint8Array, off: number, b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (a[off + i] !== b[i]) return false;
  return true;
}

/** The kiss code: the reference identifier as 4 ASCII characters (printable only). */
function kissCode(buf: Uint8Array): string {
  let s = "";
  for (let i = OFF_REFID; i < OFF_REFID + 4; i++) {
    const ch = buf[i]!;
    if (ch === 0) break;
    s += ch >= 0x20 && ch < 0x7f ? String.fromCharCode(ch) : "?";
  }
  return s === "" ? "(none)" : s;
}

/**
 * Checks a server reply to the request whose transmit timestamp was `originate`
 * (RFC 4330 section 5). The originate check comes before the kiss-o'-death check so
 * that an off-path sender cannot make us give up with a forged kiss.
 */
export function parseReply(buf: Uint8Array, originate: Uint8Array): SntpReply | SntpReject {
  if (buf.length !== SNTP_PACKET_SIZE) {
    // Extension fields and MACs (RFC 5905 section 7.5) are only sent when the client asks for them.
    return { reason: `bad packet size ${buf.length} (expected ${SNTP_PACKET_SIZE})` };
  }
  const leap = buf[0]! >> 6;
  const version = (buf[0]! >> 3) & 7;
  const mode = buf[0]! & 7;
  const stratum = buf[1]!;
  if (mode !== NTP_MODE_SERVER) return { reason: `not a server reply (mode ${mode})` };
  if (version !== 3 && version !== 4) return { reason: `unsupported version ${version}` };
  if (!sameBytes(buf, OFF_ORIGINATE, originate)) return { reason: "originate timestamp does not match our request (stale or spoofed reply)" };
  if (stratum === 0) {
    const kiss = kissCode(buf);
    return { reason: `kiss-o'-death ${kiss}`, kiss };
  }
  if (leap === 3 || stratum >= 16) return { reason: "server clock not synchronized" };
  if (isZero(buf, OFF_TRANSMIT, 8)) return { reason: "zero transmit timestamp" };
  return {
    leap, version, stratum,
    receiveMs: readTimestamp(buf, OFF_RECEIVE),
    transmitMs: readTimestamp(buf, OFF_TRANSMIT),
  };
}
