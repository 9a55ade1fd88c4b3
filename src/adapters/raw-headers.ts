// Request headers as received, for the adapters. node:http and WHATWG `Headers` both
// treat header values as byte strings (one character per byte, latin1), so the values
// are taken from the latin1 head as they are, never re-decoded as UTF-8.
import type { HttpMessage } from "../http/message.js";

/** Every header as a flat [name, value, name, value, ...] list, like node:http's `rawHeaders`. */
export function rawHeaderList(msg: HttpMessage): string[] {
  const h = msg._hdr, s = msg._head;
  const out: string[] = new Array(h.length >> 1);
  for (let i = 0, j = 0; i < h.length; i += 4, j += 2) {
    out[j] = s.slice(h[i]!, h[i + 1]!);
    out[j + 1] = s.slice(h[i + 2]!, h[i + 3]!);
  }
  return out;
}

/** The first `Host` header's value (latin1), or undefined. */
export function hostHeader(msg: HttpMessage): string | undefined {
  const h = msg._hdr, s = msg._head;
  for (let i = 0; i < h.length; i += 4) {
    const a = h[i]!;
    if (h[i + 1]! - a !== 4) continue;
    if ((s.charCodeAt(a) | 0x20) === 0x68 && (s.charCodeAt(a + 1) | 0x20) === 0x6f &&
        (s.charCodeAt(a + 2) | 0x20) === 0x73 && (s.charCodeAt(a + 3) | 0x20) === 0x74) {
      return s.slice(h[i + 2]!, h[i + 3]!);
    }
  }
  return undefined;
}

/** The request target as received: path and query ("/a/b?x=1"). */
export function requestTarget(msg: HttpMessage): string {
  return msg.query.length > 0 ? msg.uri + "?" + msg.query : msg.uri;
}
