/** A WebSocket message or control frame (MG_EV_WS_MSG / MG_EV_WS_CTL). */
export class WsMessage {
  #text: string | undefined;
  constructor(
    /** Payload (reassembled and decompressed). */
    readonly data: Buffer,
    /** Frame flags: FIN (0x80) and RSV bits, ORed with the opcode, as in Mongoose. */
    readonly flags: number,
    /** Opcode: WEBSOCKET_OP_TEXT, _BINARY, _PING, _PONG, _CLOSE. */
    readonly op: number,
  ) {}
  /** Payload as UTF-8 text. */
  get text(): string { return (this.#text ??= this.data.toString("utf8")); }
}
