// UDP echo server: every datagram goes back to its sender.
//
// Users write:  import { Manager, MG_EV_READ, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/network/udp-echo-server.js [udp://127.0.0.1:1234]
//       (or LISTEN=udp://... ; then e.g. `nc -u 127.0.0.1 1234`)
import { Manager, MG_EV_READ, type EventHandler } from "../../src/index.js";

const listen = process.argv[2] ?? process.env.LISTEN ?? "udp://127.0.0.1:1234";

// As in Mongoose, a UDP listener is one connection: on MG_EV_READ its remoteAddr is
// the sender of the datagram just received, and send() answers that sender.
const handler: EventHandler = (conn, ev) => {
  if (ev === MG_EV_READ) {
    const data = conn.recvData();
    console.log(`${data.length} bytes from ${conn.remoteAddr.ip}:${conn.remoteAddr.port}`);
    conn.send(data);
    conn.recvConsume();
  }
};

const manager = new Manager(handler);
const listener = manager.listen(listen);
console.log(`listening on udp://127.0.0.1:${listener.localAddr.port}`);
await manager.run();
