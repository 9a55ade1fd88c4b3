// A server for shutdown.test.ts's run() + SIGTERM test: answers every request 200 ms
// later (from a setTimeout, as an async handler would), prints "PORT <n>" once it
// listens and "GOT <n>" when the n-th request arrives, and "DONE" when run() returned.
import { Manager, MG_EV_HTTP_MSG } from "../../src/index.js";

let n = 0;
const m = new Manager((c, ev, _d) => {
  if (ev !== MG_EV_HTTP_MSG) return;
  const id = ++n;
  process.stdout.write(`GOT ${id}\n`);
  setTimeout(() => c.reply(200, `answer ${id}`), 200);
});
const l = m.listen("http://127.0.0.1:0");
process.stdout.write(`PORT ${l.localAddr.port}\n`);
await m.run({ pollMs: 50 });
process.stdout.write("DONE\n");
