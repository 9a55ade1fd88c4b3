// The HTTP guide's "HTTP Responses": plain text, extra headers, JSON, HTML and the
// common status codes, one path each.
//
// Users write:  import { Manager, MG_EV_HTTP_MSG, type Connection, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/http/responses.js [listen-url]   (default http://0.0.0.0:8000)
// Try:  curl -i http://127.0.0.1:8000/json      curl -i http://127.0.0.1:8000/status/404
import { Manager, MG_EV_HTTP_MSG, type Connection, type EventHandler } from "../../src/index.js";

const listenUrl = process.argv[2] ?? process.env.LISTEN_URL ?? "http://0.0.0.0:8000";

const users = [{ id: 1, name: "Alice" }, { id: 2, name: "Bob" }];

const html = `
<html>
<head><title>Hello</title></head>
<body><h1>Hello, World!</h1></body>
</html>
`;

/** The guide's status code list: one reply per code. */
function replyStatus(conn: Connection, code: number): void {
  switch (code) {
    // Success
    case 200: conn.reply(200, "OK"); break;
    case 201: conn.reply(201, '{"id": 123}'); break; // Created
    case 204: conn.reply(204, ""); break;            // No Content
    // Client errors
    case 400: conn.reply(400, "Bad Request"); break;
    case 401: conn.reply(401, "Unauthorized"); break;
    case 403: conn.reply(403, "Forbidden"); break;
    case 404: conn.reply(404, "Not Found"); break;
    // Server errors
    case 500: conn.reply(500, "Internal Server Error"); break;
    case 503: conn.reply(503, "Service Unavailable"); break;
    default: conn.reply(400, `no example for status ${code}\n`);
  }
}

const handler: EventHandler = (conn, ev, data) => {
  if (ev !== MG_EV_HTTP_MSG) return;
  const uri = data.uri;
  if (uri === "/" || uri === "/simple") {
    // Simple response (Content-Type: text/plain is added)
    conn.reply(200, "OK");
  } else if (uri === "/headers") {
    // With headers
    conn.reply(200, '{"status": "ok"}', {
      "Content-Type": "application/json",
      "X-Request-ID": "12345",
    });
  } else if (uri === "/json") {
    // JSON response, built by hand as in the guide...
    const responseData = { users, count: users.length };
    conn.reply(200, JSON.stringify(responseData), { "Content-Type": "application/json" });
  } else if (uri === "/json-short") {
    // ...or with replyJson(), which does the same in one call
    conn.replyJson({ users, count: users.length });
  } else if (uri === "/html") {
    // HTML response
    conn.reply(200, html, { "Content-Type": "text/html" });
  } else if (uri.startsWith("/status/")) {
    replyStatus(conn, Number(uri.slice("/status/".length)));
  } else {
    conn.reply(404, "Not Found");
  }
};

const manager = new Manager(handler);
const listener = manager.listen(listenUrl, { http: true });
// run() polls until SIGINT/SIGTERM, then closes every connection gracefully. It
// handles those signals from the moment it is called: start it, then say we are ready.
const running = manager.run();
console.log(`listening on http://${listener.localAddr.ip}:${listener.localAddr.port}`);
await running;
