// The WebSocket receive codec (RFC 6455 section 5, RFC 7692 section 6): bytes in, frames
// and messages out, and how many bytes were used. It knows no connection and no socket.
//
// Contract of decode(buf): `buf` starts at the first byte not consumed by the previous
// call; bytes not consumed must be passed again, as they are (the decoder may already
// have unmasked part of an incomplete text frame in place, see below).
//
// Memory: a complete unfragmented frame's payload is unmasked in place and handed on as
// a view of `buf` (zero copy; the caller must never overwrite bytes it has handed in).
// A fragmented message is copied into one assembly buffer that doubles as it grows
// (capped at the message limit), so each fragment costs O(1) bookkeeping; the number of
// fragments per message is capped too (maxFragments, close 1008).
//
// UTF-8 (section 8.1): an uncompressed text message is validated fragment by fragment,
// and even inside a frame that is still incomplete, with a state machine that carries
// across the boundaries, so invalid data fails with 1007 as soon as it arrives (Autobahn
// 6.4 "fail fast"). A compressed text message is validated once inflated.
import { isUtf8 } from "node:buffer";
import { FIN, RSV1, RSV_ALL, OPCODE, MASK_BIT, MAX_CONTROL_PAYLOAD } from "./frame.js";
import {
  WEBSOCKET_OP_BINARY, WEBSOCKET_OP_CLOSE, WEBSOCKET_OP_CONTINUE, WEBSOCKET_OP_PING, WEBSOCKET_OP_PONG, WEBSOCKET_OP_TEXT,
} from "./constants.js";
import {
  checkClosePayload, WS_CLOSE_INVALID_PAYLOAD, WS_CLOSE_MESSAGE_TOO_BIG, WS_CLOSE_POLICY_VIOLATION, WS_CLOSE_PROTOCOL_ERROR,
} from "./close.js";
import { InflateError, type PerMessageDeflate } from "./deflate.js";
import { utf8Feed, UTF8_ACCEPT, UTF8_REJECT } from "./utf8.js";

/** Default cap on the frames of one message (as the `ws` package). */
export const DEFAULT_MAX_FRAGMENTS = 16384;

/**
 * What the decoder hands on. A `false` return from message()/control() pauses decoding
 * after that frame (decode() returns the bytes used so far). The methods must not throw:
 * the frame they are given is already consumed as far as the decoder is concerned.
 */
export interface WsDecodeSink {
  /** A complete text or binary message (reassembled, decompressed, UTF-8 checked); flags: FIN | RSV1 if compressed | op. */
  message(op: number, data: Buffer, flags: number): boolean | void;
  /** A ping, pong or (checked) close frame; flags: the frame's first byte. */
  control(op: number, payload: Buffer, flags: number): boolean | void;
  /** A protocol violation: the connection must close with `code`. Nothing more is decoded. */
  fail(code: number, reason: string): void;
}

export interface WsDecoderOptions {
  /** Server side: frames must be masked (client side: must not be). */
  isServer: boolean;
  /** Largest message in bytes (after decompression); over it: 1009. */
  maxMessage: number;
  /** Most frames in one message; over it: 1008. Default 16384. */
  maxFragments?: number;
  /** The agreed permessage-deflate, if any: RSV1 then marks a compressed message. */
  deflate?: PerMessageDeflate | undefined;
}

/** Largest compressed payload accepted for a message of at most `maxMessage` bytes (deflate may grow incompressible data a little). */
export function maxWireSize(maxMessage: number): number {
  return maxMessage + 64 + Math.ceil(maxMessage / 1024);
}

const OPEN = 0, CLOSED = 1, FAILED = 2;

