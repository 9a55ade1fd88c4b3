// The node:http / node:https peer: the same answers as ours-http.ts, written the way a
// Node user would (res.end for hello; stat + createReadStream().pipe(res) for the file).
import * as http from "node:http";
import * as https from "node:https";
import * as fs from "node:fs";
import { announce, serverConfig } from "../lib/child.js";

interface Config {
  mode: "hello" | "static";
  scheme: "http" | "https";
  file?: string;
  certFile?: string;
  keyFile?: string;
}

const cfg = serverConfig<Config>();
const HELLO = "Hello, World!";
const file = cfg.file ?? "";

// Headers equivalent to ours: Content-Type and Content-Length; no Date (ours sends none).
function hello(_req: http.IncomingMessage, res: http.ServerResponse): void {
  res.sendDate = false;
  res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": HELLO.length });
  res.end(HELLO);
}

function statics(_req: http.IncomingMessage, res: http.ServerResponse): void {
  res.sendDate = false;
  // A real static server looks the file up per request, as serveFile() does.
  fs.stat(file, (err, st) => {
    if (err) { res.writeHead(404, { "Content-Length": 0 }); res.end(); return; }
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": st.size });
    fs.createReadStream(file).pipe(res);
  });
}

const handler = cfg.mode === "hello" ? hello : statics;
const server = cfg.scheme === "https"
  ? https.createServer({ cert: fs.readFileSync(cfg.certFile!), key: fs.readFileSync(cfg.keyFile!) }, handler)
  : http.createServer(handler);
server.listen(0, "127.0.0.1", () => announce((server.address() as { port: number }).port));
process.on("SIGTERM", () => { server.closeAllConnections(); server.close(); process.exit(0); });
