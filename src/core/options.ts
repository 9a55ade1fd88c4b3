// Options the core itself uses (each protocol layer has its own options.ts); checked
// where they are given.
import type { TlsOpts } from "../tls/options.js";
import { optNonNegativeInt, optPositiveInt } from "../util/check.js";
import { optionError } from "../util/errors.js";

/** Options of every connection, whatever its protocol: part of `listen()`/`connect()`'s options ({@link ConnectionOptions}). */
export interface CoreOptions {
  /** TLS settings: set up TLS without handler code (server: every accepted connection). */
  tls?: TlsOpts;
  /**
   * Most bytes held in the receive buffer before reading from the socket pauses
   * (`isFull`). Default 1 MiB for raw connections; protocol layers raise it to fit
   * their message limits.
   */
  maxRecvSize?: number;
  /**
   * A connection whose send queue makes no progress (nothing handed to the socket is
   * drained to the network) for this long is closed with MG_EV_ERROR (code
   * ERR_TIMEOUT): a peer that stopped reading. Default 60000 ms; 0: never.
   */
  writeTimeoutMs?: number;
}

/** writeTimeoutMs when not given. */
export const DEFAULT_WRITE_TIMEOUT_MS = 60_000;

/** Checks the core's options; throws an MgError (ERR_INVALID_OPTION) naming the option. */
export function checkCoreOptions(o: CoreOptions): void {
  optPositiveInt(o, "maxRecvSize", 1);
  optNonNegativeInt(o, "writeTimeoutMs", DEFAULT_WRITE_TIMEOUT_MS);
  if (o.tls !== undefined && (o.tls === null || typeof o.tls !== "object")) throw optionError("tls", "a TlsOpts object ({ cert, key, ca, name, ... })", o.tls);
}