/** The receive side of one WebSocket connection. */
export class WsDecoder {
  readonly isServer: boolean;
  readonly maxMessage: number;
  readonly maxFragments: number;
  /** Largest payload of a data message on the wire. */
  readonly maxWire: number;
  private readonly deflate: PerMessageDeflate | undefined;
  private state = OPEN;
  // The fragmented message in progress (section 5.4).
  /** Its opcode (0: none in progress). */
  private msgOp = 0;
  private msgCompressed = false;
  /** Frames of it received so far. */
  private msgFrames = 0;
  /** Its payload so far: asm[0..asmLen). */
  private asm: Buffer | undefined;
  private asmLen = 0;
  /** UTF-8 state of the uncompressed text being received. */
  private utf8 = UTF8_ACCEPT;
  /** Payload bytes of the incomplete text frame at the front of the input already unmasked and validated. */
  private partial = 0;

  constructor(o: WsDecoderOptions) {
    this.isServer = o.isServer;
    this.maxMessage = o.maxMessage;
    this.maxFragments = o.maxFragments ?? DEFAULT_MAX_FRAGMENTS;
    this.deflate = o.deflate;
    this.maxWire = o.deflate === undefined ? o.maxMessage : maxWireSize(o.maxMessage);
  }

  /** A close frame was received: later input is discarded. */
  get closed(): boolean { return this.state === CLOSED; }
  /** A violation was reported: later input is discarded. */
  get failed(): boolean { return this.state === FAILED; }

