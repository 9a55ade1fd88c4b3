// The HTTP guide's "Server-Sent Events": clients subscribe on /events and a timer
// broadcasts an event to all of them every second. A client that went away makes
// httpSse() throw; the broadcast then forgets it, exactly as in the guide.
//
// Users write:  import { Manager, MG_EV_HTTP_MSG, type Connection, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/http/sse.js [listen-url]   (default http://0.0.0.0:8000;
//       SSE_INTERVAL_MS sets the broadcast period, default 1000)
// Try:  curl -N http://127.0.0.1:8000/events     or open http://127.0.0.1:8000/ in a browser
import { Manager, MG_EV_HTTP_MSG, type Connection, type EventHandler } from "../../src/index.js";

const listenUrl = process.argv[2] ?? process.env.LISTEN_URL ?? "http://0.0.0.0:8000";
const intervalMs = Number(process.env.SSE_INTERVAL_MS ?? 1000);

// A page that shows the events with the browser's EventSource.
const page = `<!doctype html>
<meta charset="utf-8"><title>SSE</title>
<h1>Server-Sent Events</h1>
<ul id="events"></ul>
<script>
  const list = document.getElementById("events");
  new EventSource("/events").addEventListener("update", (e) => {
    const li = document.createElement("li");
    li.textContent = e.data;
    list.prepend(li);
  });
</script>
`;

// Track SSE connections
const sseClients: Connection[] = [];

const handler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG && data.uri === "/events") {
    // Start the SSE stream: this reply sends only the head and keeps the connection open
    conn.reply(200, "", {
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache",
    });
    sseClients.push(conn);
    console.log(`client ${conn.id} subscribed (${sseClients.length} connected)`);
  } else if (ev === MG_EV_HTTP_MSG) {
    conn.reply(200, page, { "Content-Type": "text/html; charset=utf-8" });
  }
};

/** Sends an event to all connected clients. */
function broadcastEvent(eventType: string, eventData: string): void {
  for (const client of [...sseClients]) {
    try {
      client.httpSse(eventType, eventData);
    } catch {
      // The client disconnected: httpSse() throws on a closed connection.
      sseClients.splice(sseClients.indexOf(client), 1);
      console.log(`client ${client.id} removed (${sseClients.length} connected)`);
    }
  }
}

const manager = new Manager(handler);
const listener = manager.listen(listenUrl, { http: true });

// Use with a timer
let n = 0;
manager.timerAdd(intervalMs, () => broadcastEvent("update", JSON.stringify({ n: ++n, time: new Date().toISOString() })), { repeat: true });

// run() polls until SIGINT/SIGTERM, then closes every connection gracefully. It
// handles those signals from the moment it is called: start it, then say we are ready.
const running = manager.run();
console.log(`listening on http://${listener.localAddr.ip}:${listener.localAddr.port}`);
await running;
