// Static files: validators (ETag, Last-Modified), conditional requests (RFC 9110
// section 13) and byte ranges (RFC 9110 section 14), one or several.
import type { HttpMessage } from "./message.js";

/** What a file's validators are computed from. */
export interface FileFacts {
  size: number;
  mtimeMs: number;
}

/**
 * A strong entity tag from size and modification time (RFC 9110 section 8.8.3): it
 * changes whenever a rewrite changes either, which is what nginx and Mongoose rely on too.
 */
export function etagOf(f: FileFacts): string {
  return `"${Math.floor(f.mtimeMs).toString(16)}-${f.size.toString(16)}"`;
}

let lastMtimeSec = -1;
let lastHttpDate = "";
/** Last-Modified as an IMF-fixdate (RFC 9110 section 5.6.7), whole seconds. */
export function httpDate(mtimeMs: number): string {
  const sec = Math.floor(mtimeMs / 1000);
  if (sec !== lastMtimeSec) { lastMtimeSec = sec; lastHttpDate = new Date(sec * 1000).toUTCString(); }
  return lastHttpDate;
}

/** Parses an HTTP date into whole seconds since the epoch; NaN when invalid. */
function parseHttpDateSec(s: string): number {
  const t = Date.parse(s);
  return Number.isNaN(t) ? NaN : Math.floor(t / 1000);
}

/** Weak comparison (RFC 9110 section 8.8.3.2): opaque tags equal, "W/" ignored. */
function weakMatch(a: string, b: string): boolean {
  if (a.startsWith("W/")) a = a.slice(2);
  if (b.startsWith("W/")) b = b.slice(2);
  return a === b;
}

/** Does a comma-separated list of entity tags (or "*") contain `etag`? */
function listMatches(list: string, etag: string, strong: boolean): boolean {
  const v = list.trim();
  if (v === "*") return true;
  for (const raw of v.split(",")) {
    const t = raw.trim();
    if (t === "") continue;
    if (strong ? (!t.startsWith("W/") && t === etag) : weakMatch(t, etag)) return true;
  }
  return false;
}

/**
 * Evaluates the preconditions of a GET/HEAD request for an existing file in the order
 * of RFC 9110 section 13.2.2: 412 when If-Match / If-Unmodified-Since fail, 304 when
 * If-None-Match / If-Modified-Since say the client's copy is current, 0 otherwise.
 */
export function checkPreconditions(msg: HttpMessage, etag: string, mtimeMs: number): number {
  const mtimeSec = Math.floor(mtimeMs / 1000);
  const ifMatch = msg.header("If-Match");
  if (ifMatch !== undefined) {
    if (!listMatches(ifMatch, etag, true)) return 412;
  } else {
    const ius = msg.header("If-Unmodified-Since");
    if (ius !== undefined) {
      const t = parseHttpDateSec(ius);
      if (!Number.isNaN(t) && mtimeSec > t) return 412;
    }
  }
  const inm = msg.header("If-None-Match");
  if (inm !== undefined) {
    if (listMatches(inm, etag, false)) return 304;
  } else {
    const ims = msg.header("If-Modified-Since");
    if (ims !== undefined) {
      const t = parseHttpDateSec(ims);
      if (!Number.isNaN(t) && mtimeSec <= t) return 304;
    }
  }
  return 0;
}

/** A satisfiable range: bytes start..end inclusive. */
export interface ByteRange { start: number; end: number }

/** The Range header does not apply: serve the whole file (200). */
export const RANGE_NONE = 0;
/** No range can be satisfied: 416 with "Content-Range: bytes * /size". */
export const RANGE_UNSATISFIABLE = 1;

