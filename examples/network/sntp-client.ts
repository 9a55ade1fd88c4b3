// SNTP client: asks a time server for the time (RFC 4330) and prints it with the
// offset of the local clock, once or every N seconds, as cymongoose's example does.
//
// Users write:  import { Manager, MG_EV_SNTP_TIME, MG_EV_ERROR, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/network/sntp-client.js [udp://time.google.com:123] [count] [interval-s]
//       (or SNTP_URL=..., COUNT=..., INTERVAL_S=...; defaults: one query)
import { Manager, MG_EV_CLOSE, MG_EV_ERROR, MG_EV_SNTP_TIME, type EventHandler } from "../../src/index.js";

const url = process.argv[2] ?? process.env.SNTP_URL ?? "udp://time.google.com:123";
const count = Number(process.argv[3] ?? process.env.COUNT ?? 1);
const intervalMs = Number(process.argv[4] ?? process.env.INTERVAL_S ?? 10) * 1000;

let answers = 0, failures = 0, open = 0;
const stop = new AbortController();

const handler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_SNTP_TIME) {
    answers++;
    console.log(`time ${new Date(data).toISOString()} offset ${data - Date.now()} ms`);
    conn.close(); // one answer per connection (closing twice is harmless)
  } else if (ev === MG_EV_ERROR) {
    failures++;
    console.error(`error: ${data}`);
    conn.close();
  } else if (ev === MG_EV_CLOSE) {
    // The connection closes after its reply or its timeout.
    open--;
    if (answers + failures >= count && open === 0) stop.abort();
  }
};

const manager = new Manager(handler);
const ask = (): void => { open++; manager.sntpConnect(url, { timeoutMs: 3000 }); };
ask();
let sent = 1;
const timer = manager.timerAdd(intervalMs, () => {
  if (sent < count) { sent++; ask(); } else timer.cancel();
}, { repeat: true });
await manager.run({ signal: stop.signal });
process.exitCode = failures > 0 || answers === 0 ? 1 : 0;
