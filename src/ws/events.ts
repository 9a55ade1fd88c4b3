// Events of the WebSocket layer (numbers as in Mongoose).
/** The opening handshake completed (data: the HttpMessage of the upgrade). */
export const MG_EV_WS_OPEN = 12 as const;
/** A whole data message arrived (data: WsMessage). */
export const MG_EV_WS_MSG = 13 as const;
/** A control frame arrived: ping, pong or close (data: WsMessage). */
export const MG_EV_WS_CTL = 14 as const;
