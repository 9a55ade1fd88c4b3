// tsmongoose HTTP "hello" server run by runWorkers() with `workers` worker processes
// sharing the port (the http-hello-workers scenario). The harness counts the CPU of the
// primary and of every worker.
import { Manager, runWorkers, MG_EV_HTTP_MSG } from "../../src/index.js";
import { announce, serverConfig } from "../lib/child.js";

const cfg = serverConfig<{ workers: number }>();

await runWorkers({
  workers: cfg.workers,
  setup: () => {
    const manager = new Manager((c, ev, _data) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "Hello, World!"); });
    manager.listen("http://127.0.0.1:0");
    return manager;
  },
  onListening: (addrs, pids) => announce(addrs[0]!.port, ...pids),
  log: () => { /* the harness reads stdout; supervision lines are not wanted there */ },
});
