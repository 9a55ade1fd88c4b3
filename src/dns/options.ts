// Options of the library's own DNS client: the server (Manager option dnsServer), how
// long a query waits, how often it is sent, and how many answers are kept.
import * as net from "node:net";
import { optionError } from "../util/errors.js";
import { optPositiveInt } from "../util/check.js";
import { urlHost, urlPort, urlScheme } from "../util/url.js";

/** Total time a lookup may take before MG_EV_ERROR (Mongoose's DNS timeout is 3 s). */
export const DNS_DEFAULT_TIMEOUT_MS = 3000;
/** How many times a query is sent (spread over the timeout) before giving up. */
export const DNS_ATTEMPTS = 3;
/** Answers kept in the cache (the oldest goes first). */
export const DNS_CACHE_SIZE = 256;
/** The longest a cached answer is kept, whatever its TTL (seconds). */
export const DNS_MAX_CACHE_TTL = 3600;

export interface DnsClientOptions {
  /** The server's IP literal and port. */
  host: string;
  port: number;
  timeoutMs: number;
}

/**
 * Checks Manager options dnsServer ("udp://host:port", host an IP literal: a name
 * would need a resolver to find the resolver) and dnsTimeoutMs.
 */
export function checkDnsOptions(o: { dnsServer?: unknown; dnsTimeoutMs?: unknown }): DnsClientOptions | undefined {
  const timeoutMs = optPositiveInt(o, "dnsTimeoutMs", DNS_DEFAULT_TIMEOUT_MS);
  const url = o.dnsServer;
  if (url === undefined) return undefined;
  const expected = "\"udp://IP:port\" (an IP address, not a name)";
  if (typeof url !== "string" || !url.includes("://") || urlScheme(url) !== "udp") throw optionError("dnsServer", expected, url);
  const host = urlHost(url);
  let port = urlPort(url);
  if (port === 0) port = 53;
  if (net.isIP(host) === 0 || port < 0) throw optionError("dnsServer", expected, url);
  return { host, port, timeoutMs };
}
