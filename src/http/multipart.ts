// multipart/form-data bodies (RFC 7578 over RFC 2046 section 5.1), one part per call,
// as Mongoose's mg_http_next_multipart does: the boundary is read from the body's first
// line, so no Content-Type header is needed, and each call returns the offset of the next
// delimiter. Part bodies are views into the given buffer (no copies).
import { toBuffer } from "../util/bytes.js";

/** One part of a multipart/form-data body. */
export interface MultipartPart {
  /** The form field name (Content-Disposition `name`), "" when absent. */
  name: string;
  /**
   * The file name for file fields (`filename*` per RFC 6266 section 4.3 when present,
   * else `filename`), "" for ordinary fields.
   */
  filename: string;
  /** The part's content: a view into the body passed in. */
  body: Buffer;
  /** The part's headers as [name, value], in order. */
  headers: [string, string][];
  /** The part's Content-Type, "" when absent (RFC 7578 says text/plain then). */
  contentType: string;
}

const CR = 0x0d, LF = 0x0a, DASH = 0x2d, SP = 0x20, HT = 0x09;
/** RFC 2046 section 5.1.1: a boundary is 1 to 70 characters. */
const MAX_BOUNDARY = 70;

function isPad(c: number | undefined): boolean { return c === SP || c === HT; }

/**
 * Parses the part that starts at `offset` (0 for the first). Returns the offset to pass
 * next time and the part, or `[offset, undefined]` after the last part and for malformed
 * or truncated input. Loop until the part is undefined:
 *
 * ```ts
 * for (let [ofs, part] = httpParseMultipart(msg.bodyBytes); part; [ofs, part] = httpParseMultipart(msg.bodyBytes, ofs)) {
 *   if (part.filename) await writeFile(join("uploads", basename(part.filename)), part.body);
 * }
 * ```
 *
 * Strings are encoded as UTF-8 first (and offsets count bytes): pass the Buffer when you can.
 */
export function httpParseMultipart(body: Buffer | Uint8Array | string, offset = 0): [number, MultipartPart | undefined] {
  const fail: [number, undefined] = [offset, undefined];
  let buf: Buffer;
  try { buf = toBuffer(body); } catch { return fail; }
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= buf.length) return fail;

  // The delimiter is "--" + boundary: the first line of the body, minus transport padding.
  const firstEol = buf.indexOf("\r\n");
  if (firstEol < 3 || buf[0] !== DASH || buf[1] !== DASH) return fail;
  let dEnd = firstEol;
  while (dEnd > 2 && isPad(buf[dEnd - 1])) dEnd--;
  if (dEnd <= 2 || dEnd - 2 > MAX_BOUNDARY) return fail;
  const delimLen = dEnd;

  // A delimiter must start at `offset`: "--boundary--" ends the body, "--boundary" CRLF opens a part.
  if (offset + delimLen + 2 > buf.length || buf.compare(buf, 0, delimLen, offset, offset + delimLen) !== 0) return fail;
  let i = offset + delimLen;
  if (buf[i] === DASH && buf[i + 1] === DASH) return fail;
  while (isPad(buf[i])) i++;
  if (buf[i] !== CR || buf[i + 1] !== LF) return fail;
  i += 2;

  // Headers, up to an empty line.
  const headers: [string, string][] = [];
  for (;;) {
    const eol = buf.indexOf("\r\n", i);
    if (eol < 0) return fail;
    if (eol === i) { i += 2; break; }
    const line = buf.toString("utf8", i, eol);
    const colon = line.indexOf(":");
    if (colon <= 0) return fail;
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    i = eol + 2;
  }

  // The body runs to the next CRLF + delimiter.
  const needle = Buffer.allocUnsafe(delimLen + 2);
  needle[0] = CR; needle[1] = LF;
  buf.copy(needle, 2, 0, delimLen);
  const end = buf.indexOf(needle, i);
  if (end < 0) return fail;

  let name = "", filename = "", contentType = "";
  for (const [h, v] of headers) {
    const lower = h.toLowerCase();
    if (lower === "content-disposition") {
      const params = dispositionParams(v);
      name = params.get("name") ?? "";
      filename = decodeExtValue(params.get("filename*")) ?? params.get("filename") ?? "";
    } else if (lower === "content-type" && !contentType) {
      contentType = v;
    }
  }
  return [end + 2, { name, filename, body: buf.subarray(i, end), headers, contentType }];
}

/**
 * The parameters of a Content-Disposition value (`form-data; name="a"; filename="b"`),
 * names lower-cased, values unquoted (RFC 7230 section 3.2.6 quoted-string with "\"
 * escapes). Quote-aware, so a ";" or "name=" inside a quoted value is not a parameter.
 */
export function dispositionParams(v: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  // Skip the disposition type ("form-data").
  while (i < v.length && v[i] !== ";") i++;
  while (i < v.length) {
    while (i < v.length && (v[i] === ";" || v[i] === " " || v[i] === "\t")) i++;
    const start = i;
    while (i < v.length && v[i] !== "=" && v[i] !== ";") i++;
    const key = v.slice(start, i).trim().toLowerCase();
    if (v[i] !== "=") continue;
    i++;
    while (v[i] === " " || v[i] === "\t") i++;
    let value = "";
    if (v[i] === '"') {
      i++;
      while (i < v.length && v[i] !== '"') {
        if (v[i] === "\\" && i + 1 < v.length) i++;
        value += v[i++];
      }
      i++; // closing quote
      while (i < v.length && v[i] !== ";") i++; // ignore junk after the quoted string
    } else {
      const vs = i;
      while (i < v.length && v[i] !== ";") i++;
      value = v.slice(vs, i).trim();
    }
    if (key && !out.has(key)) out.set(key, value);
  }
  return out;
}

/** RFC 8187 (was 5987) ext-value: `UTF-8'lang'%E2%82%AC.txt`; undefined when absent or malformed. */
function decodeExtValue(ext: string | undefined): string | undefined {
  if (ext === undefined) return undefined;
  const q1 = ext.indexOf("'"), q2 = q1 < 0 ? -1 : ext.indexOf("'", q1 + 1);
  if (q2 < 0) return undefined;
  const charset = ext.slice(0, q1).toLowerCase();
  if (charset !== "utf-8" && charset !== "iso-8859-1") return undefined;
  const enc = ext.slice(q2 + 1);
  const bytes: number[] = [];
  for (let k = 0; k < enc.length; k++) {
    const c = enc.charCodeAt(k);
    if (c === 0x25) {
      const h = parseInt(enc.slice(k + 1, k + 3), 16);
      if (!/^[0-9a-fA-F]{2}$/.test(enc.slice(k + 1, k + 3)) || Number.isNaN(h)) return undefined;
      bytes.push(h);
      k += 2;
    } else if (c > 0x20 && c < 0x7f) {
      bytes.push(c);
    } else {
      return undefined;
    }
  }
  return Buffer.from(bytes).toString(charset === "utf-8" ? "utf8" : "latin1");
}
