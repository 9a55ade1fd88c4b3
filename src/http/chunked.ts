// Resumable decoder for chunked bodies (RFC 9112 section 7.1). A byte-level state
// machine over the grammar
//   chunked-body = *chunk last-chunk trailer-section CRLF
//   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//   chunk-ext    = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
// It remembers how far it got, so a body that arrives in many reads is scanned once, and
// refuses at the first byte that breaks the grammar. The data is copied into one growing
// buffer, so memory stays O(body), whatever the number of chunks.
import { HttpParseError } from "./parser.js";
import { TOKEN, FIELD_VCHAR, isSpTab, lowerEquals } from "./grammar.js";

const CR = 13, LF = 10, SEMI = 0x3b, EQ = 0x3d, DQUOTE = 0x22, BSLASH = 0x5c, COLON = 0x3a;
/** Longest chunk-size line (with extensions) and longest trailer section. */
const MAX_LINE = 4096;
const MAX_TRAILER = 16 * 1024;

const enum St {
  Size, SizeBws, ExtPreName, ExtName, ExtPostName, ExtPreVal, ExtVal, ExtQuoted, ExtQuotedPair, ExtAfterQuoted, ExtPostVal,
  LineLf, Data, DataCr, DataLf, TrailerStart, TrailerName, TrailerOws, TrailerValue, TrailerLf, FinalLf, Done,
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

const bad = (reason: string): HttpParseError => new HttpParseError(400, reason);

export class ChunkedDecoder {
  private st = St.Size;
  private pos: number;
  /** Value of the chunk-size being read, then bytes of chunk-data still to come. */
  private remaining = 0;
  private digits = 0;
  /** Where the current line (size line or trailer field) or trailer name started. */
  private lineStart = 0;
  private trailerStart = 0;
  /** The body while it is one piece: a view of the fed bytes, no copy. */
  private first: Buffer | undefined;
  /** The body once a second piece arrived: bytes [0, size) of one growing buffer. */
  private acc: Buffer | undefined;
  /** Decoded body bytes so far. */
  size = 0;

  /** `start`: offset of the first body byte in the buffers fed later. */
  constructor(start: number, private readonly maxBody: number) { this.pos = this.lineStart = start; }

  /**
   * Continues decoding `buf` (the same bytes as before, possibly longer). Returns the
   * offset just past the message, 0 when more bytes are needed, or an error (400, 413, 431).
   */
  feed(buf: Buffer): number | HttpParseError {
    const n = buf.length;
    let i = this.pos;
    let st = this.st;
    try {
      while (i < n) {
        const c = buf[i]!;
        switch (st) {
          case St.Size: {
            // chunk-size = 1*HEXDIG; leading zeros carry no value and are not counted.
            const d = hexValue(c);
            if (d >= 0) {
              this.remaining = this.remaining * 16 + d;
              // Refused as soon as the size alone passes the limit (no overflow: the
              // value never grows past maxBody * 16 + 15 before this check).
              if (this.remaining > this.maxBody - this.size) return new HttpParseError(413, `body larger than ${this.maxBody} bytes`);
              this.digits++;
              break;
            }
            if (this.digits === 0) return bad("invalid chunk size");
            if (c === SEMI) st = St.ExtPreName;
            else if (isSpTab(c)) st = St.SizeBws; // BWS, only before ";"
            else if (c === CR) st = St.LineLf;
            else return bad("invalid chunk size");
            break;
          }
          case St.SizeBws:
            if (c === SEMI) st = St.ExtPreName;
            else if (!isSpTab(c)) return bad("whitespace after the chunk size");
            break;
          case St.ExtPreName:
            // BWS chunk-ext-name: the name is a token and may not be empty ("2;").
            if (TOKEN[c]) st = St.ExtName;
            else if (!isSpTab(c)) return bad("invalid chunk extension name");
            break;
          case St.ExtName:
            if (TOKEN[c]) break;
            if (c === SEMI) st = St.ExtPreName;
            else if (c === EQ) st = St.ExtPreVal;
            else if (c === CR) st = St.LineLf;
            else if (isSpTab(c)) st = St.ExtPostName;
            else return bad("invalid chunk extension name");
            break;
          case St.ExtPostName:
            // BWS is only allowed before ";" or "=", never before the CRLF.
            if (c === SEMI) st = St.ExtPreName;
            else if (c === EQ) st = St.ExtPreVal;
            else if (!isSpTab(c)) return bad("invalid chunk extension");
            break;
          case St.ExtPreVal:
            // chunk-ext-val = token / quoted-string
            if (c === DQUOTE) st = St.ExtQuoted;
            else if (TOKEN[c]) st = St.ExtVal;
            else if (!isSpTab(c)) return bad("invalid chunk extension value");
            break;
          case St.ExtVal:
            if (TOKEN[c]) break;
            if (c === SEMI) st = St.ExtPreName;
            else if (c === CR) st = St.LineLf;
            else if (isSpTab(c)) st = St.ExtPostVal;
            else return bad("invalid chunk extension value");
            break;
          case St.ExtQuoted:
            // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text (RFC 9110 section 5.6.4)
            if (c === DQUOTE) st = St.ExtAfterQuoted;
            else if (c === BSLASH) st = St.ExtQuotedPair;
            else if (!FIELD_VCHAR[c] && !isSpTab(c)) return bad("invalid character in quoted chunk extension");
            break;
          case St.ExtQuotedPair:
            // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
            if (!FIELD_VCHAR[c] && !isSpTab(c)) return bad("invalid quoted-pair in chunk extension");
            st = St.ExtQuoted;
            break;
          case St.ExtAfterQuoted:
            if (c === SEMI) st = St.ExtPreName;
            else if (c === CR) st = St.LineLf;
            else if (isSpTab(c)) st = St.ExtPostVal;
            else return bad("invalid chunk extension value");
            break;
          case St.ExtPostVal:
            if (c === SEMI) st = St.ExtPreName;
            else if (!isSpTab(c)) return bad("invalid chunk extension");
            break;
          case St.LineLf:
            if (c !== LF) return bad("bare CR in chunk size line");
            if (this.remaining === 0) {
              st = St.TrailerStart;
              this.trailerStart = i + 1;
            } else st = St.Data;
            this.lineStart = i + 1;
            break;
          case St.Data: {
            const avail = n - i;
            const take = avail < this.remaining ? avail : this.remaining;
            this.append(buf, i, take);
            this.remaining -= take;
            i += take;
            if (this.remaining === 0) st = St.DataCr;
            continue;
          }
          case St.DataCr:
            if (c !== CR) return bad("missing CRLF after chunk data");
            st = St.DataLf;
            break;
          case St.DataLf:
            if (c !== LF) return bad("missing CRLF after chunk data");
            st = St.Size;
            this.digits = 0;
            this.lineStart = i + 1;
            break;
          case St.TrailerStart:
            // trailer-section = *( field-line CRLF ), then the final CRLF.
            if (c === CR) { st = St.FinalLf; break; }
            if (isSpTab(c)) return bad("obsolete line folding in trailer");
            if (!TOKEN[c]) return bad("invalid character in trailer name");
            this.lineStart = i;
            st = St.TrailerName;
            break;
          case St.TrailerName:
            if (TOKEN[c]) break;
            if (c !== COLON) return bad(isSpTab(c) ? "whitespace before the colon in a trailer" : "invalid character in trailer name");
            // Framing fields cannot be trailers (RFC 9110 section 6.5.1); node refuses these two.
            if (isName(buf, this.lineStart, i, "content-length") || isName(buf, this.lineStart, i, "transfer-encoding")) {
              return bad("framing header in trailer");
            }
            st = St.TrailerValue;
            break;
          case St.TrailerValue:
            if (c === CR) st = St.TrailerLf;
            else if (!FIELD_VCHAR[c] && !isSpTab(c)) return bad("invalid character in trailer value");
            break;
          case St.TrailerLf:
            if (c !== LF) return bad("bare CR in trailer");
            st = St.TrailerStart;
            break;
          case St.FinalLf:
            if (c !== LF) return bad("bare CR after trailer");
            st = St.Done;
            i++;
            this.pos = i;
            return i;
          case St.Done:
            return i;
        }
        i++;
        // Bound the lines that are not data: one size line, the whole trailer section.
        if (st < St.Data && i - this.lineStart > MAX_LINE) return bad("chunk size line too long");
        if (st >= St.TrailerStart && i - this.trailerStart > MAX_TRAILER) return new HttpParseError(431, "trailer section too large");
      }
      return st === St.Done ? i : 0;
    } finally {
      this.pos = i;
      this.st = st;
    }
  }

  /** The decoded body: one view when it came in one piece, else the assembled copy. */
  body(): Buffer {
    if (this.acc !== undefined) return this.acc.subarray(0, this.size);
    return this.first ?? Buffer.alloc(0);
  }

  /** Adds buf[i..i+len) to the body: O(1) objects per piece, amortised O(1) copies per byte. */
  private append(buf: Buffer, i: number, len: number): void {
    if (len === 0) return;
    if (this.size === 0) {
      this.first = buf.subarray(i, i + len);
      this.size = len;
      return;
    }
    const need = this.size + len;
    let acc = this.acc;
    if (acc === undefined || acc.length < need) {
      const grown = Buffer.allocUnsafe(Math.min(Math.max(need, acc === undefined ? 256 : acc.length * 2), Math.max(need, this.maxBody)));
      if (acc !== undefined) acc.copy(grown, 0, 0, this.size);
      else this.first!.copy(grown, 0);
      this.first = undefined;
      acc = this.acc = grown;
    }
    buf.copy(acc, this.size, i, i + len);
    this.size = need;
  }
}

function isName(b: Buffer, a: number, e: number, lower: string): boolean {
  return e - a === lower.length && lowerEquals(b, a, lower);
}
