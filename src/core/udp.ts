// UDP sockets of connections. A listener receives from anyone and answers the sender of
// the datagram being handled; a client is connected to one peer. Each datagram is one
// MG_EV_READ, during which the receive buffer holds exactly that datagram.
//
// Zero-length datagrams are datagrams (RFC 768 allows them; some protocols use them as
// keep-alives or probes): one received is an MG_EV_READ with `data` 0 and an empty
// receive buffer (remoteAddr is its sender, so a listener can answer it), and
// `send("")` sends one. Mongoose differs: its socket code takes a 0-byte recvfrom() or
// sendto() for an error and closes the connection.
import * as dgram from "node:dgram";
import type { CoreConnection as Connection, CoreHost as Manager } from "./connection.js";
import { toAddr, errMessage } from "./addr.js";
import { bindUdp } from "./bind.js";
import { logLevel, logTraffic, MG_LL_VERBOSE } from "../util/log.js";

/** Binds `c` as a UDP listener (synchronously: throws on failure). */
export function bindUdpConn(mgr: Manager, c: Connection, host: string, port: number): void {
  const sock = bindUdp(host, port);
  c._udp = sock;
  attachUdp(mgr, c, sock);
  const a = sock.address();
  c.localAddr = toAddr(a.address, a.port, a.family);
}

/** Connects `c` to one peer; MG_EV_CONNECT follows. */
export function connectUdp(mgr: Manager, c: Connection, ip: string, port: number, family: number): void {
  const sock = dgram.createSocket(family === 6 ? "udp6" : "udp4");
  c._udp = sock;
  c._udpConnected = true;
  attachUdp(mgr, c, sock);
  sock.connect(port, ip, () => {
    const a = sock.address();
    c.localAddr = toAddr(a.address, a.port, a.family);
    c._evConnect = true;
    mgr._markDirty(c);
  });
}

function attachUdp(mgr: Manager, c: Connection, sock: dgram.Socket): void {
  sock.on("message", (msg, rinfo) => {
    // msg may be empty: it is queued like any other datagram (see the top of this file).
    if (c._closed) return;
    if (logLevel >= MG_LL_VERBOSE) logTraffic(c.id, "<-", msg, `${rinfo.address}:${rinfo.port}`);
    c._datagrams.push({ data: msg, from: toAddr(rinfo.address, rinfo.port, rinfo.family) });
    mgr._markDirty(c);
  });
  sock.on("error", (e) => mgr._onError(c, errMessage("udp", e), "ERR_SOCKET"));
  sock.on("close", () => mgr._onClosed(c));
}

/** Sends one datagram (possibly empty) to the connection's peer (the last sender, for a listener). */
export function sendDatagram(mgr: Manager, c: Connection, buf: Buffer): boolean {
  const sock = c._udp!;
  if (logLevel >= MG_LL_VERBOSE) logTraffic(c.id, "->", buf, `${c.remoteAddr.ip}:${c.remoteAddr.port}`);
  try {
    if (c._udpConnected) {
      if (!c._established) { c._out.push(buf); c._outBytes += buf.length; return true; }
      sock.send(buf);
    } else {
      if (!c.remoteAddr.port) return false;
      sock.send(buf, c.remoteAddr.port, c.remoteAddr.ip);
    }
    c._evWrite += buf.length;
    mgr._markDirty(c);
    return true;
  } catch (e) {
    mgr._onError(c, errMessage("udp send", e), "ERR_SOCKET");
    return false;
  }
}
