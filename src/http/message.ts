// HttpMessage: a parsed request or response. It keeps views over the received bytes
// (which are never overwritten) and decodes header names/values only when asked.
import { httpVar } from "./vars.js";

const EMPTY = Buffer.alloc(0);

/**
 * A request or response. `head` is the head decoded as latin1 (one string per message);
 * `hdr` holds, per header, the offsets [nameStart, nameEnd, valueStart, valueEnd] into it.
 */
export class HttpMessage {
  /** Request method ("GET"), or the protocol for responses ("HTTP/1.1"). */
  readonly method: string;
  /** Request path without the query ("/api/users"); for responses, the status code text ("200"). */
  readonly uri: string;
  /** Query string without "?" ("" when absent). */
  readonly query: string;
  /** Protocol ("HTTP/1.1"); for responses, the reason phrase ("OK"). */
  readonly proto: string;
  /** The whole message as received: head and body (chunked bodies in their chunked form). */
  message: Buffer;
  /** The body (chunked bodies decoded). */
  bodyBytes: Buffer;
  /** @internal */ readonly _hdr: number[];
  /** @internal */ readonly _isResponse: boolean;
  #bodyText: string | undefined;
  // The head as latin1 text, decoded when first needed, and its length in bytes of #src.
  #head: string | undefined;
  readonly #headLen: number;
  // The received bytes the head is at the start of (message may be replaced by a longer view).
  readonly #src: Buffer;

  /**
   * @internal Built by the parser. `head` is the head decoded as latin1 (without the
   * final CRLFCRLF), or its length in bytes to decode from `message` when needed.
   */
  constructor(
    method: string, uri: string, query: string, proto: string,
    message: Buffer, body: Buffer, head: string | number, hdr: number[], isResponse: boolean,
  ) {
    this.method = method; this.uri = uri; this.query = query; this.proto = proto;
    this.message = message; this.bodyBytes = body;
    if (typeof head === "string") { this.#head = head; this.#headLen = head.length; } else { this.#head = undefined; this.#headLen = head; }
    this.#src = message; this._hdr = hdr; this._isResponse = isResponse;
  }

  /** @internal The head as latin1 text (start line and headers, without the final CRLFCRLF), decoded once. */
  get _head(): string { return this.#head ??= this.#src.toString("latin1", 0, this.#headLen); }

  /** The body decoded as UTF-8. */
  get bodyText(): string {
    return (this.#bodyText ??= this.bodyBytes.length === 0 ? "" : this.bodyBytes.toString("utf8"));
  }

  /** The head (start line and headers, without the final blank line) as received. */
  get head(): Buffer { return this.message.subarray(0, this.#headLen); }

  /** Value of the first header called `name` (any case), or `def`. */
  header(name: string): string | undefined;
  header(name: string, def: string): string;
  header(name: string, def?: string): string | undefined {
    const i = this.find(name, 0);
    return i < 0 ? def : this.value(i);
  }

  /** Values of every header called `name` (repeated headers are kept in order). */
  headerAll(name: string): string[] {
    const out: string[] = [];
    for (let i = this.find(name, 0); i >= 0; i = this.find(name, i + 4)) out.push(this.value(i));
    return out;
  }

  /** Every header as [name, value], in the order received. */
  headers(): [string, string][] {
    const h = this._hdr;
    const out: [string, string][] = new Array(h.length >> 2);
    for (let i = 0; i < h.length; i += 4) out[i >> 2] = [this._head.slice(h[i]!, h[i + 1]!), this.value(i)];
    return out;
  }

  /** A URL-decoded variable of the query string, or undefined. */
  queryVar(name: string): string | undefined {
    return this.query ? httpVar(this.query, name) : undefined;
  }

  /**
   * A variable inside a header value, as in Mongoose's mg_http_get_header_var:
   * `headerVar("Content-Type", "boundary")`, `headerVar("Cookie", "session")`.
   */
  headerVar(headerName: string, varName: string): string | undefined {
    const v = this.header(headerName);
    return v === undefined ? undefined : headerVarOf(v, varName);
  }

  /** The status code of a response (undefined for requests). */
  status(): number | undefined {
    if (!this._isResponse) return undefined;
    const n = Number(this.uri);
    return Number.isInteger(n) ? n : undefined;
  }

  private find(name: string, from: number): number {
    // Names are compared with the received bytes: no text of the head is needed for a miss.
    const h = this._hdr, s = this.#src, len = name.length;
    for (let i = from; i < h.length; i += 4) {
      const a = h[i]!;
      if (h[i + 1]! - a !== len) continue;
      let j = 0;
      for (; j < len; j++) {
        let x = s[a + j]!, y = name.charCodeAt(j);
        if (x === y) continue;
        x |= 0x20; y |= 0x20;
        if (x !== y || x < 0x61 || x > 0x7a) break;
      }
      if (j === len) return i;
    }
    return -1;
  }

  private value(i: number): string {
    const a = this._hdr[i + 2]!, b = this._hdr[i + 3]!;
    // The head is decoded as latin1; a value with bytes >= 0x80 is re-decoded as UTF-8.
    const s = this._head;
    for (let k = a; k < b; k++) {
      if (s.charCodeAt(k) > 0x7f) return this.message.toString("utf8", a, b);
    }
    return s.slice(a, b);
  }

  /** @internal An empty message, for responses generated without a request. */
  static empty(): HttpMessage { return new HttpMessage("", "", "", "", EMPTY, EMPTY, "", [], false); }
}

/**
 * Finds `name=value` (or `name="quoted value"`) in a header value whose parameters are
 * separated by `;` or `,` (Cookie, Content-Type, Content-Disposition, Authorization...).
 * Separators inside quoted strings do not split (RFC 9110 section 5.6.4).
 */
export function headerVarOf(v: string, name: string): string | undefined {
  const want = name.toLowerCase();
  let i = 0;
  while (i < v.length) {
    while (i < v.length && (v[i] === " " || v[i] === "\t" || v[i] === ";" || v[i] === ",")) i++;
    const keyStart = i;
    while (i < v.length && v[i] !== "=" && v[i] !== ";" && v[i] !== ",") i++;
    const key = v.slice(keyStart, i).trim().toLowerCase();
    if (v[i] !== "=") continue;
    i++;
    while (v[i] === " " || v[i] === "\t") i++;
    let value: string;
    if (v[i] === '"') {
      value = "";
      i++;
      while (i < v.length && v[i] !== '"') {
        if (v[i] === "\\" && i + 1 < v.length) i++;
        value += v[i++];
      }
      i++;
      while (i < v.length && v[i] !== ";" && v[i] !== ",") i++;
    } else {
      const vs = i;
      while (i < v.length && v[i] !== ";" && v[i] !== ",") i++;
      value = v.slice(vs, i).trim();
    }
    if (key === want) return value;
  }
  return undefined;
}
