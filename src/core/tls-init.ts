// TLS for connections: conn.tlsInit()/tlsFree() and the hooks the core calls. The work
// is Node's `tls` module (OpenSSL); this layer decides when to start it and reports.
import type { CoreConnection as Connection } from "./connection.js";
import type { TlsOpts } from "../tls/options.js";
import { startTlsClient } from "./tls-client.js";
import { startTlsServer, prepareTlsServer } from "./tls-server.js";
import { describeTlsSocketError } from "../tls/errors.js";
import { MgError, typeError } from "../util/errors.js";

export { startTlsClient, startTlsServer, prepareTlsServer };

/** The message for an error on an established TLS connection; undefined when it is not about TLS. */
export function tlsSocketError(c: Connection, err: unknown): string | undefined {
  return describeTlsSocketError(err, c.isClient ? "client" : "server");
}

/**
 * Starts TLS on a connection, as Mongoose's mg_tls_init():
 * - accepted connection, on MG_EV_ACCEPT (or MG_EV_OPEN): the handshake starts before
 *   anything is read;
 * - client, on MG_EV_CONNECT (or later, STARTTLS-style): the handshake starts now, and
 *   what is sent afterwards goes out encrypted once it completes; before the connection
 *   is established (MG_EV_OPEN, MG_EV_RESOLVE) the options are kept for it;
 * - listener: every connection it accepts from now on uses these options.
 * Calling it again on a connection that already started TLS does nothing.
 */
export function tlsInit(c: Connection, opts: TlsOpts): void {
  if (opts === null || typeof opts !== "object") throw typeError("tlsInit: expected TlsOpts ({ ca?, cert?, key?, name?, skipVerification? })");
  if (c.isTls || c._tlsPending || c._closed) return;
  if (c.isUdp) throw new MgError("ERR_INVALID_ARG", "tlsInit: TLS over UDP (DTLS) is not supported");
  if (c.isListening) { c._opts = { ...c._opts, tls: opts }; return; }
  if (c.isClient) {
    const sock = c._socket;
    if (c._established && sock !== undefined && !sock.connecting) startTlsClient(c, opts, c._host);
    else c._tlsOpts = opts; // the core starts it once connected
    return;
  }
  if (!c._established) { c._tlsOpts = opts; return; } // the core starts it after MG_EV_ACCEPT
  c.error("tlsInit: on a server connection, call it on MG_EV_ACCEPT, before anything is read");
}

/** Forgets the TLS settings of a connection that has not started TLS yet. */
export function tlsFree(c: Connection): void {
  if (!c._tlsPending && !c.isTls) c._tlsOpts = undefined;
}

/**
 * Called by the core after MG_EV_CONNECT: a client whose URL asks for TLS (https://,
 * wss://, mqtts://, tls://) or that was given options earlier, and on which the handler did
 * not start TLS itself, starts it now, before anything the handler queued is written.
 */
export function tlsAfterConnect(c: Connection): void {
  if (c.isTls || c._tlsPending || c._closed || c.isUdp) return;
  if (c._tlsOpts !== undefined || c._tlsScheme) startTlsClient(c, c._tlsOpts ?? c._opts.tls ?? {}, c._host);
}
