// fetchHandler(app): serves a WHATWG fetch-style app, `(request: Request) => Response`,
// as Hono, itty-router and others are written, from a tsmongoose listener.
//
//   manager.listen("http://0.0.0.0:8000", fetchHandler(app.fetch));
//
// Each MG_EV_HTTP_MSG becomes a Request; the app's Response (or the promise of one) is
// written back while the manager keeps polling. Requests pipelined on a keep-alive
// connection wait in the HTTP layer until the response before them is complete.
import type { Connection, Addr } from "../connection.js";
import { MG_EV_CLOSE, MG_EV_HTTP_MSG, type EventHandler } from "../events.js";
import type { HttpMessage } from "../http/message.js";
import { responseDone, httpLayerOf } from "../http/layer.js";
import { ConnectionHold, isGone } from "./hold.js";
import { AdapterRequest, BadRequest, toRequest } from "./fetch-request.js";
import { writeResponse, type BodyRead, type RequestFacts } from "./fetch-response.js";
import { typeError } from "../util/errors.js";
import { checkOptionTable, checkOptionsObject, is, type OptionTable } from "../util/check.js";

/** What the app receives besides the request (Hono: `c.env`). */
export interface FetchEnv {
  /** The connection the request came on. */
  conn: Connection;
  /** The client's address. */
  remoteAddr: Addr;
}

/** A WHATWG fetch-style app: Hono's `app.fetch`, itty-router's `router.fetch`, or any function. */
export type FetchApp = (request: Request, env: FetchEnv) => Response | Promise<Response>;

/** Options of `fetchHandler(app, options)`. */
export interface FetchHandlerOptions {
  /**
   * Called when the app throws, rejects or returns something that is not a Response.
   * It may return the Response to send instead of the default 500. Without it, errors
   * go to the manager's errorHandler.
   */
  onError?: (err: unknown, request: Request) => Response | Promise<Response> | void | Promise<void>;
  /**
   * Bytes of a response body collected before the head is sent (default 64 KiB): a body
   * that is complete within this and within one turn of the event loop goes out with a
   * Content-Length in one write; a longer or slower one is streamed.
   */
  bufferLimit?: number;
}

/** The exchange in progress on a connection. */
interface Exchange extends BodyRead {
  request: AdapterRequest | undefined;
  hold: ConnectionHold;
}

const DEFAULT_BUFFER_LIMIT = 64 * 1024;
const ERROR_BODY = "Internal Server Error\n";

const FETCH_HANDLER_OPTIONS: OptionTable = { onError: is.function, bufferLimit: is.nonNegativeInt };

/** An EventHandler that serves `app` on every HTTP request of the connections it handles. */
export function fetchHandler(app: FetchApp, opts: FetchHandlerOptions = {}): EventHandler {
  if (typeof app !== "function") throw typeError("fetchHandler: app must be a function (request) => Response");
  checkOptionsObject(opts, "fetchHandler options");
  checkOptionTable(opts, FETCH_HANDLER_OPTIONS, "fetchHandler");
  const bufferLimit = opts.bufferLimit ?? DEFAULT_BUFFER_LIMIT;
  const live = new Map<Connection, Exchange>();

  const serve = async (c: Connection, msg: HttpMessage): Promise<void> => {
    const st = httpLayerOf(c);
    const facts: RequestFacts = {
      isHead: msg.method === "HEAD",
      http10: st !== undefined && st.reqHttp10,
      keepAlive: st === undefined || st.reqKeepAlive,
    };
    let request: AdapterRequest;
    try {
      request = toRequest(c, msg);
    } catch (e) {
      const why = e instanceof BadRequest ? e.message : String(e);
      c.reply(400, `Bad Request: ${why}\n`, { Connection: "close" });
      c.drain();
      return;
    }
    const hold = new ConnectionHold(c);
    const ex: Exchange = { request, reader: undefined, hold };
    hold.hold();
    live.set(c, ex);
    const report = (err: unknown): void => c.manager._reportError(err);
    try {
      let res: Response | undefined;
      try {
        const r: unknown = await app(request, { conn: c, remoteAddr: c.remoteAddr });
        if (!(r instanceof Response)) throw typeError(`fetchHandler: the app returned ${describe(r)}, not a Response`);
        res = r;
      } catch (e) {
        res = await failure(e, request, report);
      }
      if (isGone(c)) { res?.body?.cancel().catch(noop); return; }
      if (res === undefined) { sendError(c, facts); return; }
      try {
        await writeResponse(c, res, facts, hold, ex, bufferLimit, report);
      } catch (e) {
        // Nothing was sent yet: the app's response could not be read.
        if (isGone(c)) return;
        report(e);
        sendError(c, facts);
      }
    } catch (e) {
      // Never an unhandled rejection: whatever is left is reported and the connection closed.
      report(e);
      if (!isGone(c)) c.close();
    } finally {
      if (live.get(c) === ex) live.delete(c);
      hold.release();
    }
  };

  const failure = async (err: unknown, request: Request, report: (e: unknown) => void): Promise<Response | undefined> => {
    if (opts.onError === undefined) { report(err); return undefined; }
    try {
      const r = await opts.onError(err, request);
      return r instanceof Response ? r : undefined;
    } catch (e) {
      report(e);
      return undefined;
    }
  };

  return (c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) {
      if (c.isClient) return;
      void serve(c, data);
    } else if (ev === MG_EV_CLOSE) {
      const ex = live.get(c);
      if (ex === undefined) return;
      live.delete(c);
      // The client went away: tell the app (request.signal), stop reading its body, and
      // wake a writer waiting for the socket to drain (it never will now).
      ex.request?._disconnected();
      ex.request = undefined;
      ex.reader?.cancel().catch(noop);
      ex.reader = undefined;
      ex.hold.wake();
    }
  };

  /** The default answer when the app failed before anything was sent. */
  function sendError(c: Connection, facts: RequestFacts): void {
    const close = !facts.keepAlive;
    c.send(`HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\n${close ? "connection: close\r\n" : ""}content-length: ${ERROR_BODY.length}\r\n\r\n${facts.isHead ? "" : ERROR_BODY}`);
    responseDone(c);
  }
}

function describe(v: unknown): string {
  return v === null ? "null" : v === undefined ? "undefined" : typeof v === "object" ? `an object (${Object.prototype.toString.call(v)})` : `a ${typeof v}`;
}

function noop(): void { /* nothing */ }
