// TCP echo server: every byte a client sends comes back to it.
//
// Users write:  import { Manager, MG_EV_READ, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/network/tcp-echo-server.js [tcp://127.0.0.1:1234]
//       (or LISTEN=tcp://... ; then e.g. `nc 127.0.0.1 1234`)
import { Manager, MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_READ, type EventHandler } from "../../src/index.js";

const listen = process.argv[2] ?? process.env.LISTEN ?? "tcp://127.0.0.1:1234";

const handler: EventHandler = (conn, ev) => {
  if (conn.isListening) return;
  if (ev === MG_EV_ACCEPT) {
    console.log(`client ${conn.remoteAddr.ip}:${conn.remoteAddr.port} connected`);
  } else if (ev === MG_EV_READ) {
    conn.send(conn.recvData()); // send() copies, so the buffer can be consumed at once
    conn.recvConsume();
  } else if (ev === MG_EV_CLOSE) {
    console.log(`client ${conn.remoteAddr.ip}:${conn.remoteAddr.port} closed`);
  }
};

const manager = new Manager(handler);
const listener = manager.listen(listen);
console.log(`listening on tcp://127.0.0.1:${listener.localAddr.port}`);
await manager.run(); // until Ctrl-C
