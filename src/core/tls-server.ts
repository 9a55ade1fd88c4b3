// Server side of TLS: an accepted socket (still paused, never read in clear) is handed to
// a cached tls.Server, which runs the handshake with SNI, ALPN and client-certificate
// checks; the connection then reads and writes through the TLSSocket.
import type * as net from "node:net";
import type * as tls from "node:tls";
import type { CoreConnection as Connection } from "./connection.js";
import type { TlsOpts } from "../tls/options.js";
import { serverFor, type ServerEvents } from "../tls/context.js";
import { describeTlsError, describeVerifyError } from "../tls/errors.js";

// Accepted sockets whose handshake runs, by the raw socket the TLSSocket wraps.
const owners = new WeakMap<net.Socket, Connection>();

function ownerOf(s: tls.TLSSocket): Connection | undefined {
  // tls.Server creates the TLSSocket itself; Node keeps the socket it wraps as `_parent`.
  const raw = (s as unknown as { _parent?: net.Socket })._parent;
  const c = raw === undefined ? undefined : owners.get(raw);
  if (raw !== undefined) owners.delete(raw);
  return c;
}

const events: ServerEvents = {
  secure(s) {
    const c = ownerOf(s);
    if (c === undefined || c._closed) { s.destroy(); return; }
    s.allowHalfOpen = true;
    c._socket = s;
    c.manager._attachSocket(c, s);
    c.manager._tlsReady(c);
  },
  failed(err, s) {
    const c = ownerOf(s);
    if (c === undefined || c._closed) return;
    // A client certificate that failed verification ends as a plain close; say why.
    const authErr = s.authorizationError as unknown;
    const why = typeof authErr === "string" && authErr !== ""
      ? describeVerifyError(authErr, "server")
      : describeTlsError(err, "server");
    c.manager._tlsFailed(c, `TLS handshake failed: ${why}`);
  },
};

/**
 * Checks server options (and builds their secure context) ahead of time. Throws an
 * Error naming what is wrong with the certificate, key or CA.
 */
export function prepareTlsServer(opts: TlsOpts, alpn: readonly string[] | undefined): void {
  serverFor(opts, alpn, events);
}

/** Starts the server handshake on an accepted connection whose socket has not been read yet. */
export function startTlsServer(c: Connection, opts: TlsOpts | undefined): void {
  const raw = c._socket;
  if (raw === undefined || c._closed || c.isTls || c._tlsPending) return;
  c._tlsPending = true; // from here on nothing queued is written until the handshake is done
  if (opts === undefined) {
    c.manager._tlsFailed(c, "TLS: this listener's scheme asks for TLS but it has no certificate: " +
      "pass { tls: { cert, key } } to listen(), or call conn.tlsInit({ cert, key }) on MG_EV_ACCEPT");
    return;
  }
  let srv: tls.Server;
  try {
    srv = serverFor(opts, c._alpn, events);
  } catch (e) {
    c.manager._tlsFailed(c, (e as Error).message);
    return;
  }
  owners.set(raw, c);
  // The TLS socket inherits this: a peer that half-closes mid-handshake must end it, not
  // leave it waiting for the timeout. Half-open is allowed again once the handshake is done.
  raw.allowHalfOpen = false;
  srv.emit("connection", raw);
}
