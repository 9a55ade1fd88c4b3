// DNS client: resolves host names with conn.resolve() and prints each address, as
// cymongoose's dns_client example does. Names go to the system resolver, or, with
// --server udp://IP:port, to that server through the library's own DNS client (the
// Manager's `dnsServer` option, Mongoose's built-in resolver).
//
// Users write:  import { Manager, MG_EV_RESOLVE, MG_EV_ERROR, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/network/dns-client.js [--server udp://127.0.0.1:53] [name ...]
//       (or DNS_SERVER=udp://...; default name: localhost). Exit code 1 when a name
//       did not resolve.
import { parseArgs } from "node:util";
import { Manager, MG_EV_CLOSE, MG_EV_ERROR, MG_EV_RESOLVE, type EventHandler } from "../../src/index.js";

const { values, positionals } = parseArgs({ options: { server: { type: "string" } }, allowPositionals: true });
const server = values.server ?? process.env.DNS_SERVER;
const names = positionals.length > 0 ? positionals : ["localhost"];

let failures = 0, open = 0;
const stop = new AbortController();

const handler: EventHandler = (conn, ev, data) => {
  const name = conn.userdata as string;
  if (ev === MG_EV_RESOLVE) {
    // remoteAddr is the answer; its port is the URL's (0 for a bare name).
    console.log(`${name} -> ${conn.remoteAddr.ip}${conn.remoteAddr.isIp6 ? " (IPv6)" : ""}`);
    conn.close();
  } else if (ev === MG_EV_ERROR) {
    failures++;
    console.error(`error: ${name}: ${data}`); // the connection closes after an error
  } else if (ev === MG_EV_CLOSE) {
    if (--open === 0) stop.abort();
  }
};

const manager = new Manager(handler, server === undefined ? {} : { dnsServer: server });
for (const name of names) {
  // resolve() needs a connection to report to. A UDP socket on loopback is a cheap one:
  // resolve() on a listener only looks the name up and sets remoteAddr (it never
  // connects), and each lookup gets its own connection because an error closes it.
  const conn = manager.listen("udp://127.0.0.1:0");
  conn.userdata = name;
  open++;
  conn.resolve(name);
}
await manager.run({ signal: stop.signal });
process.exitCode = failures > 0 ? 1 : 0;
