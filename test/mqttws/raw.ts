// A raw MQTT-over-WebSocket peer for the tests: our WebSocket client sending MQTT bytes
// in frames cut as the test likes, and recording what comes back.
import {
  MG_EV_CLOSE, MG_EV_ERROR, MG_EV_WS_CTL, MG_EV_WS_MSG, MG_EV_WS_OPEN, WEBSOCKET_OP_BINARY,
  type Connection, type Manager,
} from "../../src/index.js";
import { waitFor } from "../helpers.js";

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
/** MQTT 3.1.1 CONNECT, client id "a", clean session, keep alive 60. */
export const CONNECT = hex("10 0d 0004 4d515454 04 02 003c 0001 61");
export const CONNACK = hex("20 02 00 00");
/** SUBSCRIBE id 1 to "t/x" at QoS 0, and its SUBACK. */
export const SUBSCRIBE = hex("82 08 0001 0003 742f78 00");
export const SUBACK = hex("90 03 0001 00");
/** PUBLISH QoS 0 "t/x" = "hi". */
export const PUBLISH = hex("30 07 0003 742f78 6869");
export const PINGREQ = hex("c0 00");
export const PINGRESP = hex("d0 00");

export class RawWsPeer {
  readonly conn: Connection;
  opened = false;
  protocol = "";
  /** Binary messages received, in order; text ones are counted apart. */
  bin: Buffer[] = [];
  nonBinary = 0;
  closeCodes: number[] = [];
  errors: string[] = [];
  closed = false;

  constructor(manager: Manager, url: string, protocols: string[] | null = ["mqtt"]) {
    this.conn = manager.wsConnect(url, (c, ev, data) => {
      if (ev === MG_EV_WS_OPEN) { this.opened = true; this.protocol = c.wsProtocol; }
      else if (ev === MG_EV_WS_MSG) { if (data.op === WEBSOCKET_OP_BINARY) this.bin.push(Buffer.from(data.data)); else this.nonBinary++; }
      else if (ev === MG_EV_WS_CTL && data.op === 8) this.closeCodes.push(data.data.length >= 2 ? data.data.readUInt16BE(0) : 1005);
      else if (ev === MG_EV_ERROR) this.errors.push(data);
      else if (ev === MG_EV_CLOSE) this.closed = true;
    }, protocols === null ? {} : { protocols });
  }

  waitOpen(): Promise<void> { return waitFor(() => this.opened || this.closed, 5000, "WebSocket open"); }
  /** All MQTT bytes received so far, as one stream. */
  get stream(): Buffer { return Buffer.concat(this.bin); }
  async waitBytes(n: number): Promise<Buffer> {
    await waitFor(() => this.stream.length >= n || this.closed, 5000, `${n} bytes of MQTT`);
    return this.stream;
  }
  /** Sends `data` as binary frames of `size` bytes each (one frame when omitted). */
  send(data: Buffer, size = data.length): void {
    for (let i = 0; i < data.length; i += size) this.conn.wsSend(data.subarray(i, i + size), WEBSOCKET_OP_BINARY);
  }
}
