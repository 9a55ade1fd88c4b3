// HTTP proxy client: asks an HTTP proxy for a tunnel with CONNECT (RFC 9110 section
// 9.3.6), then sends a GET through the tunnel and prints the response.
//
// Users write:  import { Manager, MG_EV_CONNECT, MG_EV_READ, urlHost, urlPort, urlUri, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/network/http-proxy-client.js PROXY_URL TARGET_URL
//       e.g. http://127.0.0.1:3128 http://example.com/   (or PROXY=..., URL=...)
import {
  Manager, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_READ, urlHost, urlPort, urlUri, type EventHandler,
} from "../../src/index.js";

const proxy = process.argv[2] ?? process.env.PROXY ?? "http://127.0.0.1:3128";
const target = process.argv[3] ?? process.env.URL ?? "http://example.com/";
const authority = `${urlHost(target)}:${urlPort(target)}`;

let tunnel = false, failed = false;
const response: Buffer[] = [];
const stop = new AbortController();

const handler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_CONNECT) {
    // Connected to the proxy: ask it for a tunnel to the target.
    conn.send(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  } else if (ev === MG_EV_READ && !tunnel) {
    const buf = conn.recvData();
    const end = buf.indexOf("\r\n\r\n");
    if (end < 0) return; // the proxy's answer is not complete yet
    const status = buf.toString("latin1", 9, 12);
    console.log(`proxy answered ${buf.toString("latin1", 0, buf.indexOf("\r\n"))}`);
    conn.recvConsume(end + 4);
    if (status[0] !== "2") { failed = true; conn.close(); return; }
    // From here on the bytes go to the target as they are.
    tunnel = true;
    conn.send(`GET ${urlUri(target)} HTTP/1.1\r\nHost: ${authority}\r\nConnection: close\r\n\r\n`);
  } else if (ev === MG_EV_READ) {
    response.push(Buffer.from(conn.recvData()));
    conn.recvConsume();
  } else if (ev === MG_EV_ERROR) {
    failed = true;
    console.error(`error: ${data}`);
  } else if (ev === MG_EV_CLOSE) {
    // The target closes after its response (Connection: close).
    if (tunnel) process.stdout.write(Buffer.concat(response).toString("utf8") + "\n");
    stop.abort();
  }
};

const manager = new Manager(handler);
manager.connect(`tcp://${urlHost(proxy)}:${urlPort(proxy)}`);
await manager.run({ signal: stop.signal });
process.exitCode = failed || !tunnel || response.length === 0 ? 1 : 0;
