// nodeHandler(app): serves a node:http-style app, `(req, res) => void`, as Express and
// Connect apps are, from a tsmongoose listener.
//
//   manager.listen("http://0.0.0.0:8000", nodeHandler(expressApp));
//
// `req` and `res` are node:http's own IncomingMessage and ServerResponse: Express
// replaces their prototypes with ones derived from node:http's, so look-alike objects
// would lose their methods. The request comes from our parser (headers per node:http's
// rules, the body pushed into `req`); the response is formatted by ServerResponse
// (status line, Date, chunked unless a Content-Length is known, HEAD without a body) and
// written through a socket stand-in that queues it on the connection with backpressure.
import * as http from "node:http";
import type * as net from "node:net";
import type { Connection } from "../connection.js";
import { httpLayerOf } from "../http/layer.js";
import { MG_EV_CLOSE, MG_EV_HTTP_MSG, type EventHandler } from "../events.js";
import type { HttpMessage } from "../http/message.js";
import { responseDone } from "../http/layer.js";
import { ConnectionHold } from "./hold.js";
import { AdapterSocket } from "./node-socket.js";
import { nodeHeaders } from "./node-headers.js";
import { rawHeaderList, requestTarget } from "./raw-headers.js";
import { MgError, typeError } from "../util/errors.js";
import { checkOptionTable, checkOptionsObject, is, type OptionTable } from "../util/check.js";

/** A node:http request listener: an Express or Connect app, or any `(req, res)` function. */
export type NodeApp = (req: http.IncomingMessage, res: http.ServerResponse) => unknown;

/** Options of `nodeHandler(app, options)`. */
export interface NodeHandlerOptions {
  /**
   * Called when the app throws (or its returned promise rejects). It is then in charge of
   * answering. Without it the error goes to the manager's errorHandler and the client gets
   * a 500, or a closed connection when the response had already started.
   */
  onError?: (err: unknown, req: http.IncomingMessage, res: http.ServerResponse) => void;
}

/** node:http internals this adapter completes, as node:http's own server does. */
interface ResponseInternals {
  _last?: boolean;
  _closed?: boolean;
  destroyed: boolean;
}
interface RequestInternals {
  _consuming?: boolean;
  _dump?: () => void;
}

/** The connection's socket stand-in and the exchange in progress on it. */
interface NodeConnState {
  socket: AdapterSocket;
  hold: ConnectionHold;
  req: http.IncomingMessage | undefined;
  res: http.ServerResponse | undefined;
}

// ServerResponse marks "write returned false" with a private symbol, cleared by node:http's
// server when the socket drains; the stand-in socket does the same.
const kNeedDrain = Object.getOwnPropertySymbols(new http.OutgoingMessage()).find((s) => s.description === "kNeedDrain");

const ERROR_BODY = "Internal Server Error\n";

const NODE_HANDLER_OPTIONS: OptionTable = { onError: is.function };

