// A streaming splitter of multipart/form-data bodies (RFC 7578 over RFC 2046 section
// 5.1.1) for httpUpload: bytes go in as they arrive, in pieces of any size, and come out
// as actions (part start with its headers, part data, part end, done), so a part never
// has to be held whole. Only a possible partial delimiter (at most its length) and the
// headers of one part (at most MAX_PART_HEAD) are kept between pieces.
import { httpParseMultipart } from "./multipart.js";

export type PartAction =
  | { kind: "start"; name: string; filename: string; contentType: string }
  | { kind: "data"; data: Buffer }
  | { kind: "end" }
  | { kind: "done" };

/** The most bytes of part headers accepted. */
export const MAX_PART_HEAD = 8192;

const enum S { Preamble, AfterDelim, Head, Body, Epilogue }

export class MultipartSplitter {
  /** "\r\n--" + boundary: every delimiter, the first one included (a CRLF is put in front of the body). */
  readonly #delim: Buffer;
  #s = S.Preamble;
  /** Bytes kept from the last piece: a possible partial delimiter, or partial headers. */
  #carry: Buffer = Buffer.from("\r\n");
  /** Set when the body is malformed: why, and the splitter stops. */
  error: string | undefined;

  constructor(boundary: string) {
    this.#delim = Buffer.from(`\r\n--${boundary}`, "latin1");
  }

  /** The boundary parameter of a Content-Type (RFC 2046 section 5.1.1: 1-70 characters), or undefined. */
  static boundaryOf(contentType: string | undefined): string | undefined {
    if (contentType === undefined) return undefined;
    const m = /^\s*multipart\/form-data\s*;(?:.*;)?\s*boundary=(?:"([^"]{1,70})"|([0-9A-Za-z'()+_,./:=?-]{1,70}))\s*(?:;.*)?$/i.exec(contentType);
    if (m === null) return undefined;
    const b = m[1] ?? m[2]!;
    // A boundary does not end with a space (the bchars grammar).
    return b.endsWith(" ") ? undefined : b;
  }

  /** Feeds a piece of the body; returns what it completes. After "done", the rest (epilogue) is ignored. */
  feed(piece: Buffer): PartAction[] {
    const out: PartAction[] = [];
    if (this.error !== undefined || this.#s === S.Epilogue) return out;
    let buf = this.#carry.length > 0 ? Buffer.concat([this.#carry, piece]) : piece;
    this.#carry = EMPTY;
    const d = this.#delim;
    for (;;) {
      if (this.#s === S.Preamble || this.#s === S.Body) {
        const at = buf.indexOf(d);
        if (at < 0) {
          // Keep what could be the start of a delimiter.
          const keep = Math.min(buf.length, d.length - 1);
          if (this.#s === S.Body && buf.length > keep) out.push({ kind: "data", data: buf.subarray(0, buf.length - keep) });
          this.#carry = Buffer.from(buf.subarray(buf.length - keep));
          return out;
        }
        if (this.#s === S.Body) {
          if (at > 0) out.push({ kind: "data", data: buf.subarray(0, at) });
          out.push({ kind: "end" });
        }
        buf = buf.subarray(at + d.length);
        this.#s = S.AfterDelim;
      }
      if (this.#s === S.AfterDelim) {
        // "--" closes the body; else transport padding, then CRLF opens a part.
        let i = 0;
        if (buf.length < 2) { this.#carry = Buffer.from(buf); return out; }
        if (buf[0] === 0x2d && buf[1] === 0x2d) { this.#s = S.Epilogue; out.push({ kind: "done" }); return out; }
        while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
        if (i + 2 > buf.length) {
          if (buf.length > 80) { this.error = "too much padding after a delimiter"; return out; }
          this.#carry = Buffer.from(buf);
          return out;
        }
        if (buf[i] !== 0x0d || buf[i + 1] !== 0x0a) { this.error = "a delimiter is not followed by CRLF or --"; return out; }
        buf = buf.subarray(i + 2);
        this.#s = S.Head;
      }
      if (this.#s === S.Head) {
        // Headers end with an empty line; a part without headers starts with it.
        const end = buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a ? 0 : buf.indexOf("\r\n\r\n");
        if (end < 0) {
          if (buf.length > MAX_PART_HEAD) { this.error = `part headers longer than ${MAX_PART_HEAD} bytes`; return out; }
          this.#carry = Buffer.from(buf);
          return out;
        }
        const headLen = end === 0 ? 0 : end + 2;
        if (headLen > MAX_PART_HEAD) { this.error = `part headers longer than ${MAX_PART_HEAD} bytes`; return out; }
        const start = this.#partHead(buf.subarray(0, headLen));
        if (start === undefined) { this.error = "malformed part headers"; return out; }
        out.push(start);
        buf = buf.subarray(headLen + 2);
        this.#s = S.Body;
      }
    }
  }

  /** The body ended (all bytes fed): an error unless the close delimiter was seen. */
  finish(): string | undefined {
    if (this.error !== undefined) return this.error;
    return this.#s === S.Epilogue ? undefined : "the body ended before the closing delimiter";
  }

  /** Parses one part's headers by handing them, as a one-part body, to httpParseMultipart (RFC 6266 file names included). */
  #partHead(head: Buffer): PartAction | undefined {
    const dash = this.#delim.subarray(2);
    const one = Buffer.concat([dash, CRLF, head, CRLF, CRLF, dash, DASHES]);
    const [, part] = httpParseMultipart(one);
    if (part === undefined) return undefined;
    return { kind: "start", name: part.name, filename: part.filename, contentType: part.contentType };
  }
}

const EMPTY = Buffer.alloc(0);
const CRLF = Buffer.from("\r\n");
const DASHES = Buffer.from("--\r\n");
