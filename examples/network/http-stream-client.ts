// HTTP streaming client: prints each piece of a chunked response as it arrives,
// instead of waiting for the whole body (MG_EV_HTTP_MSG). The connection is raw TCP
// so that the handler sees every MG_EV_READ; the chunk framing (RFC 9112 section 7.1)
// is taken apart here.
//
// Users write:  import { Manager, MG_EV_CONNECT, MG_EV_READ, urlHost, urlPort, urlUri, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/network/http-stream-client.js [http://127.0.0.1:8000/stream]
//       (or URL=...; e.g. against examples/http/chunked.js)
import {
  Manager, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_READ, urlHost, urlPort, urlUri, type EventHandler,
} from "../../src/index.js";

const url = process.argv[2] ?? process.env.URL ?? "http://127.0.0.1:8000/stream";
const host = urlHost(url), port = urlPort(url);

let head = true;        // still reading the response head
let chunkLeft = -1;     // bytes of the current chunk still to come; -1: a size line is next
let failed = false, ended = false;
const stop = new AbortController();

/** Takes what it can from the receive buffer; false when more bytes are needed. */
function step(conn: Parameters<EventHandler>[0]): boolean {
  const buf = conn.recvData();
  if (head) {
    const end = buf.indexOf("\r\n\r\n");
    if (end < 0) return false;
    const h = buf.toString("latin1", 0, end);
    console.log(`status ${h.slice(9, 12)}`);
    if (!/\r\ntransfer-encoding:[^\r]*chunked/i.test(h)) { console.error("not a chunked response"); failed = true; conn.close(); return false; }
    head = false;
    conn.recvConsume(end + 4);
    return true;
  }
  if (chunkLeft < 0) {
    const eol = buf.indexOf("\r\n");
    if (eol < 0) return false;
    // chunk-size [ chunk-ext ] CRLF; the size is hex.
    const size = parseInt(buf.toString("latin1", 0, eol).split(";")[0]!, 16);
    if (!Number.isSafeInteger(size)) { console.error("bad chunk size"); failed = true; conn.close(); return false; }
    conn.recvConsume(eol + 2);
    if (size === 0) { ended = true; console.log("end of stream"); conn.close(); return false; }
    chunkLeft = size;
    return true;
  }
  if (chunkLeft > 0) {
    // Print what there is of the chunk now.
    const n = Math.min(chunkLeft, buf.length);
    if (n === 0) return false;
    console.log(`chunk: ${buf.toString("utf8", 0, n)}`);
    chunkLeft -= n;
    conn.recvConsume(n);
    return true;
  }
  if (buf.length < 2) return false; // the CRLF after the chunk data
  conn.recvConsume(2);
  chunkLeft = -1;
  return true;
}

const handler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_CONNECT) {
    conn.send(`GET ${urlUri(url)} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`);
  } else if (ev === MG_EV_READ) {
    while (step(conn)) { /* next piece */ }
  } else if (ev === MG_EV_ERROR) {
    failed = true;
    console.error(`error: ${data}`);
  } else if (ev === MG_EV_CLOSE) {
    stop.abort();
  }
};

const manager = new Manager(handler);
manager.connect(`tcp://${host}:${port}`);
await manager.run({ signal: stop.signal });
process.exitCode = failed || !ended ? 1 : 0;
