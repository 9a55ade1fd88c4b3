// WebSocket layer. (Being written.)
import type { Connection } from "../core/connection.js";
import type { HttpMessage } from "../http/message.js";
import type { HeadersInit } from "../http/reply.js";

export function wsUpgrade(c: Connection, _msg: HttpMessage, _extra?: HeadersInit): void {
  c.reply(501, "WebSocket: not implemented yet\n");
}
export function wsSend(_c: Connection, _data: string | Uint8Array, _op: number): number {
  throw new Error("wsSend: not implemented yet");
}
