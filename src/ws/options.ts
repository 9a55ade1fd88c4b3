// Options of the WebSocket layer, checked where they are given (listen with ws:// or
// http://, wsConnect).
import { createWsState, type WsOptions } from "./state.js";
import { deflateOptions } from "./deflate.js";
import { MgError } from "../util/errors.js";

export type { WsOptions };

/** Throws an MgError (ERR_INVALID_OPTION) naming the first bad WebSocket option of `o`. */
export function checkWsOptions(o: WsOptions): void {
  createWsState(o, true);
  try { deflateOptions(o.wsDeflate); } catch (e) {
    if (e instanceof MgError) throw e;
    throw new MgError("ERR_INVALID_OPTION", `option wsDeflate: ${(e as Error).message}`);
  }
}
