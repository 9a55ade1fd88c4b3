// Options of the HTTP layer (listen/connect with http:// or { http: true }), checked where
// they are given.
import { optNonNegativeInt, optPositiveInt } from "../util/check.js";

export const DEFAULT_MAX_HEADER_SIZE = 16 * 1024;
export const DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024;
export const DEFAULT_MAX_HEADERS = 100;
export const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 300_000;
/** Most responses queued for one connection before parsing pauses (pipelining clients that do not read). */
export const DEFAULT_MAX_PIPELINE_SEND = 4 * 1024 * 1024;

/** Size and time limits of HTTP parsing (`listen(url, { http: { ... } })`), with what the peer gets past them. */
export interface HttpLimits {
  /** Largest request/response head (request line + headers) in bytes. Default 16 KiB; over it: 431. */
  maxHeaderSize?: number;
  /** Largest body in bytes that is buffered for MG_EV_HTTP_MSG. Default 16 MiB; over it: 413. */
  maxBodySize?: number;
  /** Most headers in one message. Default 100; over it: 431. */
  maxHeaders?: number;
  /** Server: time allowed from a request's first byte to the end of its head. Default 30 s; then 408. 0: none. */
  headersTimeoutMs?: number;
  /** Server: time allowed from a request's first byte to the end of its body. Default 300 s; then 408. 0: none. */
  requestTimeoutMs?: number;
  /** Server: an idle keep-alive connection is closed after this long. Default 60 s. 0: never. */
  idleTimeoutMs?: number;
}

/** The HTTP options with their defaults applied. */
export interface HttpSettings {
  maxHead: number;
  maxBody: number;
  maxHeaders: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
}

/** Checks the HTTP options of `o` and applies the defaults; throws an MgError naming a bad option. */
export function httpSettings(o: HttpLimits): HttpSettings {
  return {
    maxHead: optPositiveInt(o, "maxHeaderSize", DEFAULT_MAX_HEADER_SIZE),
    maxBody: optNonNegativeInt(o, "maxBodySize", DEFAULT_MAX_BODY_SIZE),
    maxHeaders: optPositiveInt(o, "maxHeaders", DEFAULT_MAX_HEADERS),
    headersTimeoutMs: optNonNegativeInt(o, "headersTimeoutMs", DEFAULT_HEADERS_TIMEOUT_MS),
    requestTimeoutMs: optNonNegativeInt(o, "requestTimeoutMs", DEFAULT_REQUEST_TIMEOUT_MS),
    idleTimeoutMs: optNonNegativeInt(o, "idleTimeoutMs", DEFAULT_IDLE_TIMEOUT_MS),
  };
}
