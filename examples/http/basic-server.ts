// The HTTP guide's "Basic Server": every request gets a small JSON answer.
//
// Users write:  import { Manager, MG_EV_HTTP_MSG, type EventHandler } from "tsmongoose";
// (inside this repository the examples import the sources so that they compile here.)
//
// Run:  node dist/examples/http/basic-server.js [listen-url]
//       (or LISTEN_URL=...; default http://0.0.0.0:8000)
// Try:  curl -i http://127.0.0.1:8000/anything
import { Manager, MG_EV_HTTP_MSG, type EventHandler } from "../../src/index.js";

const listenUrl = process.argv[2] ?? process.env.LISTEN_URL ?? "http://0.0.0.0:8000";

const handler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) {
    // Access the request
    console.log(`${data.method} ${data.uri}`);

    // Send the response, then close once it is written
    conn.reply(200, '{"status": "ok"}', { "Content-Type": "application/json" });
    conn.drain();
  }
};

const manager = new Manager(handler);
// `http: true` is what the guide passes; for http:// URLs it is also the default.
const listener = manager.listen(listenUrl, { http: true });
console.log(`listening on http://${listener.localAddr.ip}:${listener.localAddr.port}`);

// The guide's loop. Ctrl-C (SIGINT) or SIGTERM ends the process.
for (;;) await manager.poll(100);
