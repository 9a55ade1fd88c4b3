// WebSocket echo round trips per second: 50 clients, one 64-byte text message in flight
// each, vs a `ws` server.
import type { Scenario } from "../lib/types.js";
import { wsComparison } from "../lib/ws-scenario.js";

export const wsEcho: Scenario = {
  id: "ws-echo",
  title: "WebSocket echo, 50 clients, 64 B",
  unit: "msg/s",
  target: 1.2,
  targetFrom: "issue 14",
  needs: [],
  async prepare() {
    const config = { mode: "echo", scheme: "ws" };
    return wsComparison({
      scheme: "ws", mode: "echo", conns: 50, payload: 64,
      ours: { label: "tsmongoose", server: { script: "ours-ws.js", config } },
      peer: { label: "ws", server: { script: "ws-peer.js", config } },
    });
  },
};
