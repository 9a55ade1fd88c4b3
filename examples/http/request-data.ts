// The HTTP guide's "Request Data": everything an HttpMessage tells about a request.
// The server prints it and also sends it back as JSON, so you can see it with curl.
//
// Users write:  import { Manager, MG_EV_HTTP_MSG, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/http/request-data.js [listen-url]   (default http://0.0.0.0:8000)
// Try:  curl -H "Authorization: Bearer t0ken" -d 'hello' "http://127.0.0.1:8000/api/users/123?id=123&name=foo"
import { Manager, MG_EV_HTTP_MSG, type EventHandler } from "../../src/index.js";

const listenUrl = process.argv[2] ?? process.env.LISTEN_URL ?? "http://0.0.0.0:8000";

const handler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) {
    // Method: GET, POST, PUT, DELETE, etc.
    const method = data.method;

    // URI path, without the query string: "/api/users/123"
    const uri = data.uri;

    // Query string: "id=123&name=foo", and one variable of it, URL-decoded: "123"
    const query = data.query;
    const userId = data.queryVar("id");

    // Headers (case-insensitive names)
    const contentType = data.header("Content-Type");
    const auth = data.header("Authorization");

    // All headers, in the order received
    for (const [name, value] of data.headers()) {
      console.log(`${name}: ${value}`);
    }

    // Body
    const bodyBytes = data.bodyBytes; // raw bytes (a Buffer)
    const bodyText = data.bodyText;   // UTF-8 decoded

    console.log(`${method} ${uri} query=${JSON.stringify(query)} body=${bodyBytes.length} bytes`);
    conn.replyJson({
      method, uri, query, userId, contentType, auth,
      proto: data.proto,
      headers: data.headers(),
      bodyLength: bodyBytes.length,
      bodyText,
    });
  }
};

const manager = new Manager(handler);
const listener = manager.listen(listenUrl, { http: true });
// run() polls until SIGINT/SIGTERM, then closes every connection gracefully. It
// handles those signals from the moment it is called: start it, then say we are ready.
const running = manager.run();
console.log(`listening on http://${listener.localAddr.ip}:${listener.localAddr.port}`);
await running;
