// tsmongoose WebSocket server for the benchmarks: "echo" sends every message back;
// "broadcast" sends every message to every WebSocket connection.
import { readFileSync } from "node:fs";
import { Manager, MG_EV_HTTP_MSG, MG_EV_WS_MSG, WEBSOCKET_OP_TEXT, type ConnectionOptions, type EventHandler } from "../../src/index.js";
import { announce, serverConfig } from "../lib/child.js";
import { isStatsRequest, statsAnswer } from "./ws-stats.js";

interface Config {
  mode: "echo" | "broadcast";
  scheme: "ws" | "wss";
  certFile?: string;
  keyFile?: string;
  /** Answer a "\0stats" text message with this process's memory (burst scenarios). */
  stats?: boolean;
}

const cfg = serverConfig<Config>();
const manager = new Manager();

const echo: EventHandler = (c, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
  else if (ev === MG_EV_WS_MSG) c.wsSend(data.data, data.op);
};
const broadcast: EventHandler = (c, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
  else if (ev === MG_EV_WS_MSG) {
    for (const peer of manager.connections) if (peer.isWebsocket) peer.wsSend(data.data, data.op);
  }
};

const echoWithStats: EventHandler = (c, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
  else if (ev === MG_EV_WS_MSG) {
    if (data.op === WEBSOCKET_OP_TEXT && isStatsRequest(data.data)) c.wsSend(statsAnswer());
    else c.wsSend(data.data, data.op);
  }
};

manager.handler = cfg.mode === "echo" ? (cfg.stats === true ? echoWithStats : echo) : broadcast;
const opts: ConnectionOptions = {};
if (cfg.scheme === "wss") opts.tls = { cert: readFileSync(cfg.certFile!), key: readFileSync(cfg.keyFile!) };
const listener = manager.listen(`${cfg.scheme}://127.0.0.1:0`, opts);
announce(listener.localAddr.port);
await manager.run({ pollMs: 100 });
process.exit(0);
