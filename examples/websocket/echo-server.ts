// WebSocket echo server: every message comes back to its sender, text as text and
// binary as binary. Pings are answered by the library.
//
// Run:  node dist/examples/websocket/echo-server.js [listen-url]
//       (or LISTEN_URL=...; default http://0.0.0.0:8000)
// Try:  node dist/examples/websocket/client.js ws://127.0.0.1:8000/websocket hello
import { Manager, MG_EV_HTTP_MSG, MG_EV_WS_OPEN, MG_EV_WS_MSG, type EventHandler } from "../../src/index.js";

const listenUrl = process.argv[2] ?? process.env.LISTEN_URL ?? "http://0.0.0.0:8000";

const handler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) {
    if (data.uri === "/websocket") {
      conn.wsUpgrade(data); // 101 Switching Protocols, then MG_EV_WS_OPEN
    } else {
      conn.reply(200, "WebSocket echo server: connect to /websocket\n");
    }
  } else if (ev === MG_EV_WS_OPEN) {
    console.log(`connection ${conn.id}: WebSocket open (${data.uri})`);
  } else if (ev === MG_EV_WS_MSG) {
    conn.wsSend(data.data, data.op); // the same bytes, the same opcode
  }
};

const manager = new Manager(handler);
const listener = manager.listen(listenUrl);
console.log(`listening on http://${listener.localAddr.ip}:${listener.localAddr.port}`);
await manager.run(); // until Ctrl-C / SIGTERM, then a graceful close
