// WebSocket chat: serves a chat page on / and a chat room on /ws (see chat.ts for the
// messages). Open http://127.0.0.1:8000/ in two browser tabs and talk.
//
// Run:  node dist/examples/websocket/chat-server.js [listen-url]
//       (or LISTEN_URL=...; default http://0.0.0.0:8000)
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { Manager, MG_EV_HTTP_MSG, type EventHandler } from "../../src/index.js";
import { ChatRoom } from "./chat.js";

/** The chat page: public/chat.html beside this example's source (compiled examples live in dist/). */
function findPage(): string {
  for (const rel of ["./public/chat.html", "../../../examples/websocket/public/chat.html"]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error("chat-server: cannot find examples/websocket/public/chat.html");
}

const listenUrl = process.argv[2] ?? process.env.LISTEN_URL ?? "http://0.0.0.0:8000";
const page = findPage();
const room = new ChatRoom();

const handler: EventHandler = (...args) => {
  const [conn, ev, data] = args;
  if (ev === MG_EV_HTTP_MSG) {
    if (data.uri === "/ws") room.upgrade(conn, data);
    else if (data.uri === "/" || data.uri === "/chat.html") conn.serveFile(data, page, { extraHeaders: "Cache-Control: no-cache" });
    else conn.reply(404, "not found\n");
    return;
  }
  room.handle(...args); // WebSocket messages and closes of room members
};

const manager = new Manager(handler);
const listener = manager.listen(listenUrl);
console.log(`listening on http://${listener.localAddr.ip}:${listener.localAddr.port}`);
await manager.run();