  /**
   * Decodes every complete frame at the front of `buf` and hands them to `sink`.
   * Returns the bytes consumed. `room` is the most bytes the caller can ever hold
   * at once: a frame longer than that fails with 1009 instead of waiting forever.
   * After a close frame or a failure, all input is consumed and ignored.
   */
  decode(buf: Buffer, sink: WsDecodeSink, room = Infinity): number {
    const n = buf.length;
    let at = 0;
    while (this.state === OPEN) {
      const left = n - at;
      if (left < 2) return at;
      const b0 = buf[at]!, b1 = buf[at + 1]!;
      const op = b0 & OPCODE;
      const isControl = op >= 8;
      if ((b0 & RSV_ALL) !== 0) {
        // RSV1 marks a compressed message (RFC 7692 section 6): only with the extension,
        // only on the first frame of a data message; RSV2/RSV3 are never defined here.
        if ((b0 & RSV_ALL) !== RSV1 || this.deflate === undefined || isControl || op === WEBSOCKET_OP_CONTINUE) {
          return this.fail(sink, n, WS_CLOSE_PROTOCOL_ERROR, `reserved bits 0x${(b0 & RSV_ALL).toString(16)} set without a negotiated extension`);
        }
      }
      if (op !== WEBSOCKET_OP_CONTINUE && op !== WEBSOCKET_OP_TEXT && op !== WEBSOCKET_OP_BINARY &&
          op !== WEBSOCKET_OP_CLOSE && op !== WEBSOCKET_OP_PING && op !== WEBSOCKET_OP_PONG) {
        return this.fail(sink, n, WS_CLOSE_PROTOCOL_ERROR, `unknown opcode ${op}`);
      }
      const masked = (b1 & MASK_BIT) !== 0;
      // Section 5.1: clients mask every frame, servers none.
      if (masked !== this.isServer) {
        return this.fail(sink, n, WS_CLOSE_PROTOCOL_ERROR, this.isServer ? "unmasked frame from a client" : "masked frame from a server");
      }
      let len = b1 & 0x7f;
      if (isControl) {
        // Section 5.5: control frames are never fragmented and carry at most 125 bytes.
        if ((b0 & FIN) === 0) return this.fail(sink, n, WS_CLOSE_PROTOCOL_ERROR, "fragmented control frame");
        if (len > MAX_CONTROL_PAYLOAD) return this.fail(sink, n, WS_CLOSE_PROTOCOL_ERROR, "control frame payload over 125 bytes");
      } else if (op === WEBSOCKET_OP_CONTINUE) {
        if (this.msgOp === 0) return this.fail(sink, n, WS_CLOSE_PROTOCOL_ERROR, "continuation frame without a message to continue");
        if (this.msgFrames >= this.maxFragments) {
          return this.fail(sink, n, WS_CLOSE_POLICY_VIOLATION, `message in more than ${this.maxFragments} fragments`);
        }
      } else if (this.msgOp !== 0) {
        return this.fail(sink, n, WS_CLOSE_PROTOCOL_ERROR, "new data frame while a fragmented message is in progress");
      }
      let hdr = 2;
      if (len === 126) {
        if (left < 4) return at;
        len = buf.readUInt16BE(at + 2);
        // Section 5.2: "the minimal number of bytes MUST be used to encode the length".
        if (len < 126) return this.fail(sink, n, WS_CLOSE_PROTOCOL_ERROR, `length ${len} in a 16-bit field`);
        hdr = 4;
      } else if (len === 127) {
        if (left < 10) return at;
        const hi = buf.readUInt32BE(at + 2);
        // Section 5.2: the most significant bit of a 64-bit length must be 0.
        if (hi >= 0x80000000) return this.fail(sink, n, WS_CLOSE_PROTOCOL_ERROR, "64-bit payload length with the top bit set");
        len = hi * 0x100000000 + buf.readUInt32BE(at + 6);
        if (len < 65536) return this.fail(sink, n, WS_CLOSE_PROTOCOL_ERROR, `length ${len} in a 64-bit field`);
        hdr = 10;
      }
      const compressed = isControl ? false : op === WEBSOCKET_OP_CONTINUE ? this.msgCompressed : (b0 & RSV1) !== 0;
      if (!isControl && this.asmLen + len > (compressed ? this.maxWire : this.maxMessage)) {
        return this.fail(sink, n, WS_CLOSE_MESSAGE_TOO_BIG, `message over ${this.maxMessage} bytes`);
      }
      const keyAt = at + hdr;
      if (masked) hdr += 4;
      if (hdr + len > room) {
        return this.fail(sink, n, WS_CLOSE_MESSAGE_TOO_BIG, `frame of ${len} bytes does not fit the receive buffer (${room} bytes)`);
      }
      const from = at + hdr, end = from + len;
      // Uncompressed text is validated as it comes (a new text message starts in UTF8_ACCEPT).
      const text = !compressed && (op === WEBSOCKET_OP_TEXT || (op === WEBSOCKET_OP_CONTINUE && this.msgOp === WEBSOCKET_OP_TEXT));
      if (end > n) {
        // Incomplete: check the text that is there, then wait for the rest.
        if (text && n > from + this.partial) {
          if (this.partial === 0 && op === WEBSOCKET_OP_TEXT) this.utf8 = UTF8_ACCEPT;
          if (masked) unmask(buf, from + this.partial, n, keyAt, this.partial);
          this.utf8 = utf8Feed(this.utf8, buf, from + this.partial, n);
          this.partial = n - from;
          if (this.utf8 === UTF8_REJECT) return this.fail(sink, n, WS_CLOSE_INVALID_PAYLOAD, "text message is not valid UTF-8");
        }
        return at;
      }
      // The frame is complete.
      const done = this.partial;
      this.partial = 0;
      if (masked && len > done) unmask(buf, from + done, end, keyAt, done);
      at = end;
      const fin = (b0 & FIN) !== 0;

      if (isControl) {
        const payload = buf.subarray(from, end);
        if (op === WEBSOCKET_OP_CLOSE) {
          const bad = checkClosePayload(payload);
          if (bad !== undefined) return this.fail(sink, n, bad[0], bad[1]);
          this.state = CLOSED;
          sink.control(op, payload, b0);
          return n;
        }
        if (sink.control(op, payload, b0) === false) return at;
        continue;
      }

      // The payload of an unfragmented message, as a view (zero copy).
      let whole: Buffer | undefined;
      if (text) {
        if (op === WEBSOCKET_OP_TEXT && done === 0) {
          // Fast path: a whole unfragmented text frame at once, checked natively.
          if (fin) this.utf8 = isUtf8(whole = buf.subarray(from, end)) ? UTF8_ACCEPT : UTF8_REJECT;
          else this.utf8 = utf8Feed(UTF8_ACCEPT, buf, from, end);
        } else if (len > done) {
          this.utf8 = utf8Feed(this.utf8, buf, from + done, end);
        }
        if (this.utf8 === UTF8_REJECT) return this.fail(sink, n, WS_CLOSE_INVALID_PAYLOAD, "text message is not valid UTF-8");
        if (fin && this.utf8 !== UTF8_ACCEPT) {
          return this.fail(sink, n, WS_CLOSE_INVALID_PAYLOAD, "text message ends inside a UTF-8 sequence");
        }
      }

      if (!fin) {
        // A fragment: copy it into the assembly buffer (no view of it is kept or made).
        if (op !== WEBSOCKET_OP_CONTINUE) { this.msgOp = op; this.msgCompressed = compressed; this.msgFrames = 0; }
        this.msgFrames++;
        this.append(buf, from, end, compressed ? this.maxWire : this.maxMessage);
        continue;
      }

      let msgOp = op, data: Buffer;
      if (op === WEBSOCKET_OP_CONTINUE) {
        msgOp = this.msgOp;
        this.append(buf, from, end, compressed ? this.maxWire : this.maxMessage);
        data = this.asm!.subarray(0, this.asmLen);
        // The message owns the assembly buffer now; the next one starts a new one.
        this.msgOp = 0; this.msgCompressed = false; this.msgFrames = 0; this.asm = undefined; this.asmLen = 0;
      } else {
        data = whole ?? buf.subarray(from, end);
      }
      if (compressed) {
        const out = this.deflate!.decompress(data);
        if (out instanceof InflateError) return this.fail(sink, n, out.code, out.reason);
        if (msgOp === WEBSOCKET_OP_TEXT && !isUtf8(out)) return this.fail(sink, n, WS_CLOSE_INVALID_PAYLOAD, "text message is not valid UTF-8");
        data = out;
      }
      if (sink.message(msgOp, data, FIN | (compressed ? RSV1 : 0) | msgOp) === false) return at;
    }
    return n;
  }

