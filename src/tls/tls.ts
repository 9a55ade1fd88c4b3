// TLS layer. (Being written.)
import type { Connection } from "../core/connection.js";
import type { TlsOpts } from "./options.js";

export function tlsInit(_c: Connection, _opts: TlsOpts): void { throw new Error("tlsInit: not implemented yet"); }
export function tlsFree(c: Connection): void { c._tlsOpts = undefined; }
export function startTlsServer(c: Connection, _opts: TlsOpts): void { c.error("TLS: not implemented yet"); }
export function startTlsClient(c: Connection, _opts: TlsOpts, _host: string): void { c.error("TLS: not implemented yet"); }
