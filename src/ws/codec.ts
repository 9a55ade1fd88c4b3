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
// A data frame of STREAM_MIN bytes or more that is still incomplete streams: its payload
// is copied as it arrives into its final buffer (its own, or the assembly buffer for a
// fragment) and the input consumed, so the caller's buffer never has to hold (and grow
// to) the whole frame, and every byte is copied once.
//
// UTF-8 (section 8.1): an uncompressed text message is validated fragment by fragment,
// and even inside a frame that is still incomplete, with a state machine that carries
// across the boundaries, so invalid data fails with 1007 as soon as it arrives (Autobahn
// 6.4 "fail fast"). A compressed text message is validated once inflated.
import { isUtf8 } from "node:buffer";
import { FIN, RSV1, RSV_ALL, OPCODE, MASK_BIT, MAX_CONTROL_PAYLOAD, xorKeyBytes } from "./frame.js";
import {
  WEBSOCKET_OP_BINARY, WEBSOCKET_OP_CLOSE, WEBSOCKET_OP_CONTINUE, WEBSOCKET_OP_PING, WEBSOCKET_OP_PONG, WEBSOCKET_OP_TEXT,
} from "./constants.js";
import {
  checkClosePayload, WS_CLOSE_INVALID_PAYLOAD, WS_CLOSE_MESSAGE_TOO_BIG, WS_CLOSE_POLICY_VIOLATION, WS_CLOSE_PROTOCOL_ERROR,
} from "./close.js";
import { InflateError, type PerMessageDeflate } from "./deflate.js";
import { utf8Feed, UTF8_ACCEPT, UTF8_REJECT } from "./utf8.js";

