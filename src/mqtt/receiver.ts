// The receive loop: a state machine over the connection's receive buffer. A packet is
// parsed once it is complete in the buffer; its fields are views of those bytes (the
// buffer never overwrites them, so they stay valid). Malformed input ends the loop.
import { Buffer } from "node:buffer";
import type { CoreConnection as Connection } from "../core/connection.js";
import type { MqttPacket } from "./message.js";
import type { MqttConnState } from "./state.js";
import { connectLevel, parsePacket, readFixedHeader, type FixedHeader } from "./parser.js";
import { PROTOCOL_ERROR_PREFIX } from "./wire.js";

export interface PacketSink {
  packet(c: Connection, st: MqttConnState, m: MqttPacket): void;
  /** Malformed input: `reason` (MQTT 5 reason code `code`). */
  fail(c: Connection, st: MqttConnState, reason: string, code: number): void;
}

/** MQTT 5 reason codes for the failures found here. */
export const RC_MALFORMED = 0x81, RC_PROTOCOL_ERROR = 0x82, RC_PACKET_TOO_LARGE = 0x95;

/**
 * The fixed header of the packet being received, one for every connection: it is read
 * again at each turn of the loop and used only before the packet is handed on (a
 * handler that makes another connection receive cannot disturb it).
 */
const header: FixedHeader = { cmd: 0, flags: 0, headerLen: 0, total: 0 };
const NOTHING = Buffer.alloc(0);

export function receivePackets(c: Connection, st: MqttConnState, sink: PacketSink): void {
  // The bytes: the connection's receive buffer, or what a carrier (WebSocket) unwrapped.
  const src = st.input ?? c;
  // A view of the received bytes, and where in it the next packet starts: the packets of
  // one read are parsed from one view. It is taken again when the buffer no longer holds
  // just what is left of it (a handler consumed, or a failure dropped everything; bytes
  // are only ever appended by socket events, never while a handler runs).
  let buf: Buffer = NOTHING, at = 0;
  for (;;) {
    if (st.failed) { if (src.recvLen > 0) src.recvConsume(); return; }
    if (!c.canSend) return;
    // Backpressure: a peer that does not read our answers gets no more of its packets parsed
    // (the receive buffer then fills and reading pauses); the layer resumes below half.
    if (c.sendLen > st.sendHighWater) { st.paused = true; return; }
    if (src.recvLen !== buf.length - at) { buf = src.recvData(); at = 0; }
    const v = readFixedHeader(buf, header, at);
    if (v === 0) return;
    if (typeof v === "string") { sink.fail(c, st, v, RC_MALFORMED); return; }
    const h = header;
    if (h.total > st.maxPacket) {
      sink.fail(c, st, `packet of ${h.total} bytes is over the limit of ${st.maxPacket} (mqttMaxPacketSize)`, RC_PACKET_TOO_LARGE);
      return;
    }
    if (h.total > src.recvSize) {
      sink.fail(c, st, `packet of ${h.total} bytes does not fit the receive buffer (${src.recvSize} bytes)`, RC_PACKET_TOO_LARGE);
      return;
    }
    if (buf.length - at < h.total) return; // wait for the rest
    // Parsed where it is: a view of the packet alone is made only if asked for (MqttPacket.dgram).
    const m = parsePacket(buf, h, st.version, st.topics, at);
    if (typeof m === "string") { refused(c, st, sink, m, at === 0 ? buf : buf.subarray(at), h); return; }
    src.recvConsume(h.total);
    at += h.total;
    sink.packet(c, st, m);
  }
}

/**
 * A packet the parser refused: a Protocol Error (0x82) when the verdict says so, else a
 * Malformed Packet (0x81), section 4.13. A server learns the level of a refused CONNECT
 * here, so that an MQTT 5 one is answered with a CONNACK carrying the code.
 */
function refused(c: Connection, st: MqttConnState, sink: PacketSink, why: string, buf: Buffer, h: FixedHeader): void {
  if (st.isServer && !st.connected) { const level = connectLevel(buf, h); if (level !== 0) st.version = level; }
  if (why.startsWith(PROTOCOL_ERROR_PREFIX)) sink.fail(c, st, why, RC_PROTOCOL_ERROR);
  else sink.fail(c, st, `malformed packet: ${why}`, RC_MALFORMED);
}
