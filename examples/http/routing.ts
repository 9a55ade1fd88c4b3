// The HTTP guide's "Routing": a tiny users API routed by method and path.
//
// Users write:  import { Manager, MG_EV_HTTP_MSG, type Connection, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/http/routing.js [listen-url]   (default http://0.0.0.0:8000)
// Try:  curl http://127.0.0.1:8000/api/users/1
//       curl -d '{"name":"Bob"}' http://127.0.0.1:8000/api/users
import { Manager, MG_EV_HTTP_MSG, type Connection, type EventHandler } from "../../src/index.js";

const listenUrl = process.argv[2] ?? process.env.LISTEN_URL ?? "http://0.0.0.0:8000";

interface User { id: number; name: string }
const users = new Map<number, User>([[1, { id: 1, name: "Alice" }]]);
let nextId = 2;

function handleGetUser(conn: Connection, userId: string): void {
  const user = users.get(Number(userId));
  if (user) conn.replyJson(user);
  else conn.replyJson({ error: `no user ${userId}` }, 404);
}

function handleCreateUser(conn: Connection, bodyText: string): void {
  // Validate input from the body before using it.
  let name: unknown;
  try {
    name = (JSON.parse(bodyText) as { name?: unknown }).name;
  } catch {
    conn.replyJson({ error: "body must be JSON" }, 400);
    return;
  }
  if (typeof name !== "string" || name === "") {
    conn.replyJson({ error: "name must be a non-empty string" }, 400);
    return;
  }
  const user = { id: nextId++, name };
  users.set(user.id, user);
  conn.replyJson(user, 201, { Location: `/api/users/${user.id}` });
}

const handler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) {
    const method = data.method;
    const uri = data.uri;

    // Route handlers
    if (method === "GET" && uri === "/") {
      conn.reply(200, "Home page");
    } else if (method === "GET" && uri.startsWith("/api/users/")) {
      const userId = uri.split("/").at(-1) ?? "";
      handleGetUser(conn, userId);
    } else if (method === "POST" && uri === "/api/users") {
      handleCreateUser(conn, data.bodyText);
    } else {
      conn.reply(404, '{"error": "Not found"}', { "Content-Type": "application/json" });
    }

    conn.drain();
  }
};

const manager = new Manager(handler);
const listener = manager.listen(listenUrl, { http: true });
// run() polls until SIGINT/SIGTERM, then closes every connection gracefully. It
// handles those signals from the moment it is called: start it, then say we are ready.
const running = manager.run();
console.log(`listening on http://${listener.localAddr.ip}:${listener.localAddr.port}`);
await running;
