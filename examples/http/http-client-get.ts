// The HTTP guide's "Make HTTP Requests": a GET request written by hand on a raw
// connection, and the parsed response.
//
// Users write:  import { Manager, MG_EV_CONNECT, MG_EV_HTTP_MSG, MG_EV_ERROR, MG_EV_CLOSE, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/http/http-client-get.js [url]
//       (default http://127.0.0.1:8000/api/data; start e.g. basic-server.js first)
import {
  Manager, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_MSG, urlHost, urlPort, urlUri,
  type EventHandler,
} from "../../src/index.js";

const url = process.argv[2] ?? process.env.URL ?? "http://127.0.0.1:8000/api/data";
const host = urlHost(url);
const port = urlPort(url);
const path = urlUri(url);

let done = false;
let failed = false;

const clientHandler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_CONNECT) {
    // Send a GET request
    conn.send(
      `GET ${path} HTTP/1.1\r\n` +
      `Host: ${host}:${port}\r\n` +
      "\r\n",
    );
  } else if (ev === MG_EV_HTTP_MSG) {
    // Response received
    const status = data.status();
    const body = data.bodyText;

    console.log(`Status: ${status}`);
    console.log(`Body: ${body}`);

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
