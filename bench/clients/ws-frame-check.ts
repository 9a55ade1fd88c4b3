// The load client's receive side: checks a server's frames against the one payload every
// message must carry, byte by byte as the bytes arrive, so nothing is buffered or copied
// and frames may be split across reads at any byte or packed several to a read. Only what
// the benchmark expects passes: unfragmented, unmasked text frames (RFC 6455 section 5.2)
// whose payload equals the expected bytes. Anything else is an error that fails the run.

const enum State { B0, B1, EXT_LEN, PAYLOAD, FAILED }

const FIN_TEXT = 0x81;
const OP_CLOSE = 0x8;

export class FrameChecker {
  /** Why the stream was rejected; once set, `feed` ignores further bytes. */
  error: string | undefined;
  private state = State.B0;
  private len = 0;
  private extLeft = 0;
  private extBytes = 0;
  private at = 0;

  /** `b0`: the first byte every frame must have (default FIN + text; 0x82 for binary). */
  constructor(private readonly expected: Buffer, private readonly b0 = FIN_TEXT) {}

  /**
   * Checks `buf[start..end)`; calls `onMessage` once per complete, correct message.
   * Returns false when the stream is wrong (see `error`).
   */
  feed(buf: Buffer, start: number, end: number, onMessage: () => void): boolean {
    const exp = this.expected;
    let i = start;
    while (i < end) {
      switch (this.state) {
        case State.B0: {
          const b0 = buf[i++]!;
          if (b0 !== this.b0) {
            // A close frame's status code (section 5.5.1) says why, when it came in this read.
            if ((b0 & 0x0f) === OP_CLOSE) {
              const code = end - i >= 3 && (buf[i]! & 0x7f) >= 2 ? ` (code ${buf.readUInt16BE(i + 1)})` : "";
              return this.fail(`the server sent a close frame${code}`);
            }
            return this.fail(`unexpected frame: first byte 0x${b0.toString(16)}, expected 0x${this.b0.toString(16)} (FIN, ${this.b0 === FIN_TEXT ? "text" : "binary"}, no RSV bits)`);
          }
          this.state = State.B1;
          break;
        }
        case State.B1: {
          const b1 = buf[i++]!;
          // Section 5.1: a server never masks its frames.
          if ((b1 & 0x80) !== 0) return this.fail("masked frame from the server");
          const len7 = b1 & 0x7f;
          if (len7 < 126) {
            if (!this.startPayload(len7)) return false;
            if (len7 === 0) { this.state = State.B0; onMessage(); }
          } else {
            this.extLeft = len7 === 126 ? 2 : 8;
            this.extBytes = this.extLeft;
            this.len = 0;
            this.state = State.EXT_LEN;
          }
          break;
        }
        case State.EXT_LEN: {
          this.len = this.len * 256 + buf[i++]!;
          if (--this.extLeft > 0) break;
          // Section 5.2: the length uses the shortest form that holds it.
          const min = this.extBytes === 2 ? 126 : 65536;
          if (this.len < min) return this.fail(`payload length ${this.len} not in its shortest form`);
          if (!this.startPayload(this.len)) return false;
          break;
        }
        case State.PAYLOAD: {
          const n = Math.min(end - i, this.len - this.at);
          // Buffer#compare over ranges: a native comparison, no copy, no view object.
          if (exp.compare(buf, i, i + n, this.at, this.at + n) !== 0) {
            return this.fail(`payload differs from the ${exp.length} bytes sent (within bytes ${this.at}..${this.at + n})`);
          }
          i += n;
          this.at += n;
          if (this.at === this.len) { this.state = State.B0; onMessage(); }
          break;
        }
        case State.FAILED:
          return false;
      }
    }
    return true;
  }

  private startPayload(len: number): boolean {
    if (len !== this.expected.length) return this.fail(`message of ${len} bytes, expected ${this.expected.length}`);
    this.len = len;
    this.at = 0;
    this.state = State.PAYLOAD;
    return true;
  }

  private fail(why: string): false {
    this.error = why;
    this.state = State.FAILED;
    return false;
  }
}

/**
 * A client text frame carrying `payload` (section 5.2), `copies` times back to back.
 * The mask key is zero: section 5.3 requires every client frame to be masked but a zero
 * key leaves the payload bytes as they are, so the frame is built once and sent as is.
 * Fine for a benchmark (the server still runs its unmasking code over the payload); a real
 * client must use unpredictable keys (section 10.3).
 */
export function maskedTextFrames(payload: Buffer, copies = 1, b0 = FIN_TEXT): Buffer {
  const len = payload.length;
  const hl = (len < 126 ? 2 : len < 65536 ? 4 : 10) + 4;
  const one = Buffer.alloc(hl + len); // zero-filled: the mask key stays 0
  one[0] = b0;
  if (len < 126) one[1] = 0x80 | len;
  else if (len < 65536) { one[1] = 0x80 | 126; one.writeUInt16BE(len, 2); }
  else { one[1] = 0x80 | 127; one.writeUInt32BE(Math.floor(len / 0x100000000), 2); one.writeUInt32BE(len >>> 0, 6); }
  payload.copy(one, hl);
  return Buffer.concat(Array.from({ length: copies }, () => one));
}
