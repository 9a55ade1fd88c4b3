// Client side of TLS: the connected socket is wrapped with tls.connect(). Until the
// handshake and the certificate checks pass, the connection's queued data stays queued
// (`_tlsPending`), so nothing is ever sent in clear or to an unverified server.
import * as net from "node:net";
import * as tls from "node:tls";
import type { CoreConnection as Connection } from "./connection.js";
import type { TlsOpts } from "../tls/options.js";
import { alpnFor, clientContextFor, handshakeTimeout } from "../tls/context.js";
import { describeTlsError, describeVerifyError } from "../tls/errors.js";

/** Starts the client handshake on a connected socket. `host` is the URL's host, the default name. */
export function startTlsClient(c: Connection, opts: TlsOpts, host: string): void {
  const raw = c._socket;
  if (raw === undefined || c._closed || c.isTls || c._tlsPending) return;
  c._tlsPending = true;
  const name = opts.name ?? host;
  let ctx: tls.SecureContext;
  let timeoutMs: number;
  try {
    ctx = clientContextFor(opts);
    timeoutMs = handshakeTimeout(opts);
  } catch (e) {
    c.manager._tlsFailed(c, `TLS: the CA, certificate or key cannot be used: ${(e as Error).message}`);
    return;
  }
  const sock = tls.connect({
    socket: raw,
    secureContext: ctx,
    // RFC 6066 §3: SNI carries host names only, never IP addresses.
    servername: name !== "" && net.isIP(name) === 0 ? name : undefined,
    host: name,
    // Verification is decided below, from Node's verdict, so the error can name the certificate.
    rejectUnauthorized: false,
    ALPNProtocols: alpnFor(opts, c._alpn),
  });
  // From now on the connection reads and writes through the TLS socket only.
  c._socket = sock;
  let done = false;
  const finish = (): void => {
    done = true;
    clearTimeout(timer);
    sock.off("secureConnect", onSecure);
    sock.off("error", onError);
    sock.off("close", onClose);
    sock.off("end", onClose);
  };
  const fail = (why: string): void => {
    if (done) return;
    finish();
    sock.on("error", () => { /* already reported */ });
    if (!c._closed) c.manager._tlsFailed(c, `TLS handshake failed: ${why}`);
    sock.destroy();
    raw.destroy();
  };
  const onSecure = (): void => {
    if (done) return;
    if (opts.skipVerification !== true && !sock.authorized) {
      const ae = sock.authorizationError as unknown;
      const code = typeof ae === "string" ? ae : ae instanceof Error ? ((ae as NodeJS.ErrnoException).code ?? ae.message) : "UNKNOWN";
      fail(describeVerifyError(code, "client", sock.getPeerCertificate(), name));
      return;
    }
    finish();
    if (c._closed) { sock.destroy(); return; }
    c.manager._attachSocket(c, sock);
    c.manager._tlsReady(c);
  };
  const onError = (e: Error): void => fail(describeTlsError(e, "client", name));
  const onClose = (): void => fail("the server closed the connection during the TLS handshake");
  const timer = setTimeout(() => fail(`no TLS handshake within ${timeoutMs} ms`), timeoutMs);
  timer.unref();
  sock.on("secureConnect", onSecure);
  sock.on("error", onError);
  sock.on("close", onClose);
  sock.on("end", onClose); // a half-close mid-handshake would otherwise wait for the timeout
}
