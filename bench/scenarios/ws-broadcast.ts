// WebSocket broadcast: one client publishes 64-byte text messages (16 in flight), the
// server sends each to all 100 clients; messages delivered per second, vs a `ws` server.
import type { Scenario } from "../lib/types.js";
import { wsComparison } from "../lib/ws-scenario.js";

export const wsBroadcast: Scenario = {
  id: "ws-broadcast",
  title: "WebSocket broadcast to 100 clients, 64 B",
  unit: "msg/s",
  target: 1.2,
  needs: [],
  async prepare() {
    const config = { mode: "broadcast", scheme: "ws" };
    return wsComparison({
      scheme: "ws", mode: "broadcast", conns: 100, payload: 64, window: 16,
      ours: { label: "tsmongoose", server: { script: "ours-ws.js", config } },
      peer: { label: "ws", server: { script: "ws-peer.js", config } },
    });
  },
};
