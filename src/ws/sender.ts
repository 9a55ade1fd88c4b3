// Frame building (RFC 6455 section 5.2): header, masking for clients (section 5.3),
// queued on the connection in as few buffers as possible.
import type { CoreConnection as Connection } from "../core/connection.js";
import { FIN, RSV1, headerLength, writeHeader, writeMaskKey, maskInto, unmaskInPlace } from "./frame.js";

// Payloads up to this size are copied behind their header (one buffer, one write);
// larger ones are queued as they are, after a separate header.
const COPY_LIMIT = 16 * 1024;

/**
 * Queues one frame with FIN set. `masked` for client frames; `compressed` sets RSV1
 * (the payload is already deflated). Returns the frame's size in bytes.
 */
export function sendFrame(c: Connection, op: number, payload: string | Uint8Array, masked: boolean, compressed = false): number {
  const b0 = FIN | (compressed ? RSV1 : 0) | op;
  if (typeof payload === "string") {
    const len = Buffer.byteLength(payload, "utf8");
    const hl = headerLength(len, masked);
    const frame = Buffer.allocUnsafe(hl + len);
    const at = writeHeader(frame, b0, len, masked);
    if (masked) {
      writeMaskKey(frame, at);
      if (len > 0) { frame.write(payload, hl, "utf8"); unmaskInPlace(frame.subarray(hl), frame, at); }
    } else if (len > 0) {
      frame.write(payload, hl, "utf8");
    }
    c.send(frame);
    return hl + len;
  }
  const len = payload.length;
  const hl = headerLength(len, masked);
  if (masked) {
    const frame = Buffer.allocUnsafe(hl + len);
    const at = writeHeader(frame, b0, len, true);
    writeMaskKey(frame, at);
    maskInto(payload, frame, hl, at);
    c.send(frame);
  } else if (len <= COPY_LIMIT) {
    const frame = Buffer.allocUnsafe(hl + len);
    writeHeader(frame, b0, len, false);
    frame.set(payload, hl);
    c.send(frame);
  } else {
    const head = Buffer.allocUnsafe(hl);
    writeHeader(head, b0, len, false);
    c.send(head);
    c.send(payload);
  }
  return hl + len;
}
