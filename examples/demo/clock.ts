// The live clock: Server-Sent Events on /events. Every subscriber gets the time at
// once and then every `intervalMs`; a client is forgotten when its connection closes.
import { MG_EV_CLOSE, MG_EV_HTTP_MSG, type Connection, type EventHandler, type Manager, type Timer } from "../../src/index.js";

export interface Clock {
  handler: EventHandler;
  timer: Timer;
  readonly clients: ReadonlySet<Connection>;
}

function tick(): string {
  return JSON.stringify({ time: new Date().toISOString() });
}

export function startClock(manager: Manager, intervalMs = 1000): Clock {
  const clients = new Set<Connection>();
  const handler: EventHandler = (conn, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) {
      conn.reply(200, "", {
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-cache",
      });
      // Tell the browser how long to wait before reconnecting (SSE "retry" field).
      conn.send("retry: 2000\n\n");
      conn.httpSse("time", tick());
      clients.add(conn);
    } else if (ev === MG_EV_CLOSE) {
      clients.delete(conn);
    }
  };
  const timer = manager.timerAdd(intervalMs, () => {
    const event = tick();
    for (const c of clients) {
      try {
        c.httpSse("time", event);
      } catch {
        clients.delete(c); // closed between its MG_EV_CLOSE and now
      }
    }
  }, { repeat: true });
  return { handler, timer, clients };
}
