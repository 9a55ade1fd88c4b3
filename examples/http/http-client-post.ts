// The HTTP guide's "POST Request": a JSON body sent by hand with its Content-Length.
//
// Users write:  import { Manager, MG_EV_CONNECT, MG_EV_HTTP_MSG, MG_EV_ERROR, MG_EV_CLOSE, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/http/http-client-post.js [url]
//       (default http://127.0.0.1:8000/api/users; start e.g. routing.js first)
import {
  Manager, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_MSG, urlHost, urlPort, urlUri,
  type EventHandler,
} from "../../src/index.js";

const url = process.argv[2] ?? process.env.URL ?? "http://127.0.0.1:8000/api/users";
const host = urlHost(url);
const port = urlPort(url);
const path = urlUri(url);

let done = false;
let failed = false;

const clientHandler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_CONNECT) {
    const payload = Buffer.from(JSON.stringify({ name: "Alice" }));

    const request =
      `POST ${path} HTTP/1.1\r\n` +
      `Host: ${host}:${port}\r\n` +
      "Content-Type: application/json\r\n" +
      `Content-Length: ${payload.length}\r\n` + // bytes, not characters
      "\r\n";
    conn.send(request);
    conn.send(payload);
  } else if (ev === MG_EV_HTTP_MSG) {
    console.log(`Status: ${data.status()}`);
    console.log(`Body: ${data.bodyText}`);
    conn.close();
  } else if (ev === MG_EV_ERROR) {
    console.error(`Error: ${data}`);
    failed = true;
  } else if (ev === MG_EV_CLOSE) {
    done = true;
  }
};

const manager = new Manager(clientHandler);
manager.connect(`http://${host}:${port}`, { http: true });
while (!done) await manager.poll(100);
await manager.close();
process.exitCode = failed ? 1 : 0;