  /** Appends `b[from..to)` to the assembly buffer, doubling it as needed (never past `limit`). */
  private append(b: Buffer, from: number, to: number, limit: number): void {
    const len = to - from;
    const need = this.asmLen + len;
    let a = this.asm;
    if (a === undefined || need > a.length) {
      const cap = Math.min(limit, Math.max(need, (a?.length ?? 0) * 2, 256));
      const next = Buffer.allocUnsafe(cap);
      if (a !== undefined && this.asmLen > 0) a.copy(next, 0, 0, this.asmLen);
      this.asm = a = next;
    }
    if (len === 1) a[this.asmLen] = b[from]!;
    else if (len > 0) b.copy(a, this.asmLen, from, to);
    this.asmLen = need;
  }

  private fail(sink: WsDecodeSink, n: number, code: number, reason: string): number {
    this.state = FAILED;
    this.asm = undefined;
    this.asmLen = 0;
    sink.fail(code, reason);
    return n;
  }
}

/** XORs `b[from..to)` in place with the key at `b[keyAt..keyAt+4)`; `phase` is the payload offset of `from` (section 5.3). */
function unmask(b: Buffer, from: number, to: number, keyAt: number, phase: number): void {
  const m0 = b[keyAt + (phase & 3)]!, m1 = b[keyAt + ((phase + 1) & 3)]!;
  const m2 = b[keyAt + ((phase + 2) & 3)]!, m3 = b[keyAt + ((phase + 3) & 3)]!;
  const end4 = from + ((to - from) & ~3);
  let i = from;
  for (; i < end4; i += 4) {
    b[i] = b[i]! ^ m0;
    b[i + 1] = b[i + 1]! ^ m1;
    b[i + 2] = b[i + 2]! ^ m2;
    b[i + 3] = b[i + 3]! ^ m3;
  }
  if (i < to) b[i] = b[i]! ^ m0;
  if (i + 1 < to) b[i + 1] = b[i + 1]! ^ m1;
  if (i + 2 < to) b[i + 2] = b[i + 2]! ^ m2;
}
