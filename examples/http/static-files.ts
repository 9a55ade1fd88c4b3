// The HTTP guide's "Static Files": /static/... from a directory, /favicon.ico as one
// file, and a dynamic answer for everything else.
//
// Users write:  import { Manager, MG_EV_HTTP_MSG, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/http/static-files.js [listen-url] [public-dir]
//       (default http://0.0.0.0:8000 and this example's public/ folder; PUBLIC_DIR=... also works)
// Try:  curl -i http://127.0.0.1:8000/static/hello.txt
//       curl -i -r 0-4 http://127.0.0.1:8000/static/hello.txt      (a Range request: 206)
import { fileURLToPath } from "node:url";
import { Manager, MG_EV_HTTP_MSG, type EventHandler } from "../../src/index.js";

const listenUrl = process.argv[2] ?? process.env.LISTEN_URL ?? "http://0.0.0.0:8000";
// The guide serves "./public". Compiled examples live in dist/, so by default find the
// folder next to this example's source: dist/examples/http/ -> examples/http/public.
const publicDir = process.argv[3] ?? process.env.PUBLIC_DIR
  ?? fileURLToPath(new URL("../../../examples/http/public", import.meta.url));

const handler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) {
    if (data.uri === "/favicon.ico") {
      // Serve a single file
      conn.serveFile(data, `${publicDir}/favicon.ico`);
    } else if (data.uri.startsWith("/static/")) {
      // As in Mongoose, the request path is appended to the root:
      // /static/hello.txt is <publicDir>/static/hello.txt.
      conn.serveDir(data, publicDir, { extraHeaders: "Cache-Control: max-age=3600" });
    } else {
      // Dynamic response
      conn.reply(200, "Hello!");
      conn.drain();
    }
  }
};

const manager = new Manager(handler);
const listener = manager.listen(listenUrl, { http: true });
console.log(`serving ${publicDir}`);
// run() polls until SIGINT/SIGTERM, then closes every connection gracefully. It
// handles those signals from the moment it is called: start it, then say we are ready.
const running = manager.run();
console.log(`listening on http://${listener.localAddr.ip}:${listener.localAddr.port}`);
await running;
