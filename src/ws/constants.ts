// WebSocket opcodes (RFC 6455 section 5.2).
export const WEBSOCKET_OP_CONTINUE = 0;
export const WEBSOCKET_OP_TEXT = 1;
export const WEBSOCKET_OP_BINARY = 2;
export const WEBSOCKET_OP_CLOSE = 8;
export const WEBSOCKET_OP_PING = 9;
export const WEBSOCKET_OP_PONG = 10;
