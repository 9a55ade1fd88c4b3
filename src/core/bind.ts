// Synchronous binding. Node's net.Server.listen() and dgram's bind() finish on a later
// tick, but listen() must throw when the address cannot be bound and must know the real
// port (for port 0) when it returns. TCP: bind and listen a libuv handle ourselves, then
// give it to net.Server.listen(handle). UDP: a lookup function that answers at once
// makes dgram bind synchronously.
//
// Why an internal binding: net.Server.listen(port, host) binds on a later tick (it goes
// through dns.lookup(), which answers even an IP literal on a later tick), and Node has
// no public synchronous bind for TCP. So the contract of listen() (throws on a bind failure; port 0's real port
// known when it returns) needs the libuv handle from process.binding("tcp_wrap"), which
// Node flags as DEP0111 under --pending-deprecation. The warning is left as it is: it
// tells the truth, and silencing it would hide it from users' other code too.
//
// The asynchronous path (Node's own listen) is taken when that is impossible or wrong:
//  - in a `cluster` worker: net.Server.listen(port) asks the primary for the listening
//    socket, which is how the workers share one port. A handle bound here would be the
//    worker's alone (the second worker would get EADDRINUSE);
//  - when the host is a name (other than localhost): it must be looked up first;
//  - when process.binding("tcp_wrap") is unavailable or throws (a Node or a runtime
//    without it).
// Then listen() returns at once with localAddr.port as given (0 for port 0) and the
// real port is set once the bind is done (a few event-loop turns later, so normally by
// the end of the first poll), and a
// failure to bind comes as MG_EV_ERROR (lastError.code ERR_BIND), then MG_EV_CLOSE,
// instead of a throw. README "Why listen() uses tcp_wrap" tells users the same.
import cluster from "node:cluster";
import * as net from "node:net";
import * as dgram from "node:dgram";
import * as util from "node:util";
import { MgError } from "../util/errors.js";

interface TcpHandle {
  bind(ip: string, port: number): number;
  bind6(ip: string, port: number, flags: number): number;
  listen(backlog: number): number;
  getsockname(out: { address?: string; port?: number; family?: string }): number;
  close(): void;
}
interface TcpWrap { TCP: new (type: number) => TcpHandle; constants: { SERVER: number } }

let tcpWrap: TcpWrap | undefined | null;
function getTcpWrap(): TcpWrap | undefined {
  if (tcpWrapDisabled) return undefined;
  if (tcpWrap === undefined) {
    try {
      tcpWrap = (process as unknown as { binding(n: string): TcpWrap }).binding("tcp_wrap");
    } catch {
      tcpWrap = null;
    }
  }
  return tcpWrap ?? undefined;
}

let tcpWrapDisabled = false;
/**
 * @internal Tests only: `false` makes bindTcp() behave as if process.binding("tcp_wrap")
 * were unavailable (the asynchronous fallback); `true` restores the normal path.
 */
export function setTcpWrapAvailableForTest(available: boolean): void { tcpWrapDisabled = !available; }

function describe(code: number): string {
  const name = util.getSystemErrorName(code);
  const text = util.getSystemErrorMap().get(code)?.[1];
  return text ? `${name} (${text})` : name;
}

/** Host names that mean an address, so binding stays synchronous. */
export function literalHost(host: string): string {
  if (host === "" || host === "*") return "0.0.0.0";
  if (host === "localhost") return "127.0.0.1";
  return host;
}

export interface BoundTcp { handle: object | undefined; address: string; port: number; family: string }

/**
 * Binds and listens on ip:port now. Returns the handle to pass to net.Server.listen().
 * Throws `listen: cannot bind ip:port: EADDRINUSE (address already in use)` on failure.
 * `handle` is undefined when the host is a name, the internal binding is unavailable or
 * this is a cluster worker: then the server binds asynchronously (errors come as
 * MG_EV_ERROR, and port 0's real port once the bind is done).
 */
export function bindTcp(host: string, port: number): BoundTcp {
  const ip = literalHost(host);
  const wrap = cluster.isWorker ? undefined : getTcpWrap();
  if (!wrap || net.isIP(ip) === 0) return { handle: undefined, address: ip, port, family: "IPv4" };
  const h = new wrap.TCP(wrap.constants.SERVER);
  let rc = net.isIPv6(ip) ? h.bind6(ip, port, 0) : h.bind(ip, port);
  if (rc === 0) rc = h.listen(511);
  if (rc !== 0) {
    h.close();
    throw new MgError("ERR_BIND", `listen: cannot bind ${ip.includes(":") ? `[${ip}]` : ip}:${port}: ${describe(rc)}`);
  }
  const out: { address?: string; port?: number; family?: string } = {};
  h.getsockname(out);
  return { handle: h, address: out.address ?? ip, port: out.port ?? port, family: out.family ?? "IPv4" };
}

/** A UDP socket bound now; throws `listen: cannot bind ...` on failure. */
export function bindUdp(host: string, port: number): dgram.Socket {
  const ip = literalHost(host);
  const family = net.isIP(ip);
  if (family === 0) throw new MgError("ERR_INVALID_URL", `listen: UDP needs an IP address to bind, got "${host}"`);
  const lookup = (h: string, o: unknown, cb?: unknown): void => {
    const done = (typeof o === "function" ? o : cb) as (e: null, a: string, f: number) => void;
    done(null, h, family);
  };
  const sock = dgram.createSocket({ type: family === 6 ? "udp6" : "udp4", lookup: lookup as never });
  let failure: Error | undefined;
  const onErr = (e: Error): void => { failure = e; };
  sock.once("error", onErr);
  sock.bind({ port, address: ip, exclusive: true });
  sock.removeListener("error", onErr);
  if (failure) {
    try { sock.close(); } catch { /* never bound */ }
    const code = (failure as NodeJS.ErrnoException).code ?? failure.message;
    throw new MgError("ERR_BIND", `listen: cannot bind udp ${ip}:${port}: ${code}`);
  }
  return sock;
}
