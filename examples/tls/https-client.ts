// The HTTP guide's "HTTPS Client": TLS started with conn.tlsInit({ ca, name }) on
// MG_EV_CONNECT; the request sent right after it goes out encrypted once the handshake
// completes.
//
// Users write:  import { Manager, MG_EV_CONNECT, MG_EV_HTTP_MSG, MG_EV_ERROR, MG_EV_CLOSE, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/tls/https-client.js [url] [ca-file] [name]
//       default url https://localhost:8443/, ca-file custom-ca.crt (the system's CAs are
//       used when the file does not exist), name: the URL's host.
// Try:  with https-server.js running in the same directory:
//       node dist/examples/tls/https-client.js https://localhost:8443/ server.crt
import { existsSync, readFileSync } from "node:fs";
import {
  Manager, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_TLS_HS, urlHost, urlUri,
  type EventHandler, type TlsOpts,
} from "../../src/index.js";

const url = process.argv[2] ?? process.env.URL ?? "https://localhost:8443/";
const caFile = process.argv[3] ?? process.env.CA_FILE ?? "custom-ca.crt";
const name = process.argv[4] ?? urlHost(url);

// Client with custom CA
const ca = existsSync(caFile) ? readFileSync(caFile) : undefined;

let done = false;
let failed = false;

const clientHandler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_CONNECT) {
    // Initialize TLS
    const opts: TlsOpts = ca ? { ca, name } : { name };
    conn.tlsInit(opts);

    // Send request after TLS handshake
    conn.send(`GET ${urlUri(url)} HTTP/1.1\r\nHost: ${name}\r\n\r\n`);
  } else if (ev === MG_EV_TLS_HS) {
    console.log(`TLS handshake done with ${name}`);
  } else if (ev === MG_EV_HTTP_MSG) {
    console.log(`Response: ${data.bodyText}`);
    conn.close();
  } else if (ev === MG_EV_ERROR) {
    console.error(`Error: ${data}`);
    failed = true;
  } else if (ev === MG_EV_CLOSE) {
    done = true;
  }
};

const manager = new Manager(clientHandler);
manager.connect(url, { http: true });
while (!done) await manager.poll(100);
await manager.close();
process.exitCode = failed ? 1 : 0;
