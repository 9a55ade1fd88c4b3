// The HTTP guide's "HTTPS Server": TLS started on every accepted connection with
// conn.tlsInit({ cert, key }) on MG_EV_ACCEPT, then ordinary HTTP handling.
//
// Users write:  import { Manager, MG_EV_ACCEPT, MG_EV_HTTP_MSG, selfSignedCert, type EventHandler } from "tsmongoose";
//
// Run:  node dist/examples/tls/https-server.js [listen-url]
//       (or LISTEN_URL=...; default https://0.0.0.0:8443)
//       The certificate is CERT_DIR/server.crt and CERT_DIR/server.key (CERT_DIR defaults
//       to the current directory). When they are missing, a self-signed certificate for
//       localhost is generated there, as the guide's command does:
//         openssl req -x509 -newkey rsa:2048 -keyout server.key \
//             -out server.crt -days 365 -nodes -subj "/CN=localhost" \
//             -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
// Try:  curl --cacert server.crt https://localhost:8443/
import { Manager, MG_EV_ACCEPT, MG_EV_HTTP_MSG, MG_EV_ERROR, selfSignedCert, type EventHandler } from "../../src/index.js";

const listenUrl = process.argv[2] ?? process.env.LISTEN_URL ?? "https://0.0.0.0:8443";
const certDir = process.env.CERT_DIR ?? ".";

// Load certificates (generated on first run)
const { cert, key, certFile, created } = selfSignedCert({ dir: certDir });
if (created) console.log(`generated a self-signed certificate: ${certFile}`);

const handler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_ACCEPT) {
    // Initialize TLS on new connections
    conn.tlsInit({ cert, key });
  } else if (ev === MG_EV_HTTP_MSG) {
    conn.reply(200, "Secure Hello!");
    conn.drain();
  } else if (ev === MG_EV_ERROR) {
    // Failed handshakes land here with the reason (unknown CA, plain HTTP, ...).
    console.error(`connection ${conn.id}: ${data}`);
  }
};

const manager = new Manager(handler);
const listener = manager.listen(listenUrl, { http: true });
console.log(`listening on https://${listener.localAddr.ip}:${listener.localAddr.port}`);

// Ctrl-C (SIGINT) or SIGTERM ends the loop and closes gracefully.
await manager.run();
