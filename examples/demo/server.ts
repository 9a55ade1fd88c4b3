// The demo behind `npm start`: one Manager serving a page that shows what tsmongoose
// does: static files, JSON, a chunked stream, a live clock over Server-Sent Events,
// file uploads, and (once it lands) a WebSocket chat.
//
// Users write:  import { Manager, ... } from "tsmongoose";  (inside this repository the
// demo imports the sources so that it compiles here.)
//
// Run:  npm start        then open http://127.0.0.1:8000/
// Environment: PORT (default 8000; 0 picks a free port), HOST (default 127.0.0.1),
//   UPLOAD_DIR (default <tmp>/tsmongoose-demo-uploads), CLOCK_MS (default 1000),
//   HTTPS_PORT (default 8443; "off" for none), CERT_DIR (default .demo-certs).
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Manager, MG_EV_HTTP_MSG, selfSignedCert, type Connection, type EventHandler, type HttpMessage,
} from "../../src/index.js";
import { router, type Route } from "./router.js";
import { startClock } from "./clock.js";
import { uploadHandler, uploadListHandler } from "./uploads.js";
import { ChatRoom } from "../websocket/chat.js";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8000);
const uploadDir = process.env.UPLOAD_DIR ?? join(tmpdir(), "tsmongoose-demo-uploads");
const clockMs = Number(process.env.CLOCK_MS ?? 1000);
const httpsPortEnv = process.env.HTTPS_PORT ?? "8443";
const certDir = process.env.CERT_DIR ?? ".demo-certs";

/**
 * The page's folder. Only compiled code goes to dist/, so from dist/examples/demo/
 * look back into the source tree; when run from the source itself, public/ is beside it.
 */
function findPublicDir(): string {
  for (const rel of ["./public", "../../../examples/demo/public"]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, "index.html"))) return dir;
  }
  throw new Error("demo: cannot find examples/demo/public");
}
const publicDir = findPublicDir();
const startedAt = Date.now();

const manager = new Manager();

// ---- the features, each an EventHandler on a path ----------------------------------

const clock = startClock(manager, clockMs);

const infoHandler: EventHandler = (conn, ev, _data) => {
  if (ev !== MG_EV_HTTP_MSG) return;
  conn.replyJson({
    library: "tsmongoose",
    node: process.version,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    connections: manager.connections.length,
    clockSubscribers: clock.clients.size,
  });
};

// What a request looked like to the server (method, path, query, headers, body).
const echoHandler: EventHandler = (conn, ev, data) => {
  if (ev !== MG_EV_HTTP_MSG) return;
  conn.replyJson({
    method: data.method, uri: data.uri, query: data.query, proto: data.proto,
    headers: data.headers(), body: data.bodyText,
  });
};

// A chunked response produced over time: one line every 100 ms.
const chunkedHandler: EventHandler = (conn, ev, _data) => {
  if (ev !== MG_EV_HTTP_MSG) return;
  conn.reply(200, "", { "Transfer-Encoding": "chunked", "Content-Type": "text/plain; charset=utf-8" });
  let i = 0;
  const timer = manager.timerAdd(100, () => {
    if (conn.isClosing) { timer.cancel(); return; }
    conn.httpChunk(`line ${++i} of 20, ${new Date().toISOString()}\n`);
    if (i === 20) { conn.httpChunk(""); timer.cancel(); }
  }, { repeat: true });
};

const chat = new ChatRoom();
const routes: Route[] = [
  { path: "/events", handler: clock.handler },
  { path: "/upload", method: "POST", handler: uploadHandler(uploadDir) },
  { path: "/api/uploads", handler: uploadListHandler(uploadDir) },
  { path: "/api/info", handler: infoHandler },
  { path: "/api/echo", handler: echoHandler },
  { path: "/chunked", handler: chunkedHandler },
  // The chat room upgrades /ws requests and then gets every event of those connections.
  { path: "/ws", handler: chat.handler },
];

// Everything else is a file: uploads under /uploads/, the page from public/.
function serveStatic(conn: Connection, msg: HttpMessage): void {
  if (msg.uri.startsWith("/uploads/")) {
    conn.serveDir(msg, `/uploads=${uploadDir}`);
  } else {
    conn.serveDir(msg, publicDir, { extraHeaders: "Cache-Control: no-cache" });
  }
}

const demoHandler = router(routes, serveStatic);

// ---- listeners ------------------------------------------------------------------------

const http = manager.listen(`http://${host}:${port}`, demoHandler);

// The same demo over HTTPS, with a self-signed certificate generated on first run
// (openssl, kept in CERT_DIR). HTTPS_PORT=off turns it off.
let httpsLine = "";
if (httpsPortEnv !== "off") {
  try {
    const { cert, key, certFile: certPath } = selfSignedCert({ dir: certDir, name: "localhost", altNames: ["localhost", "127.0.0.1"] });
    const https = manager.listen(`https://${host}:${Number(httpsPortEnv)}`, demoHandler, { tls: { cert, key } });
    httpsLine = `listening on https://${https.localAddr.ip}:${https.localAddr.port} (certificate: ${certPath}; curl --cacert ${certPath} https://localhost:${https.localAddr.port}/)`;
  } catch (e) {
    httpsLine = `HTTPS not started: ${(e as Error).message}`;
  }
}

// run() polls until SIGINT/SIGTERM, then closes every connection gracefully. It
// handles those signals from the moment it is called: start it, then say we are ready.
const running = manager.run();
console.log(`tsmongoose demo: serving ${publicDir}, uploads in ${uploadDir}`);
console.log(`listening on http://${http.localAddr.ip}:${http.localAddr.port}`);
if (httpsLine) console.log(httpsLine);
await running;
