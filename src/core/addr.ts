// Socket addresses as connections report them, and socket errors as messages.

/** A socket address, as `conn.localAddr` and `conn.remoteAddr` give it (`ip` empty and `port` 0 while unknown). */
export interface Addr {
  /** The IP address as text, IPv6 without brackets (`"127.0.0.1"`, `"::1"`). */
  ip: string;
  /** The port number. */
  port: number;
  /** `ip` is an IPv6 address. */
  isIp6: boolean;
}

export function toAddr(ip: string | undefined, port: number | undefined, family?: string | number): Addr {
  const isIp6 = family === "IPv6" || family === 6 || (ip !== undefined && ip.includes(":"));
  return { ip: ip ?? "", port: port ?? 0, isIp6 };
}

/** "where: message" for an error from Node. */
export function errMessage(where: string, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return `${where}: ${err && err.message ? err.message : String(e)}`;
}
