// The DNS message codec (RFC 1035): builds a query for one A or AAAA question and
// parses a response into its header, question and answer records. Pure: no sockets,
// no clock. The parser follows the message format of RFC 1035 section 4.1 and refuses
// the input at the byte where it becomes invalid (the error carries that offset), so a
// crafted or truncated datagram never yields a half-read answer. Names may use
// compression pointers (section 4.1.4); every pointer must point strictly backwards,
// which makes loops impossible without counting hops.

/** RR TYPE values used here (RFC 1035 section 3.2.2; AAAA: RFC 3596 section 2.1). */
export const DNS_TYPE_A = 1;
export const DNS_TYPE_CNAME = 5;
export const DNS_TYPE_AAAA = 28;
/** CLASS IN (RFC 1035 section 3.2.4). */
export const DNS_CLASS_IN = 1;
/** RCODE values (RFC 1035 section 4.1.1). */
export const DNS_RCODE_NOERROR = 0;
export const DNS_RCODE_NXDOMAIN = 3;

/** The fixed header is 12 bytes (RFC 1035 section 4.1.1). */
export const DNS_HEADER_SIZE = 12;
/** A name is at most 255 octets on the wire, a label at most 63 (RFC 1035 section 2.3.4). */
const MAX_NAME_WIRE = 255;
const MAX_LABEL = 63;
/** Records read at most per section: a datagram of 64 KiB cannot hold more than this many of 11 bytes. */
const MAX_RECORDS = 6000;

export interface DnsQuestion { name: string; type: number; cls: number }

export interface DnsRecord {
  name: string;
  type: number;
  cls: number;
  /** Seconds (RFC 1035 section 3.2.1: a 32-bit unsigned value; values with the top bit set count as 0, RFC 2181 section 8). */
  ttl: number;
  /** A / AAAA: the address in text form; CNAME: the canonical name; other types: "". */
  data: string;
}

export interface DnsResponse {
  id: number;
  /** QR, Opcode, AA, TC, RD, RA, Z, RCODE as on the wire (RFC 1035 section 4.1.1). */
  flags: number;
  rcode: number;
  /** TC: the answer was truncated to fit a datagram; ask again over TCP (RFC 1035 section 4.2.1). */
  truncated: boolean;
  question: DnsQuestion | undefined;
  answers: DnsRecord[];
}

/** Why a message was refused, and the offset of the byte where it became invalid. */
export interface DnsParseError { error: string; offset: number }

/** Checks a host name and returns it without a trailing dot, or a reason it cannot be asked. */
export function checkQueryName(name: string): string | undefined {
  const n = name.endsWith(".") ? name.slice(0, -1) : name;
  if (n.length === 0) return "empty name";
  // RFC 1035 section 2.3.4: labels of 1..63 octets, 255 octets in all on the wire
  // (each label's length byte, the label, and the final zero byte).
  let wire = 1;
  let start = 0;
  for (let i = 0; i <= n.length; i++) {
    if (i === n.length || n.charCodeAt(i) === 0x2e) {
      const len = i - start;
      if (len === 0) return "empty label";
      if (len > MAX_LABEL) return "label longer than 63 octets";
      wire += len + 1;
      start = i + 1;
    } else if (n.charCodeAt(i) > 0x7e || n.charCodeAt(i) <= 0x20) {
      return "non-ASCII or control character in name (use punycode)";
    }
  }
  if (wire > MAX_NAME_WIRE) return "name longer than 255 octets";
  return undefined;
}

/**
 * A query (RFC 1035 section 4.1): header with `id`, RD set (recursion desired,
 * section 4.1.1), one question for `name` of `type` in class IN. Throws on a name that
 * checkQueryName() refuses.
 */
export function buildQuery(id: number, name: string, type: number): Buffer {
  const bad = checkQueryName(name);
  if (bad !== undefined) throw new RangeError(`DNS query: ${bad}: ${JSON.stringify(name)}`);
  const n = name.endsWith(".") ? name.slice(0, -1) : name;
  const buf = Buffer.alloc(DNS_HEADER_SIZE + n.length + 2 + 4);
  buf.writeUInt16BE(id & 0xffff, 0);
  buf.writeUInt16BE(0x0100, 2); // RD
  buf.writeUInt16BE(1, 4); // QDCOUNT
  let o = DNS_HEADER_SIZE;
  let start = 0;
  for (let i = 0; i <= n.length; i++) {
    if (i === n.length || n.charCodeAt(i) === 0x2e) {
      buf[o++] = i - start;
      o += buf.write(n.slice(start, i), o, "latin1");
      start = i + 1;
    }
  }
  buf[o++] = 0;
  buf.writeUInt16BE(type, o);
  buf.writeUInt16BE(DNS_CLASS_IN, o + 2);
  return buf;
}

