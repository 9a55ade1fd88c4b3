// WebSocket broadcast server: every message is sent to every connected WebSocket
// client, the sender included. A timer also announces the number of clients every
// few seconds. A client that reads too slowly is dropped messages rather than let the
// server's memory grow (wsSendQueuePolicy: "drop").
//
// Run:  node dist/examples/websocket/broadcast-server.js [listen-url]
//       (or LISTEN_URL=...; default http://0.0.0.0:8000)
// Try:  two terminals with node dist/examples/websocket/client.js ws://127.0.0.1:8000/ --stay
import { Manager, MG_EV_HTTP_MSG, MG_EV_WS_MSG, type EventHandler } from "../../src/index.js";

const listenUrl = process.argv[2] ?? process.env.LISTEN_URL ?? "http://0.0.0.0:8000";
const announceMs = Number(process.env.ANNOUNCE_MS ?? 5000);

const manager = new Manager();

function broadcast(data: string | Uint8Array, op?: number): void {
  for (const c of manager.connections) {
    if (c.isWebsocket) c.wsSend(data, op);
  }
}

const handler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) {
    conn.wsUpgrade(data); // every request is an upgrade; others get 400/426
  } else if (ev === MG_EV_WS_MSG) {
    broadcast(data.data, data.op);
  }
};
manager.handler = handler;

manager.timerAdd(announceMs, () => {
  const n = manager.connections.filter((c) => c.isWebsocket).length;
  if (n > 0) broadcast(`clients: ${n}`);
}, { repeat: true });

const listener = manager.listen(listenUrl, { wsSendQueuePolicy: "drop", wsMaxSendQueue: 1 << 20 });
console.log(`listening on http://${listener.localAddr.ip}:${listener.localAddr.port}`);
await manager.run();
