// A small promise API over the HTTP client layer: manager.httpRequest(url, opts).
import type { CoreManager as Manager } from "../core/manager.js";
import type { CoreConnection } from "../core/connection.js";
import { MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR } from "../core/events.js";
import { MG_EV_HTTP_MSG } from "./events.js";
import type { HttpMessage } from "./message.js";
import { httpSpec } from "./open.js";
import { MgError } from "../util/errors.js";
import { urlHost, urlIsSsl, urlPort, urlUri, urlUser, urlPass } from "../util/url.js";
import { formatHeaders, type HeadersInit, type HeaderFacts } from "./reply.js";
import { toBuffer } from "../util/bytes.js";
import { base64Encode } from "../util/base64.js";
import type { TlsOpts } from "../tls/options.js";
import { checkOptionTable, checkOptionsObject, is, type OptionTable } from "../util/check.js";

/** Options of `manager.httpRequest(url, options)`. */
export interface HttpRequestOptions {
  /** The request method (default "GET"). */
  method?: string;
  /** Request headers; Host, Content-Length and `Connection: close` are added unless given. */
  headers?: HeadersInit;
  /** The request body (strings are UTF-8); Content-Length is added unless given. */
  body?: string | Uint8Array;
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** TLS settings for https:// (default: verify against the system CAs, SNI from the URL). */
  tls?: TlsOpts;
  /** Largest response body accepted (default 16 MiB). */
  maxBodySize?: number;
}

/** The response `manager.httpRequest()` resolves with. */
export interface HttpResponse {
  /** The status code (200, 404, ...). */
  status: number;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The whole body (chunked bodies decoded). */
  body: Buffer;
}

/** The request's options (maxBodySize is checked with the connection's HTTP options). */
const REQUEST_OPTIONS: OptionTable = {
  method: is.string,
  headers: is.headers,
  body: is.bytes,
  timeoutMs: is.positiveInt,
  tls: is.object,
};

/**
 * Sends one request over a new connection and resolves with the response. The manager
 * must be polled (run() or a poll loop) while the promise is pending.
 */
export function httpRequest(mgr: Manager, url: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    // A bad option rejects (ERR_INVALID_OPTION naming it) before anything connects.
    checkOptionsObject(opts, "httpRequest options");
    checkOptionTable(opts, REQUEST_OPTIONS, "httpRequest");
    const method = (opts.method ?? "GET").toUpperCase();
    if (!/^[A-Z]+$/.test(method)) { reject(new MgError("ERR_INVALID_ARG", `httpRequest: bad method "${opts.method}"`)); return; }
    const body = opts.body === undefined ? undefined : toBuffer(opts.body);
    const f: HeaderFacts = { contentType: false, contentLength: false, chunked: false, eventStream: false, connection: false };
    let extra: string;
    try { extra = formatHeaders(opts.headers, f); } catch (e) { reject(e); return; }
    const host = urlHost(url);
    const port = urlPort(url);
    const ssl = urlIsSsl(url);
    const defaultPort = ssl ? 443 : 80;
    const hostHeader = (host.includes(":") ? `[${host}]` : host) + (port === defaultPort ? "" : `:${port}`);
    let head = `${method} ${urlUri(url)} HTTP/1.1\r\n`;
    if (!/^host:/im.test(extra)) head += `Host: ${hostHeader}\r\n`;
    head += extra;
    if (!f.connection) head += "Connection: close\r\n";
    const user = urlUser(url);
    if (user && !/^authorization:/im.test(extra)) head += `Authorization: Basic ${base64Encode(`${user}:${urlPass(url)}`)}\r\n`;
    if (body !== undefined && !f.contentLength && !f.chunked) head += `Content-Length: ${body.length}\r\n`;
    head += "\r\n";
    let settled = false;
    const pollsAtStart = mgr._polls;
    const timer = setTimeout(() => { if (!settled) { settled = true; conn?.close(); reject(new MgError("ERR_TIMEOUT", `httpRequest: no response from ${url} within ${opts.timeoutMs ?? 30000} ms` +
      (mgr._polls === pollsAtStart ? " (the manager was never polled meanwhile: keep calling manager.poll() or run manager.run() while awaiting)" : ""))); } }, opts.timeoutMs ?? 30000);
    timer.unref?.();
    const connectOpts = { ...(ssl ? { tls: { name: host, ...(opts.tls ?? {}) } } : {}), ...(opts.maxBodySize !== undefined ? { maxBodySize: opts.maxBodySize } : {}) };
    let lastError = "";
    let conn: CoreConnection | undefined;
    try {
      conn = mgr._connect(url, (c: CoreConnection, ev: number, d: unknown) => {
      if (ev === MG_EV_CONNECT) {
        c.send(head);
        if (body !== undefined && body.length > 0) c.send(body);
      } else if (ev === MG_EV_HTTP_MSG) {
        const data = d as HttpMessage;
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const headers: Record<string, string> = {};
        for (const [n, v] of data.headers()) {
          const k = n.toLowerCase();
          headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
        }
        resolve({ status: data.status() ?? 0, headers, body: Buffer.from(data.bodyBytes) });
        c.close();
      } else if (ev === MG_EV_ERROR) {
        lastError = d as string;
      } else if (ev === MG_EV_CLOSE) {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new MgError(c.lastError?.code ?? "ERR_CONNECT", lastError ? `httpRequest ${url}: ${lastError}` : `httpRequest ${url}: connection closed before a response`));
      }
    }, connectOpts, httpSpec(ssl, connectOpts));
    } catch (e) { clearTimeout(timer); reject(e); return; }
  });
}
