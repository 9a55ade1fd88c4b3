// TCP sockets of connections: listeners and accepted sockets, outgoing connects, and the
// wiring of a socket's events into its connection (bytes into the receive buffer,
// everything else as flags that the manager dispatches inside poll()).
import * as net from "node:net";
import type { CoreConnection as Connection, CoreHost as Manager } from "./connection.js";
import { toAddr, errMessage } from "./addr.js";
import { bindTcp } from "./bind.js";
import { acceptOn, type ReadPlace } from "./accept.js";
import { urlHost } from "../util/url.js";
import { startTlsClient, tlsSocketError } from "./tls-init.js";
import { logLevel, logTraffic, MG_LL_VERBOSE } from "../util/log.js";

/** Binds `c` as a TCP listener (synchronously: throws on failure, knows port 0's real port). */
export function listenTcp(mgr: Manager, c: Connection, host: string, port: number): void {
  const bound = bindTcp(host, port);
  // Accepted sockets start paused: nothing is read before MG_EV_ACCEPT's handler had
  // the chance to call tlsInit().
  if (bound.handle) {
    c._server = acceptOn(bound.handle, (sock) => onAccept(mgr, c, sock), (msg) => mgr._onError(c, msg, "ERR_SOCKET"));
    c.localAddr = toAddr(bound.address, bound.port, bound.family);
    return;
  }
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true });
  c._server = server;
  server.on("connection", (sock) => onAccept(mgr, c, sock));
  server.on("error", (e) => { mgr._onError(c, errMessage("listen", e), "ERR_BIND"); mgr._onClosed(c); });
  server.listen(bound.port, bound.address, () => {
    const a = server.address() as net.AddressInfo;
    c.localAddr = toAddr(a.address, a.port, a.family);
  });
  c.localAddr = toAddr(bound.address, bound.port, bound.family);
}

function onAccept(mgr: Manager, lsn: Connection, sock: net.Socket): void {
  if (lsn._closed || lsn.isClosing) { sock.destroy(); return; }
  const c = mgr._newConn(lsn._handler, lsn._opts);
  c._tlsScheme = lsn._tlsScheme;
  c._alpn = lsn._alpn;
  c._socket = sock;
  c.localAddr = toAddr(sock.localAddress, sock.localPort, sock.localFamily);
  c.remoteAddr = toAddr(sock.remoteAddress, sock.remotePort, sock.remoteFamily);
  const f = lsn._layerFactory;
  if (f !== undefined) {
    try { c._layer = f(c); } catch (e) { mgr._reportError(e); sock.destroy(); mgr._onClosed(c); return; }
  }
  sock.setNoDelay(true);
  c._evOpen = true;
  c._evAccept = true;
  mgr._markDirty(c);
}

/** Connects `c` to ip:port; MG_EV_CONNECT follows (after the TLS handshake when asked for). */
export function connectTcp(mgr: Manager, c: Connection, ip: string, port: number, url: string): void {
  const sock = net.connect({ host: ip, port, allowHalfOpen: true, noDelay: true });
  c._socket = sock;
  sock.once("connect", () => {
    c.localAddr = toAddr(sock.localAddress, sock.localPort, sock.localFamily);
    const tlsOpts = c._tlsOpts ?? c._opts.tls;
    if (tlsOpts) { startTlsClient(c, tlsOpts, urlHost(url)); return; }
    c._evConnect = true;
    mgr._markDirty(c);
  });
  attachSocket(mgr, c, sock);
}

/** Reads at least this long are shown to the layer's onArrive(). */
const ARRIVE_MIN = 16 * 1024;

/** Wires a socket's events into the connection. */
export function attachSocket(mgr: Manager, c: Connection, sock: net.Socket): void {
  // `sock !== c._socket`: TLS took the socket over; only the TLS socket speaks for it now.
  const pauseWhenFull = (): void => { if (c._recv.length >= c._maxRecv) { sock.pause(); c._paused = true; } };
  sock.on("data", (chunk: Buffer) => {
    if (c._closed || sock !== c._socket) return;
    if (logLevel >= MG_LL_VERBOSE) logTraffic(c.id, "<-", chunk, `${c.remoteAddr.ip}:${c.remoteAddr.port}`);
    c._recv.append(chunk);
    c._evRead += chunk.length;
    pauseWhenFull();
    // A large read may start a large message: a layer that can tell its size from the
    // bytes alone reserves room for it now, so the reads still to come in this turn of
    // the event loop go straight there rather than being copied out and gathered later.
    if (chunk.length >= ARRIVE_MIN && c._recvFill === undefined) {
      const l = c._layer;
      // (A socket callback: nothing may throw out of it.)
      if (l?.onArrive !== undefined) { try { l.onArrive(c, chunk.length); c._placeRecv(); } catch (e) { mgr._reportError(e); } }
    }
    mgr._markDirty(c);
  });
  // Bytes read straight into a layer's buffer (core/accept.ts placeReads): counted as read.
  sock.on("placed", (n: number, p: ReadPlace) => {
    if (c._closed || sock !== c._socket) return;
    if (p.recv) { c._recvFilled(p, n); pauseWhenFull(); }
    c._evRead += n;
    mgr._markDirty(c);
  });
  sock.on("end", () => { if (sock === c._socket) { c._evEnd = true; mgr._markDirty(c); } });
  sock.on("error", (e) => {
    if (sock !== c._socket) return;
    const tlsMsg = c.isTls ? tlsSocketError(c, e) : undefined;
    const connecting = c.isClient && !c._established;
    mgr._onError(c, tlsMsg ?? errMessage(connecting ? "connect" : "socket", e), tlsMsg !== undefined ? "ERR_TLS" : connecting ? "ERR_CONNECT" : "ERR_SOCKET");
  });
  sock.on("close", () => { if (sock === c._socket) mgr._onClosed(c); });
  sock.on("drain", () => { if (c._onWritable) mgr._markDirty(c); });
}
