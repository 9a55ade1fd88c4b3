// Close frames (RFC 6455 sections 5.5.1 and 7.4): status codes and the payload.
import { isUtf8 } from "node:buffer";
import type { WsMessage } from "./message.js";
import { MgError } from "../util/errors.js";

export const WS_CLOSE_NORMAL = 1000;
export const WS_CLOSE_GOING_AWAY = 1001;
export const WS_CLOSE_PROTOCOL_ERROR = 1002;
export const WS_CLOSE_UNSUPPORTED_DATA = 1003;
/** No status code in the close frame (never sent on the wire). */
export const WS_CLOSE_NO_STATUS = 1005;
/** Closed without a close frame (never sent on the wire). */
export const WS_CLOSE_ABNORMAL = 1006;
export const WS_CLOSE_INVALID_PAYLOAD = 1007;
export const WS_CLOSE_POLICY_VIOLATION = 1008;
export const WS_CLOSE_MESSAGE_TOO_BIG = 1009;
export const WS_CLOSE_MANDATORY_EXTENSION = 1010;
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