/** The id of a message, or -1 when it is shorter than an id. */
export function messageId(buf: Uint8Array): number {
  return buf.length < 2 ? -1 : (buf[0]! << 8) | buf[1]!;
}

type NameResult = { name: string; next: number } | DnsParseError;

/**
 * Reads a domain name at `off` (RFC 1035 section 4.1.4): labels, ending with a zero
 * byte or a pointer. `next` is the offset after the name where it starts (after the
 * first pointer, when there is one).
 */
export function readName(buf: Uint8Array, off: number): NameResult {
  let pos = off;
  let next = -1;
  let wire = 0;
  // A pointer must point before the label sequence it ends, so each jump goes strictly
  // backwards and a chain of pointers cannot loop (section 4.1.4 only ever points at "a
  // prior occurance of the same name").
  let floor = off;
  let name = "";
  for (;;) {
    if (pos >= buf.length) return { error: "name runs past the end of the message", offset: pos };
    const len = buf[pos]!;
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) return { error: "compression pointer cut short", offset: pos + 1 };
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= floor) return { error: "compression pointer does not point backwards", offset: pos };
      if (next < 0) next = pos + 2;
      floor = target;
      pos = target;
      continue;
    }
    // Section 4.1.4: 10 and 01 are reserved for future use (RFC 6891 took 01 for EDNS0 labels, which no response to us may use).
    if (kind !== 0) return { error: "reserved label type", offset: pos };
    if (len === 0) {
      wire += 1;
      if (wire > MAX_NAME_WIRE) return { error: "name longer than 255 octets", offset: pos };
      return { name: name.length === 0 ? "." : name, next: next < 0 ? pos + 1 : next };
    }
    wire += len + 1;
    if (wire > MAX_NAME_WIRE) return { error: "name longer than 255 octets", offset: pos };
    if (pos + 1 + len > buf.length) return { error: "label runs past the end of the message", offset: buf.length };
    if (name.length > 0) name += ".";
    for (let i = pos + 1; i <= pos + len; i++) {
      const ch = buf[i]!;
      // Names are compared case-insensitively and hosts only have letters, digits and
      // hyphens; bytes that would change the dotted form ('.', controls, non-ASCII) are
      // escaped so that "a.b" as one label can never equal the two labels "a" and "b".
      if (ch === 0x2e || ch === 0x5c || ch <= 0x20 || ch >= 0x7f) name += `\\${ch.toString().padStart(3, "0")}`;
      else name += String.fromCharCode(ch);
    }
    pos += 1 + len;
  }
}

