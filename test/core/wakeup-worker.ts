// Runs in a worker thread: wakes a connection of the manager in the main thread.
import { workerData } from "node:worker_threads";
import { wakeup, type WakeupHandle } from "../../src/index.js";

const { handle, id } = workerData as { handle: WakeupHandle; id: number };
for (let i = 0; i < 3; i++) wakeup(handle, id, `w${i}`);
handle.close();
