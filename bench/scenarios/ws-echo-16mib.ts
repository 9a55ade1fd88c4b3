// One 16 MiB binary WebSocket message echoed, again and again, on one connection: the
// large-payload path (unmasking, reassembly, copies, buffer growth) vs a `ws` server; the
// detail line has both servers' peak memory.
import type { Scenario } from "../lib/types.js";
import { burstComparison } from "./ws-burst-lib.js";

export const wsEcho16MiB: Scenario = {
  id: "ws-echo-16mib",
  title: "WebSocket echo of one 16 MiB binary message, 1 client",
  unit: "MiB/s",
  target: 1.0,
  needs: [],
  async prepare() { return burstComparison(1, 16 * 1024 * 1024); },
};
