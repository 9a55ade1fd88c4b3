// `req.headers` as node:http builds it from the raw header list: names in lower case;
// for a repeated header, Set-Cookie becomes an array, Cookie values are joined with
// "; ", the headers below keep their first value, and every other one is joined with
// ", " (a list, RFC 9110 section 5.3).
const FIRST_WINS = new Set([
  "age", "authorization", "content-length", "content-type", "etag", "expires", "from", "host",
  "if-modified-since", "if-unmodified-since", "last-modified", "location", "max-forwards",
  "proxy-authorization", "referer", "retry-after", "server", "user-agent",
]);

/** A node:http-style headers object from a flat [name, value, ...] list. */
export function nodeHeaders(raw: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === "__proto__") continue; // never a prototype change
    // Own values are strings (arrays for Set-Cookie); anything else ("constructor", ...) is inherited.
    const prev = out[name];
    if (name === "set-cookie") {
      if (Array.isArray(prev)) prev.push(value); else out[name] = [value];
    } else if (typeof prev !== "string") {
      out[name] = value;
    } else if (name === "cookie") {
      out[name] = prev + "; " + value;
    } else if (!FIRST_WINS.has(name)) {
      out[name] = prev + ", " + value;
    }
  }
  return out;
}
