// The frame parser (RFC 6455 section 5): a state machine over the connection's receive
// buffer. A frame is handled once it is complete in the buffer; its payload is unmasked
// in place and handed on as a view (nothing else has seen those bytes yet, and the
// buffer never overwrites them later, so the view stays valid). Fragments are kept as
// views until the final one arrives, then joined. Every violation ends parsing with a
// close code: 1002 protocol error, 1007 invalid data, 1009 too big.
import { isUtf8 } from "node:buffer";
import type { CoreConnection as Connection } from "../core/connection.js";
import type { WsConnState } from "./state.js";
import { FIN, RSV1, RSV_ALL, OPCODE, MASK_BIT, MAX_CONTROL_PAYLOAD, unmaskInPlace } from "./frame.js";
import {
  WEBSOCKET_OP_BINARY, WEBSOCKET_OP_CLOSE, WEBSOCKET_OP_CONTINUE, WEBSOCKET_OP_PING, WEBSOCKET_OP_PONG, WEBSOCKET_OP_TEXT,
} from "./constants.js";
import { checkClosePayload, WS_CLOSE_INVALID_PAYLOAD, WS_CLOSE_MESSAGE_TOO_BIG, WS_CLOSE_PROTOCOL_ERROR } from "./close.js";
import { InflateError } from "./deflate.js";

/** What the parser hands on. */
export interface FrameSink {
  /** A complete text or binary message (reassembled, decompressed, UTF-8 checked). */
  message(c: Connection, st: WsConnState, op: number, data: Buffer, flags: number): void;
  /** A ping, pong or (checked) close frame. */
  control(c: Connection, st: WsConnState, op: number, payload: Buffer, flags: number): void;
  /** A protocol violation: close with `code`. */
  fail(c: Connection, st: WsConnState, code: number, reason: string): void;
}

