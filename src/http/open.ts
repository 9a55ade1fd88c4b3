// How an HTTP connection is opened: the transport spec with the HTTP layer's factory,
// used by the public Manager for http:// and https:// (and { http: true }).
import type { OpenSpec } from "../core/manager.js";
import { HttpClientLayer, HttpLayer } from "./layer.js";
import { httpSettings, type HttpLimits } from "./options.js";

/** ALPN offered for HTTP over TLS. */
export const HTTP_ALPN: readonly string[] = ["http/1.1"];

/** Checks the HTTP options and returns the spec that gives each connection an HTTP layer. */
export function httpSpec(tls: boolean, opts: HttpLimits): OpenSpec {
  const s = httpSettings(opts);
  return {
    udp: false, tls, alpn: HTTP_ALPN,
    layer: (c) => (c.isClient ? new HttpClientLayer(c, s, opts) : new HttpLayer(c, s, opts)),
  };
}