/** Parses a response (RFC 1035 section 4.1). Only the answer section is read; authority and additional records are not needed to find an address. */
export function parseResponse(buf: Uint8Array): DnsResponse | DnsParseError {
  if (buf.length < DNS_HEADER_SIZE) return { error: "message shorter than the 12-byte header", offset: buf.length };
  const id = (buf[0]! << 8) | buf[1]!;
  const flags = (buf[2]! << 8) | buf[3]!;
  // Section 4.1.1: QR is 1 in a response.
  if ((flags & 0x8000) === 0) return { error: "not a response (QR is 0)", offset: 2 };
  // Opcode 0 is a standard query: we never send another kind.
  if ((flags & 0x7800) !== 0) return { error: "opcode is not QUERY", offset: 2 };
  const qd = (buf[4]! << 8) | buf[5]!;
  const an = (buf[6]! << 8) | buf[7]!;
  const truncated = (flags & 0x0200) !== 0;
  const rcode = flags & 0x000f;
  // We ask one question; the response copies it (section 4.1.2). Zero is allowed for an
  // error response (some servers send FORMERR without it), more than one is not ours.
  if (qd > 1) return { error: "more than one question", offset: 4 };
  if (an > MAX_RECORDS) return { error: "answer count cannot fit in a message", offset: 6 };
  let off = DNS_HEADER_SIZE;
  let question: DnsQuestion | undefined;
  if (qd === 1) {
    const n = readName(buf, off);
    if ("error" in n) return n;
    off = n.next;
    if (off + 4 > buf.length) return { error: "question cut short", offset: buf.length };
    question = { name: n.name, type: (buf[off]! << 8) | buf[off + 1]!, cls: (buf[off + 2]! << 8) | buf[off + 3]! };
    off += 4;
  }
  const answers: DnsRecord[] = [];
  for (let i = 0; i < an; i++) {
    const n = readName(buf, off);
    if ("error" in n) {
      // Section 4.2.1: a truncated message may end anywhere; keep the whole records read.
      if (truncated) break;
      return n;
    }
    off = n.next;
    // Section 4.1.3: TYPE, CLASS, TTL, RDLENGTH, then RDATA.
    if (off + 10 > buf.length) { if (truncated) break; return { error: "resource record cut short", offset: buf.length }; }
    const type = (buf[off]! << 8) | buf[off + 1]!;
    const cls = (buf[off + 2]! << 8) | buf[off + 3]!;
    const ttlRaw = ((buf[off + 4]! << 24) | (buf[off + 5]! << 16) | (buf[off + 6]! << 8) | buf[off + 7]!) >>> 0;
    const rdlen = (buf[off + 8]! << 8) | buf[off + 9]!;
    const rd = off + 10;
    if (rd + rdlen > buf.length) { if (truncated) break; return { error: "RDATA runs past the end of the message", offset: buf.length }; }
    let data = "";
    if (cls === DNS_CLASS_IN && type === DNS_TYPE_A) {
      // Section 3.4.1: a 32-bit address.
      if (rdlen !== 4) return { error: "A record RDATA is not 4 bytes", offset: off + 8 };
      data = `${buf[rd]}.${buf[rd + 1]}.${buf[rd + 2]}.${buf[rd + 3]}`;
    } else if (cls === DNS_CLASS_IN && type === DNS_TYPE_AAAA) {
      // RFC 3596 section 2.2: a 128-bit address.
      if (rdlen !== 16) return { error: "AAAA record RDATA is not 16 bytes", offset: off + 8 };
      data = ip6Text(buf, rd);
    } else if (type === DNS_TYPE_CNAME) {
      // Section 3.3.1: one domain name that fills the RDATA exactly.
      const c = readName(buf, rd);
      if ("error" in c) return c;
      const end = c.next;
      if (end !== rd + rdlen) return { error: "CNAME RDATA length does not match its name", offset: Math.min(end, rd + rdlen) };
      data = c.name;
    }
    answers.push({ name: n.name, type, cls, ttl: ttlRaw > 0x7fffffff ? 0 : ttlRaw, data });
    off = rd + rdlen;
  }
  return { id, flags, rcode, truncated, question, answers };
}

/** An IPv6 address in the RFC 5952 text form (lower case, longest run of zero groups as "::"). */
function ip6Text(buf: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((buf[off + 2 * i]! << 8) | buf[off + 2 * i + 1]!);
  let bestAt = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number, b: number): string => g.slice(a, b).map((x) => x.toString(16)).join(":");
  if (bestAt < 0) return hex(0, 8);
  return `${hex(0, bestAt)}::${hex(bestAt + bestLen, 8)}`;
}

/** Case-insensitive name equality (RFC 1035 section 2.3.3; RFC 4343). */
export function sameName(a: string, b: string): boolean {
  const x = a.endsWith(".") && a.length > 1 ? a.slice(0, -1) : a;
  const y = b.endsWith(".") && b.length > 1 ? b.slice(0, -1) : b;
  return x.length === y.length && x.toLowerCase() === y.toLowerCase();
}

/** The longest CNAME chain followed before giving up (a loop of aliases). */
const MAX_CNAME_HOPS = 16;

export interface DnsAnswer { address: string; family: 4 | 6; ttl: number }

/**
 * The address that answers `name`/`type` in `resp`, following CNAME records from the
 * question's name (RFC 1034 section 3.6.2: the answer holds the chain, then the records
 * of the canonical name). undefined: no such record (NODATA). The TTL is the smallest
 * along the chain.
 */
export function findAddress(resp: DnsResponse, name: string, type: number): DnsAnswer | undefined {
  let target = name;
  let ttl = 0x7fffffff;
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    let alias: DnsRecord | undefined;
    for (const r of resp.answers) {
      if (r.cls !== DNS_CLASS_IN || !sameName(r.name, target)) continue;
      if (r.type === type) return { address: r.data, family: type === DNS_TYPE_AAAA ? 6 : 4, ttl: Math.min(ttl, r.ttl) };
      if (r.type === DNS_TYPE_CNAME && alias === undefined) alias = r;
    }
    if (alias === undefined) return undefined;
    ttl = Math.min(ttl, alias.ttl);
    target = alias.data;
  }
  return undefined;
}
