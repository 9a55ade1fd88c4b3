// The `ws` peer: echo and broadcast as the ws README shows them, without compression
// (the load client does not offer it either), or with `deflate: true` with ws's
// perMessageDeflate: true (its defaults: 1 KiB threshold, as ours).
import * as http from "node:http";
import * as https from "node:https";
import { readFileSync } from "node:fs";
import { WebSocketServer, WebSocket } from "ws";
import { announce, serverConfig } from "../lib/child.js";
import { isStatsRequest, statsAnswer } from "./ws-stats.js";

interface Config {
  mode: "echo" | "broadcast";
  scheme: "ws" | "wss";
  certFile?: string;
  keyFile?: string;
  /** Answer a "\0stats" text message with this process's memory (burst scenarios). */
  stats?: boolean;
  /** Accept permessage-deflate offers. */
  deflate?: boolean;
}

const cfg = serverConfig<Config>();
const server = cfg.scheme === "wss"
  ? https.createServer({ cert: readFileSync(cfg.certFile!), key: readFileSync(cfg.keyFile!) })
  : http.createServer();
const wss = new WebSocketServer({ server, perMessageDeflate: cfg.deflate === true });

wss.on("connection", (ws) => {
  if (cfg.mode === "echo" && cfg.stats === true) {
    ws.on("message", (data, isBinary) => {
      if (!isBinary && isStatsRequest(data as Buffer)) ws.send(statsAnswer());
      else ws.send(data as Buffer, { binary: isBinary });
    });
  } else if (cfg.mode === "echo") {
    ws.on("message", (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
  } else {
    ws.on("message", (data, isBinary) => {
      for (const client of wss.clients) {
        if (client.readyState === WebSocket.OPEN) client.send(data as Buffer, { binary: isBinary });
      }
    });
  }
});

server.listen(0, "127.0.0.1", () => announce((server.address() as { port: number }).port));
process.on("SIGTERM", () => { for (const c of wss.clients) c.terminate(); server.close(); process.exit(0); });
