// The receive loop: a state machine over the connection's receive buffer. A packet is
// parsed once it is complete in the buffer; its fields are views of those bytes (the
// buffer never overwrites them, so they stay valid). Malformed input ends the loop.
import type { CoreConnection as Connection } from "../core/connection.js";
import type { MqttPacket } from "./message.js";
import type { MqttConnState } from "./state.js";
import { parseFixedHeader, parsePacket } from "./parser.js";

export interface PacketSink {
  packet(c: Connection, st: MqttConnState, m: MqttPacket): void;
  /** Malformed input: `reason` (MQTT 5 reason code `code`). */
  fail(c: Connection, st: MqttConnState, reason: string, code: number): void;
}

/** MQTT 5 reason codes for the failures found here. */
export const RC_MALFORMED = 0x81, RC_PROTOCOL_ERROR = 0x82, RC_PACKET_TOO_LARGE = 0x95;

export function receivePackets(c: Connection, st: MqttConnState, sink: PacketSink): void {
  for (;;) {
    if (st.failed) { if (c.recvLen > 0) c.recvConsume(); return; }
    if (!c.canSend) return;
    // Backpressure: a peer that does not read our answers gets no more of its packets parsed
    // (the receive buffer then fills and reading pauses); the layer resumes below half.
    if (c.sendLen > st.sendHighWater) { st.paused = true; return; }
    const buf = c.recvData();
    const h = parseFixedHeader(buf);
    if (h === 0) {
      return;
    }
    if (typeof h === "string") { sink.fail(c, st, h, RC_MALFORMED); return; }
    if (h.total > st.maxPacket) {
      sink.fail(c, st, `packet of ${h.total} bytes is over the limit of ${st.maxPacket} (mqttMaxPacketSize)`, RC_PACKET_TOO_LARGE);
      return;
    }
    if (h.total > c.recvSize) {
      sink.fail(c, st, `packet of ${h.total} bytes does not fit the receive buffer (${c.recvSize} bytes)`, RC_PACKET_TOO_LARGE);
      return;
    }
    if (buf.length < h.total) return; // wait for the rest
    // The last packet in the buffer is the buffer's whole view: no second view of it.
    const m = parsePacket(buf.length === h.total ? buf : buf.subarray(0, h.total), h, st.version, st.topics);
    if (typeof m === "string") { sink.fail(c, st, `malformed packet: ${m}`, RC_MALFORMED); return; }
    c.recvConsume(h.total);
    sink.packet(c, st, m);
  }
}
