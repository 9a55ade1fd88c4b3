// The node:http peer of the http-idle scenario: the same answers as ours-idle.ts.
import * as http from "node:http";
import { announce } from "../lib/child.js";

const HELLO = "Hello, World!";
const cpuMicros = (): string => { const u = process.cpuUsage(); return String(u.user + u.system); };
const server = http.createServer((req, res) => {
  res.sendDate = false;
  const body = req.url === "/cpu" ? cpuMicros() : HELLO;
  res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
});
// Idle connections stay open for the whole measurement (node:http's default is 5 s).
server.keepAliveTimeout = 300_000;
server.listen(0, "127.0.0.1", () => announce((server.address() as { port: number }).port));
process.on("SIGTERM", () => { server.closeAllConnections(); server.close(); process.exit(0); });
