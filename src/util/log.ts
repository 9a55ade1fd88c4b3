// Logging in Mongoose's levels. Messages go to stderr.
import { MgError } from "./errors.js";
export const MG_LL_NONE = 0;
export const MG_LL_ERROR = 1;
export const MG_LL_INFO = 2;
export const MG_LL_DEBUG = 3;
export const MG_LL_VERBOSE = 4;

let level = MG_LL_ERROR;

/** Sets the log level (MG_LL_NONE .. MG_LL_VERBOSE). */
export function logSet(l: number): void {
  if (!Number.isInteger(l) || l < MG_LL_NONE || l > MG_LL_VERBOSE) throw new MgError("ERR_INVALID_ARG", `logSet: level must be ${MG_LL_NONE}..${MG_LL_VERBOSE}, got ${l}`);
  level = l;
}
/** The current log level. */
export function logGet(): number { return level; }

function emit(l: number, tag: string, args: unknown[]): void {
  if (level < l) return;
  const text = args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : typeof a === "string" ? a : String(a))).join(" ");
  process.stderr.write(`${new Date().toISOString()} ${tag} ${text}\n`);
}
export function logError(...args: unknown[]): void { emit(MG_LL_ERROR, "E", args); }
export function logInfo(...args: unknown[]): void { emit(MG_LL_INFO, "I", args); }
export function logDebug(...args: unknown[]): void { emit(MG_LL_DEBUG, "D", args); }
export function logVerbose(...args: unknown[]): void { emit(MG_LL_VERBOSE, "V", args); }
