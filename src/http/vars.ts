// Form and query variables: "a=1&b=two%20words" (application/x-www-form-urlencoded).
import { urlDecodeBytes } from "../util/url-encode.js";

function decodeLenient(raw: string): string {
  if (raw.indexOf("%") < 0 && raw.indexOf("+") < 0) return raw;
  return urlDecodeBytes(raw, true, false)!.toString("utf8");
}

/**
 * The URL-decoded value of variable `name` in a form-encoded string or buffer (a query
 * string or an application/x-www-form-urlencoded body), or undefined when absent. The
 * first occurrence wins; `name` is compared case-sensitively with the decoded key, "+"
 * is a space, and a malformed escape ("100%") is kept as written, as URLSearchParams does.
 * A variable without "=" ("?debug") has the value "".
 */
export function httpVar(buf: string | Uint8Array, name: string): string | undefined {
  if (!name) return undefined;
  // Bytes are viewed as latin1 (one char per byte), so slicing is safe; UTF-8 is decoded per value.
  const bytes = typeof buf !== "string";
  const s = bytes ? Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString("latin1") : buf;
  let i = 0;
  while (i <= s.length) {
    let end = s.indexOf("&", i);
    if (end < 0) end = s.length;
    const eq = s.indexOf("=", i);
    const keyEnd = eq >= 0 && eq < end ? eq : end;
    if (keyEnd > i) {
      let key = s.slice(i, keyEnd);
      if (bytes) key = Buffer.from(key, "latin1").toString("utf8");
      if (key === name || decodeLenient(key) === name) {
        let raw = keyEnd === end ? "" : s.slice(keyEnd + 1, end);
        if (bytes) raw = Buffer.from(raw, "latin1").toString("utf8");
        return decodeLenient(raw);
      }
    }
    i = end + 1;
  }
  return undefined;
}
