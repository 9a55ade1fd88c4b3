// The node:http / node:https peer: the same answers as ours-http.ts, written the way a
// Node user would (res.end for hello; stat + createReadStream().pipe(res) for the file;
// the body collected from 'data' events; pipeline() into a file for the disk upload).
import * as http from "node:http";
import * as https from "node:https";
import * as fs from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream";
import { announce, serverConfig } from "../lib/child.js";
import { answerOrder, HELLO, JSON_PATH, renderPage, sizedBody } from "./app-logic.js";

interface Config {
  mode: "hello" | "static" | "app";
  scheme: "http" | "https";
  file?: string;
  dir?: string;
  certFile?: string;
  keyFile?: string;
}

const cfg = serverConfig<Config>();
const file = cfg.file ?? "";

// Headers equivalent to ours: Content-Type and Content-Length; no Date (ours sends none).
function send(res: http.ServerResponse, status: number, body: string | Buffer, type = "text/plain", extra?: Record<string, string>): void {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), ...extra });
  res.end(body);
}

function hello(_req: http.IncomingMessage, res: http.ServerResponse): void {
  res.sendDate = false;
  send(res, 200, HELLO);
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

function readBody(req: http.IncomingMessage, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on("data", (d: Buffer) => chunks.push(d));
  req.on("end", () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
}

function app(req: http.IncomingMessage, res: http.ServerResponse): void {
  res.sendDate = false;
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  if (path === "/products/42") { send(res, 200, renderPage(req.headers.cookie), "text/html; charset=utf-8", { "Cache-Control": "no-store" }); return; }
  if (path === JSON_PATH && req.method === "POST") {
    readBody(req, (body) => {
      let answer: unknown;
      try { answer = answerOrder(JSON.parse(body.toString("utf8"))); } catch { send(res, 400, "bad order\n"); return; }
      send(res, 200, JSON.stringify(answer), "application/json");
    });
    return;
  }
  if (path === "/upload" && req.method === "POST") {
    let n = 0;
    req.on("data", (d: Buffer) => { n += d.length; });
    req.on("end", () => send(res, 200, String(n)));
    return;
  }
  if (path === "/upload-disk") {
    const name = new URLSearchParams(url.slice(q + 1)).get("file") ?? "upload.bin";
    let n = 0;
    req.on("data", (d: Buffer) => { n += d.length; });
    pipeline(req, fs.createWriteStream(join(cfg.dir ?? ".", name)), (err) => {
      if (err) { send(res, 500, "upload failed\n"); return; }
      send(res, 200, JSON.stringify({ file: name, size: n }), "application/json");
    });
    return;
  }
  const sized = sizedBody(path);
  if (sized !== undefined) { send(res, 200, sized, "application/octet-stream"); return; }
  send(res, 200, HELLO);
}

const handler = cfg.mode === "hello" ? hello : cfg.mode === "static" ? statics : app;
const server = cfg.scheme === "https"
  ? https.createServer({ cert: fs.readFileSync(cfg.certFile!), key: fs.readFileSync(cfg.keyFile!) }, handler)
  : http.createServer(handler);
// Connections of the 10,000-connection scenarios wait longer than the 5 s default between requests.
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => announce((server.address() as { port: number }).port));
process.on("SIGTERM", () => { server.closeAllConnections(); server.close(); process.exit(0); });
