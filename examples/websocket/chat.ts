// A chat room over WebSocket, reusable by any server (chat-server.ts, the demo): mount
// `room.handler` on a path, or route an upgrade request to `room.upgrade(conn, msg)`
// and pass the connection's later events to `room.handle(...args)`.
//
// Client -> server, JSON text messages:
//   {"type":"name","name":"ann"}      choose a name (1..32 characters)
//   {"type":"say","text":"hello"}     say something (1..1000 characters)
// Server -> clients:
//   {"type":"welcome","you":"guest-3","users":["ann","guest-3"]}
//   {"type":"join","name":"guest-3"}, {"type":"leave","name":"ann"}
//   {"type":"rename","from":"guest-3","to":"bob"}
//   {"type":"say","from":"bob","text":"hello","time":1700000000000}
//   {"type":"error","error":"..."}
import {
  MG_EV_CLOSE, MG_EV_HTTP_MSG, MG_EV_WS_MSG, WEBSOCKET_OP_TEXT,
  type Connection, type EventArgs, type EventHandler, type HttpMessage,
} from "../../src/index.js";

const MAX_NAME = 32;
const MAX_TEXT = 1000;

interface Member { name: string }

export class ChatRoom {
  private readonly members = new Map<Connection, Member>();
  private guests = 0;

  /**
   * The room as an EventHandler for a path of its own: upgrades the requests it gets
   * and handles the connections' events (a route in the demo's router: `{ path: "/ws",
   * handler: room.handler }`).
   */
  readonly handler: EventHandler = (...args) => {
    const [conn, ev, data] = args;
    if (ev === MG_EV_HTTP_MSG) this.upgrade(conn, data);
    else this.handle(...args);
  };

  /** Upgrades the request and joins the room; false when it was not a WebSocket request. */
  upgrade(conn: Connection, msg: HttpMessage): boolean {
    if (!conn.wsUpgrade(msg)) return false;
    const name = `guest-${++this.guests}`;
    this.members.set(conn, { name });
    this.sendTo(conn, { type: "welcome", you: name, users: this.names() });
    this.broadcast({ type: "join", name }, conn);
    return true;
  }

  /** Handles the events of a member connection (others are ignored). */
  handle(...[conn, ev, data]: EventArgs): void {
    const m = this.members.get(conn);
    if (m === undefined) return;
    if (ev === MG_EV_WS_MSG) {
      if (data.op !== WEBSOCKET_OP_TEXT) { this.sendTo(conn, { type: "error", error: "text messages only" }); return; }
      this.onText(conn, m, data.text);
    } else if (ev === MG_EV_CLOSE) {
      this.members.delete(conn);
      this.broadcast({ type: "leave", name: m.name });
    }
  }

  /** Names of the people in the room. */
  names(): string[] { return [...this.members.values()].map((m) => m.name); }

  private onText(conn: Connection, m: Member, text: string): void {
    let req: { type?: unknown; name?: unknown; text?: unknown };
    try { req = JSON.parse(text) as typeof req; } catch { this.sendTo(conn, { type: "error", error: "expected JSON" }); return; }
    if (req.type === "name" && typeof req.name === "string") {
      const name = req.name.trim();
      if (name.length === 0 || name.length > MAX_NAME) { this.sendTo(conn, { type: "error", error: `a name has 1..${MAX_NAME} characters` }); return; }
      if (this.names().includes(name)) { this.sendTo(conn, { type: "error", error: `${name} is taken` }); return; }
      const from = m.name;
      m.name = name;
      this.broadcast({ type: "rename", from, to: name });
    } else if (req.type === "say" && typeof req.text === "string") {
      if (req.text.length === 0 || req.text.length > MAX_TEXT) { this.sendTo(conn, { type: "error", error: `a message has 1..${MAX_TEXT} characters` }); return; }
      this.broadcast({ type: "say", from: m.name, text: req.text, time: Date.now() });
    } else {
      this.sendTo(conn, { type: "error", error: "unknown request" });
    }
  }

  private sendTo(conn: Connection, value: object): void { conn.wsSend(JSON.stringify(value)); }

  private broadcast(value: object, except?: Connection): void {
    const text = JSON.stringify(value);
    for (const c of this.members.keys()) if (c !== except && !c.isClosing) c.wsSend(text);
  }
}
