// Resumable decoder for chunked bodies (RFC 9112 section 7.1). It remembers how far it
// got, so a body that arrives in many reads is scanned once, not once per read.
import { HttpParseError } from "./parser.js";

const CR = 13, LF = 10;
const MAX_LINE = 4096; // chunk-size line with extensions, or one trailer line

const enum St { Size, Data, DataEnd, Trailer, Done }

export class ChunkedDecoder {
  private st = St.Size;
  private pos: number;
  private remaining = 0;
  private readonly parts: Buffer[] = [];
  /** Decoded body bytes so far. */
  size = 0;

  /** `start`: offset of the first body byte in the buffers fed later. */
  constructor(start: number, private readonly maxBody: number) { this.pos = start; }

  /**
   * Continues decoding `buf` (the same bytes as before, possibly longer). Returns the
   * offset just past the message, 0 when more bytes are needed, or an error.
   */
  feed(buf: Buffer): number | HttpParseError {
    for (;;) {
      switch (this.st) {
        case St.Size: {
          const e = this.lineEnd(buf);
          if (e < 0) return e === -1 ? 0 : new HttpParseError(400, "chunk size line too long");
          let n = 0, i = this.pos, digits = 0;
          for (; i < e; i++) {
            const c = buf[i]!;
            const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 ? (c | 0x20) - 0x61 + 10 : -1;
            if (d < 0) break;
            if (++digits > 12) return new HttpParseError(413, "chunk size too large");
            n = n * 16 + d;
          }
          if (digits === 0) return new HttpParseError(400, "invalid chunk size");
          // Only whitespace before an extension (";name=value") may follow the size.
          while (i < e && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
          if (i < e && buf[i] !== 0x3b) return new HttpParseError(400, "invalid chunk size");
          for (; i < e; i++) if (buf[i]! < 0x20 && buf[i] !== 0x09) return new HttpParseError(400, "invalid character in chunk extension");
          if (this.size + n > this.maxBody) return new HttpParseError(413, `body larger than ${this.maxBody} bytes`);
          this.pos = e + 2;
          if (n === 0) { this.st = St.Trailer; break; }
          this.remaining = n;
          this.st = St.Data;
          break;
        }
        case St.Data: {
          const avail = buf.length - this.pos;
          if (avail <= 0) return 0;
          const take = avail < this.remaining ? avail : this.remaining;
          this.parts.push(buf.subarray(this.pos, this.pos + take));
          this.size += take;
          this.pos += take;
          this.remaining -= take;
          if (this.remaining > 0) return 0;
          this.st = St.DataEnd;
          break;
        }
        case St.DataEnd: {
          if (buf.length - this.pos < 2) return 0;
          if (buf[this.pos] !== CR || buf[this.pos + 1] !== LF) return new HttpParseError(400, "missing CRLF after chunk data");
          this.pos += 2;
          this.st = St.Size;
          break;
        }
        case St.Trailer: {
          const e = this.lineEnd(buf);
          if (e < 0) return e === -1 ? 0 : new HttpParseError(400, "trailer line too long");
          const empty = e === this.pos;
          if (!empty) {
            if (buf[this.pos] === 0x20 || buf[this.pos] === 0x09) return new HttpParseError(400, "obsolete line folding in trailer");
            for (let i = this.pos; i < e; i++) if (buf[i]! < 0x20 && buf[i] !== 0x09) return new HttpParseError(400, "invalid character in trailer");
          }
          this.pos = e + 2;
          if (empty) { this.st = St.Done; return this.pos; }
          break;
        }
        case St.Done:
          return this.pos;
      }
    }
  }

  /** The decoded body: one view when it came in one piece, else a copy. */
  body(): Buffer {
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
  }

  /** Offset of CR in the next CRLF; -1 when not there yet, -2 when the line is too long or has a bare LF. */
  private lineEnd(buf: Buffer): number {
    const lf = buf.indexOf(LF, this.pos);
    if (lf < 0) return buf.length - this.pos > MAX_LINE ? -2 : -1;
    if (lf === this.pos || buf[lf - 1] !== CR || lf - this.pos > MAX_LINE) return -2;
    return lf - 1;
  }
}
