// tsmongoose server for the http-idle scenario: "Hello, World!" for every request, and
// GET /cpu answers this process's CPU time (µs, user + system) so that the load side can
// measure the server's idle CPU while 10,000 keep-alive connections sit idle.
import { Manager, MG_EV_HTTP_MSG, type HttpMessage } from "../../src/index.js";
import { announce } from "../lib/child.js";

const manager = new Manager((c, ev, data) => {
  if (ev !== MG_EV_HTTP_MSG) return;
  if ((data as HttpMessage).uri === "/cpu") { const u = process.cpuUsage(); c.reply(200, String(u.user + u.system)); return; }
  c.reply(200, "Hello, World!");
});
// Idle connections stay open for the whole measurement (the default idle timeout is 60 s).
const listener = manager.listen("http://127.0.0.1:0", { idleTimeoutMs: 300_000 });
announce(listener.localAddr.port);
await manager.run({ pollMs: 100 });
process.exit(0);
