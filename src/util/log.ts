// Logging in Mongoose's levels: errors by default, a connection trace at MG_LL_DEBUG
// (accept, connect, resolve, TLS, close, protocol errors), and a hexdump of the traffic
// at MG_LL_VERBOSE. Lines go to a sink, stderr unless logSet() is given another.
//
// Cost when off: callers on hot paths test the live binding `logLevel` before they
// build a message (`if (logLevel >= MG_LL_DEBUG) logDebug(...)`), so a disabled level
// costs one comparison.
import { MgError } from "./errors.js";
/** Log level: nothing at all. */
export const MG_LL_NONE = 0;
/** Log level: errors only (the default). */
export const MG_LL_ERROR = 1;
/** Log level: errors and informational lines. */
export const MG_LL_INFO = 2;
/** Log level: also a connection trace (accept, connect, resolve, TLS handshake, close with reason, protocol errors). */
export const MG_LL_DEBUG = 3;
/** Log level: also a hexdump of every byte sent and received. */
export const MG_LL_VERBOSE = 4;

/** Receives each log line: its level (MG_LL_ERROR..MG_LL_VERBOSE) and text (no newline). */
export type LogSink = (level: number, message: string) => void;

const TAGS = ["-", "E", "I", "D", "V"];
const NAMES: Record<string, number> = { none: MG_LL_NONE, error: MG_LL_ERROR, info: MG_LL_INFO, debug: MG_LL_DEBUG, verbose: MG_LL_VERBOSE };

/** The default sink: `time level message` on stderr. */
export const logStderr: LogSink = (l, message) => {
  process.stderr.write(`${new Date().toISOString()} ${TAGS[l] ?? "?"} ${message}\n`);
};

/**
 * The level from the environment: TSMONGOOSE_LOG=none|error|info|debug|verbose (or
 * 0..4), else DEBUG listing `tsmongoose` (as the `debug` package reads it) for debug.
 */
export function levelFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const v = env["TSMONGOOSE_LOG"]?.trim().toLowerCase();
  if (v) {
    const l = /^[0-4]$/.test(v) ? Number(v) : NAMES[v];
    if (l !== undefined) return l;
    process.stderr.write(`tsmongoose: ignoring TSMONGOOSE_LOG=${v} (use none, error, info, debug or verbose)\n`);
  }
  if (env["DEBUG"]?.split(/[\s,]+/).some((p) => p === "tsmongoose" || p === "tsmongoose:*" || p === "*")) return MG_LL_DEBUG;
  return undefined;
}

/** The current level; read it (it is a live binding) to skip building a message. */
export let logLevel: number = levelFromEnv(process.env) ?? MG_LL_ERROR;
let currentSink: LogSink = logStderr;

/**
 * Sets the log level (MG_LL_NONE .. MG_LL_VERBOSE) and, when given, where lines go
 * (`logStderr` is the default). The sink stays until another is given.
 */
export function logSet(level: number, sink?: LogSink): void {
  if (!Number.isInteger(level) || level < MG_LL_NONE || level > MG_LL_VERBOSE) throw new MgError("ERR_INVALID_ARG", `logSet: level must be ${MG_LL_NONE}..${MG_LL_VERBOSE}, got ${level}`);
  if (sink !== undefined && typeof sink !== "function") throw new MgError("ERR_INVALID_ARG", "logSet: sink must be a function (level, message) => void");
  logLevel = level;
  if (sink !== undefined) currentSink = sink;
}
/** The current log level. */
export function logGet(): number { return logLevel; }

function emit(l: number, args: unknown[]): void {
  if (logLevel < l) return;
  const text = args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : typeof a === "string" ? a : String(a))).join(" ");
  try { currentSink(l, text); } catch { /* a failing sink must not break the loop */ }
}
export function logError(...args: unknown[]): void { emit(MG_LL_ERROR, args); }
export function logInfo(...args: unknown[]): void { emit(MG_LL_INFO, args); }
export function logDebug(...args: unknown[]): void { emit(MG_LL_DEBUG, args); }
export function logVerbose(...args: unknown[]): void { emit(MG_LL_VERBOSE, args); }

const HEX = "0123456789abcdef";

/**
 * Mongoose-style hexdump, 16 bytes a line: offset, hex bytes, printable ASCII.
 *   0000  47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a  GET / HTTP/1.1..
 */
export function hexdump(buf: Uint8Array): string {
  const lines: string[] = [];
  for (let off = 0; off < buf.length; off += 16) {
    let hex = "";
    let ascii = "";
    for (let i = 0; i < 16; i++) {
      if (off + i < buf.length) {
        const b = buf[off + i]!;
        hex += HEX[b >> 4]! + HEX[b & 15]! + " ";
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
      } else {
        hex += "   ";
      }
    }
    lines.push(`${off.toString(16).padStart(4, "0")}  ${hex} ${ascii}`);
  }
  return lines.join("\n");
}

/**
 * Logs traffic at MG_LL_VERBOSE: a header line (connection id, direction, size) and the
 * hexdump. Callers test `logLevel >= MG_LL_VERBOSE` first.
 */
export function logTraffic(connId: number, dir: "<-" | "->", data: Uint8Array, peer?: string): void {
  if (logLevel < MG_LL_VERBOSE) return;
  emit(MG_LL_VERBOSE, [`conn ${connId} ${dir} ${data.length} bytes${peer ? (dir === "<-" ? " from " : " to ") + peer : ""}\n${hexdump(data)}`]);
}
