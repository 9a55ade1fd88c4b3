// A hand-written DNS message writer for the tests (independent of src/dns/codec.ts):
// header fields, names as labels or with compression pointers, records with any RDATA.
export type NamePart = string | { ptr: number };

/** A name on the wire: "a.b" as labels, then optionally a pointer instead of the final zero byte. */
export function name(labels: string, ptr?: number): Buffer {
  const parts: Buffer[] = [];
  for (const l of labels === "" ? [] : labels.split(".")) parts.push(Buffer.from([l.length]), Buffer.from(l, "latin1"));
  parts.push(ptr === undefined ? Buffer.from([0]) : Buffer.from([0xc0 | (ptr >> 8), ptr & 0xff]));
  return Buffer.concat(parts);
}

export function u16(n: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; }
export function u32(n: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; }

export interface HeaderFields { id?: number; flags?: number; qd?: number; an?: number; ns?: number; ar?: number }

/** A 12-byte header; flags default to a response with RD and RA (0x8180). */
export function header(h: HeaderFields = {}): Buffer {
  return Buffer.concat([u16(h.id ?? 0x1234), u16(h.flags ?? 0x8180), u16(h.qd ?? 1), u16(h.an ?? 0), u16(h.ns ?? 0), u16(h.ar ?? 0)]);
}

export function question(nameBytes: Buffer, type = 1, cls = 1): Buffer { return Buffer.concat([nameBytes, u16(type), u16(cls)]); }

export function record(nameBytes: Buffer, type: number, rdata: Buffer, ttl = 300, cls = 1, rdlength = rdata.length): Buffer {
  return Buffer.concat([nameBytes, u16(type), u16(cls), u32(ttl), u16(rdlength), rdata]);
}

export function ip4(s: string): Buffer { return Buffer.from(s.split(".").map(Number)); }
export function ip6(groups: number[]): Buffer { return Buffer.concat(groups.map(u16)); }

/** Offset of the question's name in a message: right after the header. */
export const QNAME_AT = 12;
