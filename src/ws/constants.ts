// WebSocket opcodes (RFC 6455 section 5.2).
/** Opcode 0: a continuation frame of a fragmented message. */
export const WEBSOCKET_OP_CONTINUE = 0;
/** Opcode 1: a text message (UTF-8); the default of `wsSend()`. */
export const WEBSOCKET_OP_TEXT = 1;
/** Opcode 2: a binary message. */
export const WEBSOCKET_OP_BINARY = 2;
/** Opcode 8: a close frame (control). */
export const WEBSOCKET_OP_CLOSE = 8;
/** Opcode 9: a ping (control); the layer answers with a pong. */
export const WEBSOCKET_OP_PING = 9;
/** Opcode 10: a pong (control). */
export const WEBSOCKET_OP_PONG = 10;
