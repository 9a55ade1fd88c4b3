/** Per-connection WebSocket state. (Being written.) */
export interface WsConnState {
  isServer: boolean;
}
