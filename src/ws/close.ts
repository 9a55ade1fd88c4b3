// Close frames (RFC 6455 sections 5.5.1 and 7.4): status codes and the payload.
import { isUtf8 } from "node:buffer";
import type { WsMessage } from "./message.js";
import { MgError } from "../util/errors.js";

/** Close code 1000: normal closure, the purpose of the connection is fulfilled. */
export const WS_CLOSE_NORMAL = 1000;
/** Close code 1001: the endpoint is going away (server shutdown, page left); sent by `manager.close()`. */
export const WS_CLOSE_GOING_AWAY = 1001;
/** Close code 1002: the peer broke the WebSocket protocol. */
export const WS_CLOSE_PROTOCOL_ERROR = 1002;
/** Close code 1003: a data type the endpoint cannot accept (text or binary). */
export const WS_CLOSE_UNSUPPORTED_DATA = 1003;
/** No status code in the close frame (never sent on the wire). */
export const WS_CLOSE_NO_STATUS = 1005;
/** Closed without a close frame (never sent on the wire). */
export const WS_CLOSE_ABNORMAL = 1006;
/** Close code 1007: message data inconsistent with its type (text that is not UTF-8). */
export const WS_CLOSE_INVALID_PAYLOAD = 1007;
/** Close code 1008: a message that violates the endpoint's policy. */
export const WS_CLOSE_POLICY_VIOLATION = 1008;
/** Close code 1009: a message too big to process (over `wsMaxMessageSize`). */
export const WS_CLOSE_MESSAGE_TOO_BIG = 1009;
/** Close code 1010: the client needed an extension the server did not negotiate. */
export const WS_CLOSE_MANDATORY_EXTENSION = 1010;
/** Close code 1011: an unexpected condition on the server (a handler threw). */
export const WS_CLOSE_INTERNAL_ERROR = 1011;

/**
 * Codes that may appear in a close frame: the ones defined by RFC 6455 and the IANA
 * registry (1000-1003, 1007-1014), and 3000-4999 for libraries and applications.
 */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999);
}

/**
 * Checks a received close payload: empty, or a valid code followed by UTF-8 text.
 * Returns undefined when fine, or [closeCode, reason] for the failure.
 */
export function checkClosePayload(p: Buffer): [number, string] | undefined {
  if (p.length === 0) return undefined;
  if (p.length === 1) return [WS_CLOSE_PROTOCOL_ERROR, "close frame with a 1-byte payload"];
  const code = p.readUInt16BE(0);
  if (!isValidCloseCode(code)) return [WS_CLOSE_PROTOCOL_ERROR, `invalid close code ${code}`];
  if (p.length > 2 && !isUtf8(p.subarray(2))) return [WS_CLOSE_INVALID_PAYLOAD, "close reason is not valid UTF-8"];
  return undefined;
}

/** The payload of a close frame: 2-byte code and UTF-8 reason (at most 123 bytes). */
export function closePayload(code: number, reason: string): Buffer {
  if (!Number.isInteger(code) || !isValidCloseCode(code)) throw new MgError("ERR_INVALID_ARG", `wsClose: invalid close code ${code}`);
  const n = Buffer.byteLength(reason);
  if (n > 123) throw new MgError("ERR_INVALID_ARG", `wsClose: reason is ${n} bytes; at most 123 fit in a close frame`);
  const p = Buffer.allocUnsafe(2 + n);
  p.writeUInt16BE(code, 0);
  if (n > 0) p.write(reason, 2, "utf8");
  return p;
}

/** The status code of a received close frame (1005 when it carried none). */
export function wsCloseCode(msg: WsMessage): number {
  return msg.data.length >= 2 ? msg.data.readUInt16BE(0) : WS_CLOSE_NO_STATUS;
}

/** The reason text of a received close frame ("" when none). */
export function wsCloseReason(msg: WsMessage): string {
  return msg.data.length > 2 ? msg.data.toString("utf8", 2) : "";
}
