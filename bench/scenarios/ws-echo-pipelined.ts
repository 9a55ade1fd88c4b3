// WebSocket echo with pipelining: 50 clients, each keeping 16 64-byte text messages in
// flight, vs a `ws` server. Messages echoed per second, NOT round trips: a server that
// answers several messages of one connection with one write gains here. ws-echo (one
// message in flight) is the round-trip number.
import type { Scenario } from "../lib/types.js";
import { wsComparison } from "../lib/ws-scenario.js";

export const wsEchoPipelined: Scenario = {
  id: "ws-echo-pipelined",
  title: "WebSocket echo, pipelined (16 in flight per client), 50 clients, 64 B",
  unit: "msg/s",
  target: 1.2,
  needs: [],
  async prepare() {
    const config = { mode: "echo", scheme: "ws" };
    return wsComparison({
      scheme: "ws", mode: "echo", conns: 50, payload: 64, depth: 16,
      ours: { label: "tsmongoose", server: { script: "ours-ws.js", config } },
      peer: { label: "ws", server: { script: "ws-peer.js", config } },
    });
  },
};