/** Incomplete data frames of at least this many bytes stream into place (startStream). */
const STREAM_MIN = 64 * 1024;

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
const EMPTY = Buffer.alloc(0);

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
  // The large frame being streamed (startStream): its destination (undefined: none),
  // where its payload starts there, its length and the bytes received so far, its
  // masking key (when not zero), first byte, opcode and kind.
  private sDest: Buffer | undefined;
  private sStart = 0;
  private sLen = 0;
  private sGot = 0;
  private readonly key = Buffer.alloc(4);
  private sMasked = false;
  private sB0 = 0;
  private sOp = 0;
  private sCompressed = false;
  private sText = false;
  /**
   * After decode(): how many bytes, counted from the first one not consumed, the next
   * step needs contiguous to make progress (the rest of a header, or a whole frame that
   * does not stream); 0 when any more bytes do (a frame streaming, a pause, the end).
   * A caller whose input comes in chunks gathers that many before calling again.
   */
  wants = 0;

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
    this.wants = 0;
    if (this.sDest !== undefined && this.state === OPEN) {
      const r = this.streamInto(sink, buf, 0, 0);
      if (r === -1) return n;
      if (r < -1) return -2 - r;
      if (this.sDest !== undefined) return r;
      at = r;
    }
    while (this.state === OPEN) {
      const left = n - at;
      if (left < 2) { this.wants = 2; return at; }
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
        if (left < 4) { this.wants = 4; return at; }
        len = buf.readUInt16BE(at + 2);
        // Section 5.2: "the minimal number of bytes MUST be used to encode the length".
        if (len < 126) return this.fail(sink, n, WS_CLOSE_PROTOCOL_ERROR, `length ${len} in a 16-bit field`);
        hdr = 4;
      } else if (len === 127) {
        if (left < 10) { this.wants = 10; return at; }
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
        // A large data frame is not left to pile up in the caller's buffer (which would
        // grow, copying, as it arrives): it streams into its final place (see streamInto).
        if (!isControl && len >= STREAM_MIN) {
          if (from <= n) {
            const used = this.startStream(sink, buf, b0, op, compressed, text, masked, keyAt, from, len);
            return used < 0 ? n : used;
          }
          this.wants = hdr; // only the rest of the header (the masking key) is needed at once
        } else this.wants = hdr + len;
        // Incomplete: check the text that is there, then wait for the rest.
        if (text && n > from + this.partial) {
          if (this.partial === 0 && op === WEBSOCKET_OP_TEXT) this.utf8 = UTF8_ACCEPT;
          if (masked) unmask(buf, from + this.partial, n, buf, keyAt, this.partial);
          this.utf8 = utf8Feed(this.utf8, buf, from + this.partial, n);
          this.partial = n - from;
          if (this.utf8 === UTF8_REJECT) return this.fail(sink, n, WS_CLOSE_INVALID_PAYLOAD, "text message is not valid UTF-8");
        }
        return at;
      }
      // The frame is complete.
      const done = this.partial;
      this.partial = 0;
      if (masked && len > done) unmask(buf, from + done, end, buf, keyAt, done);
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
          if (fin) this.utf8 = len === 0 || isUtf8(whole = buf.subarray(from, end)) ? UTF8_ACCEPT : UTF8_REJECT;
          else this.utf8 = utf8Feed(UTF8_ACCEPT, buf, from, end);
        } else if (len > done) {
          this.utf8 = utf8Feed(this.utf8, buf, from + done, end);
        }
        if (this.utf8 === UTF8_REJECT) return this.fail(sink, n, WS_CLOSE_INVALID_PAYLOAD, "text message is not valid UTF-8");
        if (fin && this.utf8 !== UTF8_ACCEPT) {
          return this.fail(sink, n, WS_CLOSE_INVALID_PAYLOAD, "text message ends inside a UTF-8 sequence");
        }
      }

      if (!fin || op === WEBSOCKET_OP_CONTINUE) {
        // A fragment: copy it into the assembly buffer (no view of it is kept or made).
        if (op !== WEBSOCKET_OP_CONTINUE) this.startMessage(op, compressed);
        this.msgFrames++;
        this.append(buf, from, end, compressed ? this.maxWire : this.maxMessage);
        if (!fin) continue;
      }
      let payload: Buffer = EMPTY;
      if (op !== WEBSOCKET_OP_CONTINUE && len > 0) payload = whole ?? buf.subarray(from, end);
      const r = this.frameDone(sink, n, op, fin, compressed, payload);
      if (r < 0) return n;
      if (r === 0) return at;
    }
    return n;
  }

  private startMessage(op: number, compressed: boolean): void {
    this.msgOp = op; this.msgCompressed = compressed; this.msgFrames = 0;
  }

  /**
   * A data frame is complete (its bytes unmasked, its text checked; a fragment's bytes
   * already in the assembly buffer). Delivers the message when it is the last frame.
   * Returns 1 to go on, 0 when the sink asks to pause, -1 after a failure.
   */
  private frameDone(sink: WsDecodeSink, n: number, op: number, fin: boolean, compressed: boolean, payload: Buffer): number {
    if (!fin) return 1;
    let msgOp = op, data = payload;
    if (op === WEBSOCKET_OP_CONTINUE) {
      msgOp = this.msgOp;
      data = this.asm!.subarray(0, this.asmLen);
      // The message owns the assembly buffer now; the next one starts a new one.
      this.msgOp = 0; this.msgCompressed = false; this.msgFrames = 0; this.asm = undefined; this.asmLen = 0;
    }
    if (compressed) {
      const out = this.deflate!.decompress(data);
      if (out instanceof InflateError) { this.fail(sink, n, out.code, out.reason); return -1; }
      if (msgOp === WEBSOCKET_OP_TEXT && !isUtf8(out)) { this.fail(sink, n, WS_CLOSE_INVALID_PAYLOAD, "text message is not valid UTF-8"); return -1; }
      data = out;
    }
    return sink.message(msgOp, data, FIN | (compressed ? RSV1 : 0) | msgOp) === false ? 0 : 1;
  }

  /**
   * Starts streaming an incomplete large data frame whose header starts `buf` (payload at
   * `from`): its payload goes straight to where it ends up — a buffer of its own for an
   * unfragmented message, the assembly buffer for a fragment — and the input is
   * consumed as it comes, so each byte is copied once however the frame arrives.
   * Returns the bytes consumed (all of `buf`), or -1 after a failure.
   */
  private startStream(sink: WsDecodeSink, buf: Buffer, b0: number, op: number, compressed: boolean, text: boolean,
    masked: boolean, keyAt: number, from: number, len: number): number {
    const fin = (b0 & FIN) !== 0;
    if (text && op === WEBSOCKET_OP_TEXT && this.partial === 0) this.utf8 = UTF8_ACCEPT;
    let dest: Buffer, destAt: number;
    if (!fin || op === WEBSOCKET_OP_CONTINUE) {
      if (op !== WEBSOCKET_OP_CONTINUE) this.startMessage(op, compressed);
      this.msgFrames++;
      dest = this.reserve(this.asmLen + len, compressed ? this.maxWire : this.maxMessage);
      destAt = this.asmLen;
    } else {
      dest = Buffer.allocUnsafe(len);
      destAt = 0;
    }
    const key = this.key;
    if (masked) { key[0] = buf[keyAt]!; key[1] = buf[keyAt + 1]!; key[2] = buf[keyAt + 2]!; key[3] = buf[keyAt + 3]!; }
    this.sMasked = masked && (key[0]! | key[1]! | key[2]! | key[3]!) !== 0;
    this.sDest = dest; this.sStart = destAt; this.sLen = len; this.sGot = 0;
    this.sB0 = b0; this.sOp = op; this.sCompressed = compressed; this.sText = text;
    // Bytes of an incomplete text frame that were already unmasked and checked in place.
    const done = this.partial;
    this.partial = 0;
    return this.streamInto(sink, buf, from, done) < 0 ? -1 : buf.length;
  }

  /**
   * Copies `buf[from..)` (at most what the streamed frame still lacks) into place,
   * unmasks and checks it; the first `done` bytes are already unmasked and checked.
   * Returns the bytes of `buf` used; -1 after a failure, and -2 - used when the sink
   * asks to pause after the frame.
   */
  private streamInto(sink: WsDecodeSink, buf: Buffer, from: number, done: number): number {
    const k = Math.min(buf.length - from, this.sLen - this.sGot);
    if (k > 0) buf.copy(this.sDest!, this.sStart + this.sGot, from, from + k);
    return this.streamed(sink, k, done);
  }

  /**
   * While a large frame streams (streamLeft > 0): the buffer its next payload bytes go
   * to, at streamAt. A caller that can have them written there directly (the receive
   * path reading straight into it) reports them with placed() instead of decode().
   */
  get streamTarget(): Buffer | undefined { return this.state === OPEN ? this.sDest : undefined; }
  get streamAt(): number { return this.sStart + this.sGot; }
  get streamLeft(): number { return this.sDest === undefined ? 0 : this.sLen - this.sGot; }

  /**
   * `k` more payload bytes of the streaming frame were written at streamAt of
   * streamTarget (at most streamLeft): unmasked and checked as decode() does with bytes
   * it copies there, and the message delivered when they complete it (a failure goes
   * to the sink, as from decode()).
   */
  placed(sink: WsDecodeSink, k: number): void {
    if (this.sDest !== undefined && this.state === OPEN && k > 0) this.streamed(sink, Math.min(k, this.sLen - this.sGot), 0);
  }

  /** `k` payload bytes of the streaming frame are in place (the first `done` already unmasked and checked): see streamInto(). */
  private streamed(sink: WsDecodeSink, k: number, done: number): number {
    const dest = this.sDest!;
    const at = this.sStart + this.sGot;
    if (this.sMasked && k > done) unmask(dest, at + done, at + k, this.key, 0, this.sGot + done);
    if (this.sText && k > done) {
      this.utf8 = utf8Feed(this.utf8, dest, at + done, at + k);
      if (this.utf8 === UTF8_REJECT) { this.sDest = undefined; this.fail(sink, 0, WS_CLOSE_INVALID_PAYLOAD, "text message is not valid UTF-8"); return -1; }
    }
    this.sGot += k;
    if (this.sGot < this.sLen) return k;
    // The frame is complete.
    this.sDest = undefined;
    const fin = (this.sB0 & FIN) !== 0;
    if (this.sText && fin && this.utf8 !== UTF8_ACCEPT) {
      this.fail(sink, 0, WS_CLOSE_INVALID_PAYLOAD, "text message ends inside a UTF-8 sequence");
      return -1;
    }
    if (dest === this.asm) this.asmLen += this.sLen;
    const r = this.frameDone(sink, 0, this.sOp, fin, this.sCompressed, dest);
    return r < 0 ? -1 : r === 0 ? -2 - k : k;
  }

  /** The assembly buffer with room for `need` bytes, doubling it as needed (never past `limit`). */
  private reserve(need: number, limit: number): Buffer {
    const a = this.asm;
    if (a !== undefined && need <= a.length) return a;
    const cap = Math.min(limit, Math.max(need, (a?.length ?? 0) * 2, 256));
    const next = Buffer.allocUnsafe(cap);
    if (a !== undefined && this.asmLen > 0) a.copy(next, 0, 0, this.asmLen);
    return this.asm = next;
  }

  /** Appends `b[from..to)` to the assembly buffer. */
  private append(b: Buffer, from: number, to: number, limit: number): void {
    const len = to - from;
    const need = this.asmLen + len;
    const a = this.reserve(need, limit);
    if (len === 1) a[this.asmLen] = b[from]!;
    else if (len > 0) b.copy(a, this.asmLen, from, to);
    this.asmLen = need;
  }

  private fail(sink: WsDecodeSink, n: number, code: number, reason: string): number {
    this.state = FAILED;
    this.sDest = undefined;
    this.asm = undefined;
    this.asmLen = 0;
    sink.fail(code, reason);
    return n;
  }
}

