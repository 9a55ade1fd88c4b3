// tsmongoose HTTP(S) server for the benchmarks. Modes (the same answers as node-http.ts):
//   hello   every request: "Hello, World!"
//   static  one file with serveFile()
//   app     the "user traffic" routes of app-logic.ts: GET /products/42 (a page for the
//           session cookie), POST /api/orders (JSON in, JSON out), POST /upload (the body in
//           memory, answered with its length), POST /upload-disk?file=NAME (streamed to a file
//           in `dir` with httpUpload()), GET /size/N (N bytes); anything else "Hello, World!".
import { readFileSync } from "node:fs";
import { logSet, MG_LL_DEBUG, Manager, MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG, type ConnectionOptions, type EventHandler } from "../../src/index.js";
import { announce, serverConfig } from "../lib/child.js";
import { answerOrder, HELLO, JSON_PATH, renderPage, sizedBody } from "./app-logic.js";

interface Config {
  mode: "hello" | "static" | "app";
  scheme: "http" | "https";
  /** static: the file served for every request. */
  file?: string;
  /** app: where /upload-disk writes. */
  dir?: string;
  certFile?: string;
  keyFile?: string;
  /** log-cost: the debug trace on, into a sink that drops every line. */
  traceToNull?: boolean;
}

const cfg = serverConfig<Config>();

const hello: EventHandler = (c, ev) => {
  if (ev === MG_EV_HTTP_MSG) c.reply(200, HELLO);
};
const file = cfg.file ?? "";
const statics: EventHandler = (c, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) c.serveFile(data, file);
};
const PAGE_HEADERS = { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" };
const BIN = { "Content-Type": "application/octet-stream" };
const app: EventHandler = (c, ev, data) => {
  if (ev === MG_EV_HTTP_HDRS) {
    if (data.uri === "/upload-disk") c.httpUpload(data, cfg.dir ?? ".");
    return;
  }
  if (ev !== MG_EV_HTTP_MSG) return;
  const uri = data.uri;
  if (uri === "/products/42") { c.reply(200, renderPage(data.header("Cookie")), PAGE_HEADERS); return; }
  if (uri === JSON_PATH && data.method === "POST") {
    let answer: unknown;
    try { answer = answerOrder(JSON.parse(data.bodyText)); } catch { c.reply(400, "bad order\n"); return; }
    c.replyJson(answer);
    return;
  }
  if (uri === "/upload" && data.method === "POST") { c.reply(200, String(data.bodyBytes.length)); return; }
  const sized = sizedBody(uri);
  if (sized !== undefined) { c.reply(200, sized, BIN); return; }
  c.reply(200, HELLO);
};

if (cfg.traceToNull === true) logSet(MG_LL_DEBUG, () => {});
const manager = new Manager(cfg.mode === "hello" ? hello : cfg.mode === "static" ? statics : app);
const opts: ConnectionOptions = {};
if (cfg.scheme === "https") opts.tls = { cert: readFileSync(cfg.certFile!), key: readFileSync(cfg.keyFile!) };
const listener = manager.listen(`${cfg.scheme}://127.0.0.1:0`, opts);
announce(listener.localAddr.port);
await manager.run({ pollMs: 100 });
process.exit(0);
