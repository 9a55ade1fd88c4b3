// tsmongoose HTTP(S) server for the benchmarks: "hello" answers every request with
// "Hello, World!"; "static" serves one file with serveFile().
import { readFileSync } from "node:fs";
import { Manager, MG_EV_HTTP_MSG, type ConnectionOptions, type EventHandler } from "../../src/index.js";
import { announce, serverConfig } from "../lib/child.js";

interface Config {
  mode: "hello" | "static";
  scheme: "http" | "https";
  /** static: the file served for every request. */
  file?: string;
  certFile?: string;
  keyFile?: string;
}

const cfg = serverConfig<Config>();

const hello: EventHandler = (c, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) c.reply(200, "Hello, World!");
};
const file = cfg.file ?? "";
const statics: EventHandler = (c, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) c.serveFile(data, file);
};

const manager = new Manager(cfg.mode === "hello" ? hello : statics);
const opts: ConnectionOptions = {};
if (cfg.scheme === "https") opts.tls = { cert: readFileSync(cfg.certFile!), key: readFileSync(cfg.keyFile!) };
const listener = manager.listen(`${cfg.scheme}://127.0.0.1:0`, opts);
announce(listener.localAddr.port);
await manager.run({ pollMs: 100 });
process.exit(0);
