// Form and query variables: "a=1&b=two%20words".
import { urlDecode } from "../util/url-encode.js";

/**
 * The URL-decoded value of variable `name` in a form-encoded string or buffer
 * (a query string or an application/x-www-form-urlencoded body), or undefined.
 */
export function httpVar(buf: string | Uint8Array, name: string): string | undefined {
  const s = typeof buf === "string" ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString("latin1");
  if (!name) return undefined;
  let i = 0;
  while (i <= s.length) {
    let end = s.indexOf("&", i);
    if (end < 0) end = s.length;
    const eq = s.indexOf("=", i);
    const keyEnd = eq >= 0 && eq < end ? eq : end;
    if (keyEnd - i === name.length && s.startsWith(name, i)) {
      const raw = keyEnd === end ? "" : s.slice(keyEnd + 1, end);
      const v = urlDecode(typeof buf === "string" ? raw : Buffer.from(raw, "latin1").toString("utf8"));
      return v;
    }
    i = end + 1;
  }
  return undefined;
}
