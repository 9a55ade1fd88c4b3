// The MQTT 3.1.1 packets of the benchmark's load client, built once, and the checker of
// the PUBLISH packets a subscriber receives. Every delivery has the same shape: topic
// `<prefix>/pNN` (NN: the publisher's index, two digits) and the same payload, so the
// checker compares each packet with one template, byte by byte as it streams in, except
// for the two digits, which say who published it.

/** Topic of publisher `i`; every subscriber subscribes to `<prefix>/+`. */
export function topicOf(prefix: string, i: number): string {
  return `${prefix}/p${String(i).padStart(2, "0")}`;
}

/** Remaining Length (section 2.2.3): 7 bits per byte, high bit = more bytes follow. */
function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function utf8Field(s: string): Buffer {
  const b = Buffer.from(s, "utf8");
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function packet(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first, ...varint(body.length)]), body]);
}

/** CONNECT, MQTT 3.1.1 (section 3.1): clean session, keep alive off (0). */
export function connectPacket(clientId: string): Buffer {
  return packet(0x10, Buffer.concat([utf8Field("MQTT"), Buffer.from([4, 0x02, 0, 0]), utf8Field(clientId)]));
}

/** The CONNACK a broker must answer with (section 3.2): no session present, accepted. */
export const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00]);

/** SUBSCRIBE (section 3.8; fixed header flags 0b0010) for one filter at QoS `qos`. */
export function subscribePacket(id: number, filter: string, qos: 0 | 1): Buffer {
  return packet(0x82, Buffer.concat([Buffer.from([id >> 8, id & 0xff]), utf8Field(filter), Buffer.from([qos])]));
}

/** The SUBACK granting `qos` to packet `id` (section 3.9). */
export function subackPacket(id: number, qos: 0 | 1): Buffer {
  return Buffer.from([0x90, 0x03, id >> 8, id & 0xff, qos]);
}

/** PUBLISH at QoS 0 (section 3.3): no packet id, no dup, no retain. */
export function publishPacket(topic: string, payload: Buffer): Buffer {
  return packet(0x30, Buffer.concat([utf8Field(topic), payload]));
}

/** PUBLISH at QoS 1 (section 3.3): packet id after the topic, no dup, no retain. */
export function publishQos1Packet(topic: string, id: number, payload: Buffer): Buffer {
  return packet(0x32, Buffer.concat([utf8Field(topic), Buffer.from([id >> 8, id & 0xff]), payload]));
}

/** PUBACK for packet `id` (section 3.4). */
export function pubackPacket(id: number): Buffer {
  return Buffer.from([0x40, 0x02, id >> 8, id & 0xff]);
}

export const PACKET_NAMES = ["reserved", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
  "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"];

/**
 * Checks the stream of QoS 0 PUBLISH packets one subscriber receives: every packet must be
 * exactly `publishPacket(topicOf(prefix, i), payload)` for some publisher i < publishers.
 * Packets may be split across reads at any byte and several may come in one read.
 * Allocates nothing per packet; once it has failed it stays failed (see `error`).
 */
export class PublishChecker {
  error: string | undefined;
  private readonly template: Buffer;
  /** Offset of the two digits of the publisher index in the packet. */
  private readonly digitAt: number;
  private readonly topicAt: number;
  private readonly payloadAt: number;
  private pos = 0;
  private index = 0;

  constructor(prefix: string, private readonly publishers: number, payload: Buffer) {
    if (publishers > 100) throw new Error("at most 100 publishers (two-digit topic index)");
    this.template = publishPacket(topicOf(prefix, 0), payload);
    this.payloadAt = this.template.length - payload.length;
    this.topicAt = this.payloadAt - Buffer.byteLength(topicOf(prefix, 0));
    this.digitAt = this.payloadAt - 2;
  }

  /** Bytes of one packet. */
  get packetLength(): number {
    return this.template.length;
  }

  /**
   * Checks `buf[start, end)`; calls `onPublish(i)` for each complete, correct packet from
   * publisher i. Returns false (and sets `error`) at the first wrong byte.
   */
  feed(buf: Uint8Array, start: number, end: number, onPublish: (publisher: number) => void): boolean {
    if (this.error !== undefined) return false;
    const t = this.template;
    const L = t.length;
    const d = this.digitAt;
    let i = start;
    while (i < end) {
      // Fast path: a whole packet in this read, compared natively around the digits.
      if (this.pos === 0 && end - i >= L && t.compare(buf, i, i + d, 0, d) === 0 && t.compare(buf, i + d + 2, i + L, d + 2, L) === 0) {
        const hi = buf[i + d]! - 48;
        const lo = buf[i + d + 1]! - 48;
        if (hi >= 0 && hi <= 9 && lo >= 0 && lo <= 9 && hi * 10 + lo < this.publishers) {
          onPublish(hi * 10 + lo);
          i += L;
          continue;
        }
      }
      // Byte by byte: packets split across reads, and precise errors.
      const b = buf[i]!;
      const p = this.pos;
      if (p === d || p === d + 1) {
        const digit = b - 48;
        if (digit < 0 || digit > 9) return this.fail(`topic differs from the one published (byte ${p - this.topicAt} of the topic is 0x${b.toString(16)})`);
        this.index = this.index * 10 + digit;
      } else if (b !== t[p]) {
        return this.fail(this.describe(p, b));
      }
      i++;
      if (++this.pos === L) {
        const who = this.index;
        this.pos = 0;
        this.index = 0;
        if (who >= this.publishers) return this.fail(`a message on topic index ${who}, but only ${this.publishers} publishers`);
        onPublish(who);
      }
    }
    return true;
  }

  private describe(p: number, b: number): string {
    const t = this.template;
    if (p === 0) {
      const type = PACKET_NAMES[b >> 4]!;
      return type === "PUBLISH" ? `PUBLISH with flags 0x${(b & 15).toString(16)} (expected QoS 0, no dup, no retain)` : `unexpected ${type} packet (first byte 0x${b.toString(16)})`;
    }
    if (p === 1) return `PUBLISH remaining length byte 0x${b.toString(16)}, expected 0x${t[1]!.toString(16)} (wrong topic or payload length)`;
    if (p < this.topicAt) return `PUBLISH topic length differs (byte 0x${b.toString(16)}, expected 0x${t[p]!.toString(16)})`;
    if (p < this.payloadAt) return `topic differs from the one published (byte ${p - this.topicAt} of the topic)`;
    return `payload differs from what was sent (byte ${p - this.payloadAt})`;
  }

  private fail(msg: string): false {
    this.error = msg;
    return false;
  }
}