/** Parses and hands on every complete frame in the receive buffer. */
export function receiveFrames(c: Connection, st: WsConnState, sink: FrameSink): void {
  for (;;) {
    if (st.failed || st.closeReceived) { if (c.recvLen > 0) c.recvConsume(); return; }
    if (!c.canSend) return;
    const buf = c.recvData();
    const n = buf.length;
    if (n < 2) return;
    const b0 = buf[0]!, b1 = buf[1]!;
    const op = b0 & OPCODE;
    const isControl = op >= 8;
    // Checks that need only the first two bytes.
    if ((b0 & RSV_ALL) !== 0) {
      // RSV1 marks a compressed message (RFC 7692 section 6): only with the extension,
      // only on the first frame of a data message.
      if ((b0 & RSV_ALL) !== RSV1 || st.deflate === undefined || isControl || op === WEBSOCKET_OP_CONTINUE) {
        sink.fail(c, st, WS_CLOSE_PROTOCOL_ERROR, `reserved bits 0x${(b0 & RSV_ALL).toString(16)} set without a negotiated extension`);
        return;
      }
    }
    if (op !== WEBSOCKET_OP_CONTINUE && op !== WEBSOCKET_OP_TEXT && op !== WEBSOCKET_OP_BINARY &&
        op !== WEBSOCKET_OP_CLOSE && op !== WEBSOCKET_OP_PING && op !== WEBSOCKET_OP_PONG) {
      sink.fail(c, st, WS_CLOSE_PROTOCOL_ERROR, `unknown opcode ${op}`);
      return;
    }
    const masked = (b1 & MASK_BIT) !== 0;
    // Section 5.1: clients mask every frame, servers none.
    if (masked !== st.isServer) {
      sink.fail(c, st, WS_CLOSE_PROTOCOL_ERROR, st.isServer ? "unmasked frame from a client" : "masked frame from a server");
      return;
    }
    let len = b1 & 0x7f;
    if (isControl) {
      // Section 5.5: control frames are never fragmented and carry at most 125 bytes.
      if ((b0 & FIN) === 0) { sink.fail(c, st, WS_CLOSE_PROTOCOL_ERROR, "fragmented control frame"); return; }
      if (len > MAX_CONTROL_PAYLOAD) { sink.fail(c, st, WS_CLOSE_PROTOCOL_ERROR, "control frame payload over 125 bytes"); return; }
    } else if (op === WEBSOCKET_OP_CONTINUE) {
      if (st.fragOp === 0) { sink.fail(c, st, WS_CLOSE_PROTOCOL_ERROR, "continuation frame without a message to continue"); return; }
    } else if (st.fragOp !== 0) {
      sink.fail(c, st, WS_CLOSE_PROTOCOL_ERROR, "new data frame while a fragmented message is in progress");
      return;
    }
    let hdr = 2;
    if (len === 126) {
      if (n < 4) return;
      len = buf.readUInt16BE(2);
      hdr = 4;
    } else if (len === 127) {
      if (n < 10) return;
      const hi = buf.readUInt32BE(2);
      // Section 5.2: the most significant bit of a 64-bit length must be 0.
      if (hi >= 0x80000000) { sink.fail(c, st, WS_CLOSE_PROTOCOL_ERROR, "64-bit payload length with the top bit set"); return; }
      len = hi * 0x100000000 + buf.readUInt32BE(6);
      hdr = 10;
    }
    if (!isControl) {
      const compressed = op === WEBSOCKET_OP_CONTINUE ? st.fragCompressed : (b0 & RSV1) !== 0;
      const limit = compressed ? st.maxWire : st.maxMessage;
      if (st.fragLen + len > limit) {
        sink.fail(c, st, WS_CLOSE_MESSAGE_TOO_BIG, `message over ${st.maxMessage} bytes`);
        return;
      }
    }
    if (masked) hdr += 4;
    const end = hdr + len;
    if (end > c.recvSize) {
      // The receive buffer can never hold this frame (maxRecvSize set below the message limit).
      sink.fail(c, st, WS_CLOSE_MESSAGE_TOO_BIG, `frame of ${len} bytes does not fit the receive buffer (${c.recvSize} bytes)`);
      return;
    }
    if (n < end) return; // wait for the rest of the frame
    const payload = buf.subarray(hdr, end);
    if (masked && len > 0) unmaskInPlace(payload, buf, hdr - 4);
    c.recvConsume(end);

    if (isControl) {
      if (op === WEBSOCKET_OP_CLOSE) {
        const bad = checkClosePayload(payload);
        if (bad !== undefined) { sink.fail(c, st, bad[0], bad[1]); return; }
        st.closeReceived = true;
      }
      sink.control(c, st, op, payload, b0);
      continue;
    }
    if ((b0 & FIN) === 0) {
      // A fragment: keep its view until the message is complete.
      if (op !== WEBSOCKET_OP_CONTINUE) { st.fragOp = op; st.fragCompressed = (b0 & RSV1) !== 0; }
      st.frags.push(payload);
      st.fragLen += len;
      continue;
    }
    let msgOp = op, compressed = (b0 & RSV1) !== 0, data = payload;
    if (op === WEBSOCKET_OP_CONTINUE) {
      msgOp = st.fragOp;
      compressed = st.fragCompressed;
      st.frags.push(payload);
      if (!compressed) data = Buffer.concat(st.frags, st.fragLen + len);
    }
    if (compressed) {
      const parts = op === WEBSOCKET_OP_CONTINUE ? st.frags : [payload];
      const out = st.deflate!.decompress(parts);
      if (out instanceof InflateError) { resetFragments(st); sink.fail(c, st, out.code, out.reason); return; }
      data = out;
    }
    resetFragments(st);
    if (msgOp === WEBSOCKET_OP_TEXT && !isUtf8(data)) {
      sink.fail(c, st, WS_CLOSE_INVALID_PAYLOAD, "text message is not valid UTF-8");
      return;
    }
    sink.message(c, st, msgOp, data, FIN | (compressed ? RSV1 : 0) | msgOp);
  }
}

function resetFragments(st: WsConnState): void {
  st.fragOp = 0;
  st.fragCompressed = false;
  st.frags = [];
  st.fragLen = 0;
}
