// Options of the WebSocket layer, checked where they are given (listen with ws:// or
// http://, wsConnect).
import { createWsState, type WsOptions } from "./state.js";
import { deflateOptions } from "./deflate.js";
import { MgError, optionError } from "../util/errors.js";
import { isToken } from "./handshake.js";

export type { WsOptions };

/** Throws an MgError (ERR_INVALID_OPTION) naming the first bad WebSocket option of `o`. */
export function checkWsOptions(o: WsOptions): void {
  createWsState(o, true);
  try { deflateOptions(o.wsDeflate); } catch (e) {
    if (e instanceof MgError) throw e;
    throw new MgError("ERR_INVALID_OPTION", `option wsDeflate: ${(e as Error).message}`);
  }
  const p: unknown = o.wsProtocols;
  if (p !== undefined && typeof p !== "function") {
    if (!Array.isArray(p) || !p.every((x) => typeof x === "string" && isToken(x))) {
      throw optionError("wsProtocols", "an array of subprotocol names (tokens) or a function", p);
    }
  }
}
