// Server-side credentials of a request, as Mongoose's mg_http_creds reads them.
import type { HttpMessage } from "./message.js";
import { headerVarOf } from "./message.js";

/** Credentials found in a request. Both are "" when the request carries none. */
export interface HttpCreds {
  /** The user name (Basic auth), "" for a token. */
  user: string;
  /** The password (Basic auth), or the token (Bearer, `access_token` cookie or query variable). */
  pass: string;
}

/** True when `v` starts with `scheme` and a space; auth schemes are case-insensitive (RFC 7235 section 2.1). */
function hasScheme(v: string, scheme: string): boolean {
  return v.length > scheme.length + 1 && v[scheme.length] === " " && v.slice(0, scheme.length).toLowerCase() === scheme;
}

/** Strict base64 (RFC 4648 section 4, padding optional) decoded as UTF-8, or undefined. */
function decodeBasic(token: string): string | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(token) || token.length % 4 === 1) return undefined;
  return Buffer.from(token, "base64").toString("utf8");
}

/**
 * The credentials a request carries, looked for in this order (as mg_http_creds does):
 * - `Authorization: Basic <base64(user:pass)>` (RFC 7617): user and pass;
 * - `Authorization: Bearer <token>` (RFC 6750): user "", pass the token;
 * - an `access_token` cookie: user "", pass the cookie value;
 * - an `access_token` query variable: user "", pass its (URL-decoded) value.
 * Returns `{ user: "", pass: "" }` when there are none.
 */
export function httpCreds(msg: HttpMessage): HttpCreds {
  const auth = msg.header("Authorization")?.trim();
  if (auth !== undefined) {
    if (hasScheme(auth, "basic")) {
      const decoded = decodeBasic(auth.slice(6).trim());
      if (decoded !== undefined) {
        // The user-id cannot contain ":" (RFC 7617 section 2), the password can.
        const colon = decoded.indexOf(":");
        return colon < 0 ? { user: decoded, pass: "" } : { user: decoded.slice(0, colon), pass: decoded.slice(colon + 1) };
      }
    } else if (hasScheme(auth, "bearer")) {
      return { user: "", pass: auth.slice(7).trim() };
    }
  }
  for (const cookie of msg.headerAll("Cookie")) {
    const token = headerVarOf(cookie, "access_token");
    if (token) return { user: "", pass: token };
  }
  const token = msg.queryVar("access_token");
  if (token) return { user: "", pass: token };
  return { user: "", pass: "" };
}