function parseNum(s: string, a: number, b: number): number {
  if (a >= b || b - a > 15) return -1;
  let n = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** More range-specs than this: the header is ignored (RFC 9110 section 14.1.1 allows it; a many-range request is a broken client or an attack). */
export const MAX_RANGES = 16;
/**
 * Ranges that overlap or touch (the next starts right after the previous ends) are
 * coalesced into one (section 14.1.1 allows it); ranges with any gap between them stay
 * separate parts, as asked.
 */
export const RANGE_COALESCE_GAP = 1;

/**
 * Interprets the Range header of a GET for a file of `size` bytes (RFC 9110 section
 * 14.1.2): one range gives a ByteRange; several give ByteRange[] (a multipart/byteranges
 * answer, section 14.6) after dropping the unsatisfiable ones and coalescing overlapping
 * or nearly adjacent ones (which may leave one: then a plain 206); an invalid header
 * or more than MAX_RANGES range-specs is ignored (the whole file); If-Range that does
 * not match the current validators means the whole file (section 13.1.5).
 */
export function parseRange(msg: HttpMessage, size: number, etag: string, mtimeMs: number): ByteRange | ByteRange[] | typeof RANGE_NONE | typeof RANGE_UNSATISFIABLE {
  const h = msg.header("Range");
  if (h === undefined) return RANGE_NONE;
  const ifRange = msg.header("If-Range");
  if (ifRange !== undefined) {
    const v = ifRange.trim();
    if (v.startsWith("\"") || v.startsWith("W/")) {
      if (v !== etag) return RANGE_NONE; // strong comparison: weak tags never match
    } else {
      const t = parseHttpDateSec(v);
      if (Number.isNaN(t) || t !== Math.floor(mtimeMs / 1000)) return RANGE_NONE;
    }
  }
  const s = h.trim();
  const eq = s.indexOf("=");
  if (eq < 0 || s.slice(0, eq).trim().toLowerCase() !== "bytes") return RANGE_NONE;
  const spec = s.slice(eq + 1).trim();
  if (spec.indexOf(",") < 0) return oneRange(spec, size);
  // Section 14.1.1: range-set = 1#range-spec; empty list elements are allowed and skipped (section 5.6.1).
  const parts = spec.split(",").map((p) => p.trim()).filter((p) => p !== "");
  if (parts.length === 0 || parts.length > MAX_RANGES) return RANGE_NONE;
  if (parts.length === 1) return oneRange(parts[0]!, size);
  const ranges: ByteRange[] = [];
  for (const p of parts) {
    const r = oneRange(p, size);
    if (r === RANGE_NONE) return RANGE_NONE; // one invalid range-spec makes the header invalid: ignore it
    if (r !== RANGE_UNSATISFIABLE) ranges.push(r);
  }
  if (ranges.length === 0) return RANGE_UNSATISFIABLE; // section 15.5.17: none satisfiable
  const merged = coalesce(ranges);
  return merged.length === 1 ? merged[0]! : merged;
}

/**
 * Coalesces ranges that overlap or touch, keeping the client's order where
 * nothing was merged (section 14.6: parts SHOULD come in the order asked, except those
 * coalesced). Overlaps out of order fall back to sorting: each byte is sent once.
 */
export function coalesce(ranges: ByteRange[]): ByteRange[] {
  const out: ByteRange[] = [];
  for (const r of ranges) {
    const prev = out[out.length - 1];
    if (prev !== undefined && r.start <= prev.end + RANGE_COALESCE_GAP && r.end >= prev.start - RANGE_COALESCE_GAP) {
      prev.start = Math.min(prev.start, r.start);
      prev.end = Math.max(prev.end, r.end);
    } else {
      out.push({ start: r.start, end: r.end });
    }
  }
  let overlap = false;
  for (let i = 0; i < out.length && !overlap; i++) {
    for (let j = i + 1; j < out.length; j++) {
      const a = out[i]!, b = out[j]!;
      if (a.start <= b.end + RANGE_COALESCE_GAP && b.start <= a.end + RANGE_COALESCE_GAP) { overlap = true; break; }
    }
  }
  if (!overlap) return out;
  const sorted = out.sort((a, b) => a.start - b.start);
  const res: ByteRange[] = [];
  for (const r of sorted) {
    const prev = res[res.length - 1];
    if (prev !== undefined && r.start <= prev.end + RANGE_COALESCE_GAP) prev.end = Math.max(prev.end, r.end);
    else res.push(r);
  }
  return res;
}

function oneRange(r: string, size: number): ByteRange | typeof RANGE_NONE | typeof RANGE_UNSATISFIABLE {
  const dash = r.indexOf("-");
  if (dash < 0) return RANGE_NONE;
  const a = r.slice(0, dash).trim(), b = r.slice(dash + 1).trim();
  if (a === "") {
    // suffix-range: the last n bytes.
    const n = parseNum(b, 0, b.length);
    if (n < 0) return RANGE_NONE;
    if (n === 0 || size === 0) return RANGE_UNSATISFIABLE;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = parseNum(a, 0, a.length);
  if (start < 0) return RANGE_NONE;
  let end: number;
  if (b === "") {
    end = size - 1;
  } else {
    end = parseNum(b, 0, b.length);
    if (end < 0 || end < start) return RANGE_NONE; // invalid range-spec: ignore the header
    if (end > size - 1) end = size - 1;
  }
  if (start >= size) return RANGE_UNSATISFIABLE;
  return { start, end };
}
