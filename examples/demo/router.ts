// The demo's router: each feature is an ordinary EventHandler mounted on a path. A
// route gets the MG_EV_HTTP_MSG of the requests it matches and, from then on, every
// other event of that connection (MG_EV_CLOSE, MG_EV_POLL, and MG_EV_WS_* once a
// route upgraded it to WebSocket), so a feature that keeps connections, like the SSE
// clock or a chat, can follow them. Requests no route claims go to `fallback`.
import {
  MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG, type Connection, type EventHandler, type HttpMessage,
} from "../../src/index.js";

export interface Route {
  /** Exact path ("/events"), or a prefix when it ends with "/" ("/api/"). */
  path: string;
  /** Only this method (default: any). */
  method?: string;
  handler: EventHandler;
}

function matches(route: Route, msg: HttpMessage): boolean {
  if (route.method !== undefined && route.method !== msg.method) return false;
  return route.path.endsWith("/") ? msg.uri.startsWith(route.path) : msg.uri === route.path;
}

/** One handler for the whole server: dispatches requests to routes, other events to the route that owns the connection. */
export function router(routes: readonly Route[], fallback: (conn: Connection, msg: HttpMessage) => void): EventHandler {
  // The route that answered the last request on each connection.
  const owner = new WeakMap<Connection, EventHandler>();
  return (...args) => {
    const [conn, ev, data] = args;
    if (ev === MG_EV_HTTP_MSG) {
      const route = routes.find((r) => matches(r, data));
      if (route === undefined) {
        owner.delete(conn);
        fallback(conn, data);
        return;
      }
      owner.set(conn, route.handler);
      route.handler(...args);
    } else if (ev !== MG_EV_HTTP_HDRS) {
      owner.get(conn)?.(...args);
    }
  };
}
