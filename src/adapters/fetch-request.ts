// Builds a WHATWG `Request` from a parsed HTTP request, for fetchHandler().
import type { Connection } from "../connection.js";
import type { HttpMessage } from "../http/message.js";
import { hostHeader, rawHeaderList, requestTarget } from "./raw-headers.js";

/** The request cannot be expressed as a `Request` (bad Host, bad target, ...): answer 400. */
export class BadRequest extends Error {}

/**
 * A Host header may only hold a host and an optional port (RFC 9110 section 7.2). Anything
 * that would change how the URL parses ("/", "?", "#", "@", "\", spaces) is refused, so
 * a client cannot make the app see a different path than the one it requested.
 */
function validHost(h: string): boolean {
  if (h.length === 0 || h.length > 255) return false;
  for (let i = 0; i < h.length; i++) {
    const c = h.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
      c === 0x2e || c === 0x2d || c === 0x3a || c === 0x5b || c === 0x5d || c === 0x5f || c === 0x7e;
    if (!ok) return false;
  }
  return true;
}

function localHost(c: Connection): string {
  const a = c.localAddr;
  const ip = a.ip === "" || a.ip === "0.0.0.0" || a.ip === "::" ? "localhost" : a.isIp6 ? `[${a.ip}]` : a.ip;
  return `${ip}:${a.port}`;
}

/** The absolute URL of a request: scheme from the connection (https when TLS), host from the Host header. */
export function requestUrl(c: Connection, msg: HttpMessage): string {
  const target = requestTarget(msg);
  if (target.charCodeAt(0) === 0x2f) {
    const h = hostHeader(msg);
    let host: string;
    if (h === undefined || h === "") host = localHost(c); // HTTP/1.0 clients may omit Host
    else if (validHost(h)) host = h;
    else throw new BadRequest(`bad Host header ${JSON.stringify(h)}`);
    return (c.isTls ? "https://" : "http://") + host + target;
  }
  // absolute-form (RFC 9112 section 3.2.2), as proxies send it
  const lower = target.slice(0, 8).toLowerCase();
  if (lower.startsWith("http://") || lower.startsWith("https://")) return target;
  throw new BadRequest(`request target ${JSON.stringify(target.slice(0, 64))} is not a path`);
}

/**
 * A Request whose `signal` aborts when the client disconnects. The AbortController is
 * made only when the app reads `signal`: following a signal given to the Request
 * constructor costs about a third of the adapter's time per request, and most apps never
 * look at it.
 */
export interface AdapterRequest extends Request {
  /** @internal */ _abort: AbortController | undefined;
  /** @internal */ _gone: boolean;
  /** @internal The client went away: abort the signal (now, or when it is made) with an AbortError. */
  _disconnected(): void;
}

type AdapterRequestClass = new (url: string, init: RequestInit) => AdapterRequest;
let adapterRequestClass: AdapterRequestClass | undefined;

// The class is made on first use, not when this module loads: the global `Request` is a
// getter that loads Node's fetch implementation (about 2 MB of heap), which a program that
// imports the package but never calls fetchHandler() should not pay for.
function makeAdapterRequestClass(): AdapterRequestClass {
  class Req extends Request implements AdapterRequest {
    _abort: AbortController | undefined;
    _gone = false;
    _disconnected(): void {
      if (this._gone) return;
      this._gone = true;
      this._abort?.abort();
    }
  }
  // `signal` is an accessor on Request.prototype; this one shadows it (TypeScript declares
  // it as a property, so it is defined here rather than as a getter in the class).
  Object.defineProperty(Req.prototype, "signal", {
    configurable: true,
    enumerable: true,
    get(this: Req): AbortSignal {
      let ac = this._abort;
      if (ac === undefined) {
        ac = this._abort = new AbortController();
        if (this._gone) ac.abort();
      }
      return ac.signal;
    },
  });
  return Req;
}

/** A `Request` for `msg`: URL, method, headers (repeated ones kept), body for methods that have one. */
export function toRequest(c: Connection, msg: HttpMessage): AdapterRequest {
  const url = requestUrl(c, msg);
  const raw = rawHeaderList(msg);
  let headers: Headers;
  try {
    headers = new Headers();
    for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  } catch (e) {
    throw new BadRequest(`header not accepted by Headers: ${(e as Error).message}`);
  }
  const method = msg.method;
  const init: RequestInit = { method, headers };
  // GET and HEAD requests cannot carry a body in a Request; a body sent with them is ignored.
  if (method !== "GET" && method !== "HEAD" && msg.bodyBytes.length > 0) init.body = msg.bodyBytes;
  try {
    return new (adapterRequestClass ??= makeAdapterRequestClass())(url, init);
  } catch (e) {
    throw new BadRequest((e as Error).message);
  }
}