/**
 * XORs `b[from..to)` in place with the 4-byte key at `key[keyAt..keyAt+4)`; `phase` is
 * the payload offset of `from` (section 5.3). A zero key changes nothing and is skipped.
 * Long runs go 32 bits at a time over the 4-byte-aligned middle.
 */
function unmask(b: Buffer, from: number, to: number, key: Buffer, keyAt: number, phase: number): void {
  const m0 = key[keyAt + (phase & 3)]!, m1 = key[keyAt + ((phase + 1) & 3)]!;
  const m2 = key[keyAt + ((phase + 2) & 3)]!, m3 = key[keyAt + ((phase + 3) & 3)]!;
  if ((m0 | m1 | m2 | m3) === 0) return;
  let i = from;
  if (to - from >= WORDS_MIN) {
    // Bytes up to a 4-byte boundary of the underlying memory, then whole words.
    let k0 = m0, k1 = m1, k2 = m2, k3 = m3;
    while (((b.byteOffset + i) & 3) !== 0) {
      b[i] = b[i]! ^ k0;
      const t = k0; k0 = k1; k1 = k2; k2 = k3; k3 = t;
      i++;
    }
    const words = (to - i) >>> 2;
    // Typed arrays use the platform's byte order: build the word to match it.
    const m = LITTLE_ENDIAN ? (k0 | (k1 << 8) | (k2 << 16) | (k3 << 24)) : ((k0 << 24) | (k1 << 16) | (k2 << 8) | k3);
    const w = new Int32Array(b.buffer, b.byteOffset + i, words);
    for (let j = 0; j < words; j++) w[j] = w[j]! ^ m;
    i += words << 2;
    for (let q = 0; i < to; i++, q++) b[i] = b[i]! ^ (q === 0 ? k0 : q === 1 ? k1 : k2);
    return;
  }
  xorKeyBytes(b, i, to, m0, m1, m2, m3);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
// Below this many bytes the byte loop is as fast as setting up a word view.
const WORDS_MIN = 256;