/** An EventHandler that serves `app` on every HTTP request of the connections it handles. */
export function nodeHandler(app: NodeApp, opts: NodeHandlerOptions = {}): EventHandler {
  if (typeof app !== "function") throw typeError("nodeHandler: app must be a function (req, res) => void");
  checkOptionsObject(opts, "nodeHandler options");
  checkOptionTable(opts, NODE_HANDLER_OPTIONS, "nodeHandler");
  const conns = new Map<Connection, NodeConnState>();

  const connState = (c: Connection): NodeConnState => {
    let s = conns.get(c);
    if (s === undefined) {
      const hold = new ConnectionHold(c);
      const socket = new AdapterSocket(c, hold);
      s = { socket, hold, req: undefined, res: undefined };
      const st = s;
      socket.on("error", noop); // errors given to destroy() by the app; the connection closes
      socket.on("drain", () => {
        const res = st.res;
        if (res === undefined || !res.writableNeedDrain) return;
        if (kNeedDrain !== undefined) (res as unknown as Record<symbol, boolean>)[kNeedDrain] = false;
        res.emit("drain");
      });
      conns.set(c, s);
    }
    return s;
  };

  const serve = (c: Connection, msg: HttpMessage): void => {
    const s = connState(c);
    const st = httpLayerOf(c);
    const keepAlive = st === undefined || st.reqKeepAlive;
    const minor = msg.proto === "HTTP/1.0" ? 0 : 1;

    const req = new http.IncomingMessage(s.socket as unknown as net.Socket);
    req.method = msg.method;
    req.url = requestTarget(msg);
    req.httpVersionMajor = 1;
    req.httpVersionMinor = minor;
    req.httpVersion = minor === 0 ? "1.0" : "1.1";
    const raw = rawHeaderList(msg);
    req.rawHeaders = raw;
    req.headers = nodeHeaders(raw) as http.IncomingHttpHeaders;
    // The whole body has arrived: it waits in the stream for the app to read.
    req.complete = true;
    if (msg.bodyBytes.length > 0) req.push(msg.bodyBytes);
    req.push(null);

    const res = new http.ServerResponse(req);
    res.shouldKeepAlive = keepAlive;
    res.assignSocket(s.socket as unknown as net.Socket);
    s.req = req;
    s.res = res;
    s.hold.hold();
    res.once("finish", () => finished(c, s, req, res));
    // node:http would crash the process on an unhandled 'error' (a write after end(), ...);
    // here it goes to the manager's errorHandler, like a throwing handler.
    res.on("error", (e) => c.manager._reportError(e));

    const failed = (e: unknown): void => {
      if (opts.onError !== undefined) {
        try { opts.onError(e, req, res); } catch (e2) { c.manager._reportError(e2); }
        return;
      }
      c.manager._reportError(e);
      if (s.res !== res || res.writableEnded) return;
      if (res.headersSent) { res.destroy(); return; } // a started response cannot turn into a 500
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      res.statusCode = 500;
      res.setHeader("Content-Type", "text/plain");
      res.setHeader("Content-Length", ERROR_BODY.length);
      res.end(ERROR_BODY);
    };
    try {
      const r = app(req, res);
      if (r !== null && typeof r === "object" && typeof (r as Promise<unknown>).then === "function") {
        (r as Promise<unknown>).then(undefined, failed);
      }
    } catch (e) {
      failed(e);
    }
  };

  /** The response is written: hand the connection back to the HTTP layer, as node:http's server does. */
  const finished = (c: Connection, s: NodeConnState, req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (s.res !== res) return;
    s.req = undefined;
    s.res = undefined;
    res.detachSocket(s.socket as unknown as net.Socket);
    // A body the app never read is discarded, so that the request can end and close.
    const ri = req as unknown as RequestInternals;
    if (!ri._consuming && !req.readableEnded) { if (ri._dump) ri._dump(); else req.resume(); }
    responseDone(c);
    // ServerResponse decided the connection ends (Connection: close, or an HTTP/1.0 body without length).
    if ((res as unknown as ResponseInternals)._last && !c.isClosing) c.drain();
    s.hold.release();
    process.nextTick(emitClose, res);
  };

  return (c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) {
      if (!c.isClient) serve(c, data);
    } else if (ev === MG_EV_CLOSE) {
      const s = conns.get(c);
      if (s === undefined) return;
      conns.delete(c);
      // The client went away: the response in progress gets 'close' (through its socket),
      // its request is aborted, as with node:http.
      const req = s.req;
      s.req = undefined;
      s.res = undefined;
      s.socket.destroy();
      s.hold.wake();
      if (req !== undefined && !req.destroyed) req.destroy(connectionReset());
    }
  };
}

function emitClose(res: http.ServerResponse): void {
  const r = res as unknown as ResponseInternals;
  if (r._closed) return;
  r.destroyed = true;
  r._closed = true;
  res.emit("close");
}

function connectionReset(): Error {
  const e = new Error("aborted") as NodeJS.ErrnoException;
  e.code = "ECONNRESET";
  return e;
}

function noop(): void { /* nothing */ }
