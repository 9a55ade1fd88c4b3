// The HTTP guide's "File Upload": multipart/form-data uploads saved into a folder.
//
// Users write:  import { Manager, MG_EV_HTTP_MSG, httpParseMultipart, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/http/upload.js [listen-url] [upload-dir]
//       (default http://0.0.0.0:8000 and ./uploads; UPLOAD_DIR=... also works)
// Try:  curl -F file=@README.md http://127.0.0.1:8000/upload   or open http://127.0.0.1:8000/
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { Manager, MG_EV_HTTP_MSG, httpParseMultipart, type EventHandler } from "../../src/index.js";

const listenUrl = process.argv[2] ?? process.env.LISTEN_URL ?? "http://0.0.0.0:8000";
const uploadDir = process.argv[3] ?? process.env.UPLOAD_DIR ?? "uploads";

const form = `<!doctype html>
<meta charset="utf-8"><title>Upload</title>
<form method="post" action="/upload" enctype="multipart/form-data">
  <input type="file" name="file" multiple> <button>Upload</button>
</form>
`;

const handler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG && data.method === "POST") {
    mkdirSync(uploadDir, { recursive: true });

    let offset = 0;
    for (;;) {
      const [next, part] = httpParseMultipart(data.bodyBytes, offset);
      if (part === undefined) break;
      offset = next;

      if (part.filename) {
        // A file. Never trust the name the client sent: keep only its last component,
        // so "../../etc/passwd" cannot write outside the upload folder.
        const filename = basename(part.filename.replaceAll("\\", "/"));
        if (filename === "" || filename === "." || filename === "..") continue;
        const filepath = join(uploadDir, filename);
        writeFileSync(filepath, part.body);
        console.log(`Uploaded: ${filepath} (${part.body.length} bytes)`);
      }
    }

    conn.reply(200, '{"status": "uploaded"}', { "Content-Type": "application/json" });
    conn.drain();
  } else if (ev === MG_EV_HTTP_MSG) {
    conn.reply(200, form, { "Content-Type": "text/html; charset=utf-8" });
  }
};

const manager = new Manager(handler);
const listener = manager.listen(listenUrl, { http: true });
console.log(`saving uploads into ${uploadDir}`);
// run() polls until SIGINT/SIGTERM, then closes every connection gracefully. It
// handles those signals from the moment it is called: start it, then say we are ready.
const running = manager.run();
console.log(`listening on http://${listener.localAddr.ip}:${listener.localAddr.port}`);
await running;
