// The HTTP guide's "Chunked Transfer Encoding": a response sent in 100 pieces.
//
// Users write:  import { Manager, MG_EV_HTTP_MSG, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/http/chunked.js [listen-url]   (default http://0.0.0.0:8000)
// Try:  curl -N http://127.0.0.1:8000/        (curl decodes the chunks)
//       curl --raw http://127.0.0.1:8000/     (shows the chunk sizes too)
import { Manager, MG_EV_HTTP_MSG, type EventHandler } from "../../src/index.js";

const listenUrl = process.argv[2] ?? process.env.LISTEN_URL ?? "http://0.0.0.0:8000";

const handler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) {
    // Start a chunked response: no Content-Length, the body follows in chunks
    conn.reply(200, "", { "Transfer-Encoding": "chunked" });

    // Send chunks
    for (let i = 0; i < 100; i++) {
      const chunk = `Chunk ${i}\n`;
      conn.httpChunk(chunk);
    }

    // End chunking: an empty chunk signals the end
    conn.httpChunk("");
    console.log(`${data.method} ${data.uri}: sent 100 chunks`);
  }
};

const manager = new Manager(handler);
const listener = manager.listen(listenUrl, { http: true });
// run() polls until SIGINT/SIGTERM, then closes every connection gracefully. It
// handles those signals from the moment it is called: start it, then say we are ready.
const running = manager.run();
console.log(`listening on http://${listener.localAddr.ip}:${listener.localAddr.port}`);
await running;
