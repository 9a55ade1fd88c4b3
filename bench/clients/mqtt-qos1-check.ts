// Checks what one client of the QoS 1 round-trip load receives: the broker's PUBACK for the
// client's PUBLISH (packet id `ownId`) and the broker's QoS 1 PUBLISH of that message back
// (its own packet id, which the client must acknowledge), in either order. Each packet must
// be byte for byte the expected one except the broker's packet id. Packets may be split
// across reads at any byte; nothing is allocated per packet; once failed, stays failed.
import { PACKET_NAMES, pubackPacket, publishQos1Packet } from "./mqtt-packets.js";

export class Qos1Checker {
  error: string | undefined;
  private readonly puback: Buffer;
  private readonly publish: Buffer;
  /** Offset of the broker's packet id in its PUBLISH. */
  private readonly idAt: number;
  private readonly payloadAt: number;
  private readonly topicAt: number;
  /** The packet being read (undefined between packets) and the position in it. */
  private current: Buffer | undefined;
  private pos = 0;
  private id = 0;

  constructor(topic: string, ownId: number, payload: Buffer) {
    this.puback = pubackPacket(ownId);
    this.publish = publishQos1Packet(topic, 0, payload);
    this.payloadAt = this.publish.length - payload.length;
    this.idAt = this.payloadAt - 2;
    this.topicAt = this.idAt - Buffer.byteLength(topic);
  }

  /** Checks `buf[start, end)`; calls onPuback() / onPublish(id) for each complete, correct packet. */
  feed(buf: Uint8Array, start: number, end: number, onPuback: () => void, onPublish: (id: number) => void): boolean {
    if (this.error !== undefined) return false;
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      let t = this.current;
      if (t === undefined) {
        if (b === 0x40) t = this.puback;
        else if (b === 0x32) t = this.publish;
        else return this.fail(b >> 4 === 3 ? `PUBLISH with flags 0x${(b & 15).toString(16)} (expected QoS 1, no dup, no retain)` : `unexpected ${PACKET_NAMES[b >> 4]} packet (first byte 0x${b.toString(16)})`);
        this.current = t;
        this.pos = 0;
        this.id = 0;
      }
      const p = this.pos;
      if (t === this.publish && (p === this.idAt || p === this.idAt + 1)) {
        this.id = this.id * 256 + b;
      } else if (b !== t[p]) {
        return this.fail(this.describe(t, p));
      }
      if (++this.pos === t.length) {
        this.current = undefined;
        if (t === this.puback) onPuback();
        else if (this.id === 0) return this.fail("QoS 1 PUBLISH with packet id 0");
        else onPublish(this.id);
      }
    }
    return true;
  }

  private describe(t: Buffer, p: number): string {
    if (t === this.puback) return p === 1 ? "PUBACK with a wrong remaining length" : "PUBACK for a packet id that was not sent";
    if (p === 1) return "PUBLISH remaining length differs (wrong topic or payload length)";
    if (p < this.topicAt) return "PUBLISH topic length differs";
    if (p < this.idAt) return `topic differs from the one published (byte ${p - this.topicAt} of the topic)`;
    return `payload differs from what was sent (byte ${p - this.payloadAt})`;
  }

  private fail(msg: string): false {
    this.error = msg;
    return false;
  }
}
