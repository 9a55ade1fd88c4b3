// The Node.js MQTT broker a user would otherwise pick, for the benchmarks: aedes (npm,
// in-memory persistence, MQTT 3.1.1) on a plain TCP server, as its README shows:
// net.createServer(aedes.handle). TCP_NODELAY when the config says `nodelay: true`.
import * as net from "node:net";
import { Aedes } from "aedes";
import { announce, serverConfig } from "../lib/child.js";

const cfg = serverConfig<{ nodelay?: boolean }>();
const aedes = await Aedes.createBroker();
const server = net.createServer((socket) => {
  if (cfg.nodelay === true) socket.setNoDelay(true);
  aedes.handle(socket);
});
server.listen(0, "127.0.0.1", () => announce((server.address() as net.AddressInfo).port));
process.once("SIGTERM", () => { server.close(); aedes.close(() => process.exit(0)); });
