// 100,000 empty WebSocket messages sent in one write on one connection, all echoed, again
// and again: the per-message cost (framing, events, small writes) vs a `ws` server.
import type { Scenario } from "../lib/types.js";
import { burstComparison } from "./ws-burst-lib.js";

export const wsBurstEmpty: Scenario = {
  id: "ws-burst-empty",
  title: "WebSocket echo of 100,000 empty messages sent at once, 1 client",
  unit: "msg/s",
  target: 1.0,
  needs: [],
  async prepare() { return burstComparison(100_000, 0); },
};
