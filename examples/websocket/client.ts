// WebSocket client: connects, sends each message given on the command line, prints
// what comes back, and closes once every message has had an answer (or, with --stay,
// keeps printing until Ctrl-C).
//
// Run:  node dist/examples/websocket/client.js URL [message ...] [--stay]
//       (URL ws://host:port/path or wss://...; default ws://127.0.0.1:8000/websocket)
// Try:  with echo-server.js running:
//       node dist/examples/websocket/client.js ws://127.0.0.1:8000/websocket hello world
import {
  Manager, MG_EV_WS_OPEN, MG_EV_WS_MSG, MG_EV_WS_CTL, MG_EV_ERROR, MG_EV_CLOSE, WEBSOCKET_OP_CLOSE,
  wsCloseCode, type EventHandler,
} from "../../src/index.js";

const args = process.argv.slice(2);
const stay = args.includes("--stay");
const positional = args.filter((a) => a !== "--stay");
const url = positional[0] ?? process.env.WS_URL ?? "ws://127.0.0.1:8000/websocket";
const messages = positional.slice(1);

let answered = 0;
let done = false;
let exitCode = 0;

const handler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_WS_OPEN) {
    console.log(`connected to ${url} (HTTP ${data.status()})`);
    for (const m of messages) conn.wsSend(m);
    if (messages.length === 0 && !stay) conn.wsClose(1000, "nothing to say");
  } else if (ev === MG_EV_WS_MSG) {
    console.log(`received: ${data.text}`);
    if (++answered >= messages.length && !stay) conn.wsClose(1000, "done");
  } else if (ev === MG_EV_WS_CTL && data.op === WEBSOCKET_OP_CLOSE) {
    console.log(`server closed with ${wsCloseCode(data)}`);
  } else if (ev === MG_EV_ERROR) {
    console.error(`error: ${data}`);
    exitCode = 1;
  } else if (ev === MG_EV_CLOSE) {
    console.log("closed");
    done = true;
  }
};

const manager = new Manager(handler);
manager.wsConnect(url);
const stop = (): void => { done = true; };
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
while (!done) await manager.poll(100);
await manager.close();
process.exit(exitCode);
