// Percent-encoding (RFC 3986 section 2.1).

const HEX = "0123456789ABCDEF";

/** Percent-encodes everything except unreserved characters (A-Z a-z 0-9 - . _ ~). Strings are UTF-8. */
export function urlEncode(data: string | Uint8Array): string {
  const b = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let out = "";
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e) {
      out += String.fromCharCode(c);
    } else {
      out += "%" + HEX[c >> 4] + HEX[c & 15];
    }
  }
  return out;
}

/** The value of a hex digit's character code, or -1. */
export function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  c |= 0x20;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/**
 * Decodes %XX escapes (and "+" as space when `form` is true) into bytes (the rest of the
 * string is taken as UTF-8). A malformed escape ("%", "%4", "%zz") makes the result
 * undefined when `strict`, and is kept as written otherwise (as WHATWG URLSearchParams does).
 */
export function urlDecodeBytes(s: string, form = true, strict = true): Buffer | undefined {
  const src = Buffer.from(s, "utf8");
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x25) {
      const h = i + 2 < src.length ? hexVal(src[i + 1]!) : -1, l = i + 2 < src.length ? hexVal(src[i + 2]!) : -1;
      if (h < 0 || l < 0) {
        if (strict) return undefined;
        out[n++] = c;
        continue;
      }
      out[n++] = (h << 4) | l;
      i += 2;
    } else if (c === 0x2b && form) {
      out[n++] = 0x20;
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

/** Decodes a percent-encoded string (form encoding: "+" is a space). Undefined when malformed. */
export function urlDecode(s: string, form = true): string | undefined {
  if (s.indexOf("%") < 0 && (!form || s.indexOf("+") < 0)) return s;
  return urlDecodeBytes(s, form)?.toString("utf8");
}
