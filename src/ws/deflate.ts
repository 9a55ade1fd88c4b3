// permessage-deflate (RFC 7692): negotiation on both sides and message (de)compression.
//
// Context takeover without a long-lived zlib stream: Node's synchronous zlib calls
// start a fresh context every time, so each direction keeps the last window of
// plaintext that went through the compressor ("history") and primes the next call
// with it as a preset dictionary. A compressor primed this way emits back-references
// into that history exactly as a persistent one would, and an inflater primed with it
// resolves the peer's references into earlier messages. This keeps everything
// synchronous, so messages are delivered in order inside poll(), and an idle
// connection holds at most 32 KiB of history per direction instead of a zlib context.
import * as zlib from "node:zlib";

/** permessage-deflate settings (RFC 7692 section 7.1). */
export interface WsDeflateOptions {
  /**
   * Reset the server's compression context after each message. A server applies it
   * (and says so); a client asks the server for it.
   */
  serverNoContextTakeover?: boolean;
  /** Reset the client's compression context after each message (server: asks the client; client: applies it). */
  clientNoContextTakeover?: boolean;
  /** LZ77 window (8..15 bits) of the server's compressor. A client asks for it; a server uses at most this. */
  serverMaxWindowBits?: number;
  /** LZ77 window (8..15 bits) of the client's compressor. A server asks for it when the client allows. */
  clientMaxWindowBits?: number;
  /** Messages shorter than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /** zlib compression level 0..9 (default: zlib's default, 6). */
  level?: number;
  /** zlib memLevel 1..9 (default 8). */
  memLevel?: number;
}

const EXT = "permessage-deflate";
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const RECV_WINDOW = 1 << 15;
const SYNC = { finishFlush: zlib.constants.Z_SYNC_FLUSH } as const;

/** What was agreed for one connection, from this endpoint's point of view. */
export interface DeflateParams {
  /** Our compressor resets after each message. */
  sendNoContext: boolean;
  /** Our compressor's window bits. */
  sendWindowBits: number;
  /** The peer resets after each message: no history needed for inflating. */
  recvNoContext: boolean;
}

/** A decompression failure: the close code (1007 bad data, 1009 too big) and why. */
export class InflateError {
  constructor(readonly code: number, readonly reason: string) {}
}

/** The compressor and decompressor of one connection. */
export class PerMessageDeflate {
  readonly threshold: number;
  private readonly level: number;
  private readonly memLevel: number;
  private readonly maxMessage: number;
  private readonly sendWindow: number;
  private sendHist: Buffer | undefined;
  private sendHistLen = 0;
  private recvHist: Buffer | undefined;
  private recvHistLen = 0;

  constructor(readonly params: DeflateParams, opts: WsDeflateOptions, maxMessage: number) {
    this.threshold = opts.threshold ?? 1024;
    this.level = opts.level ?? zlib.constants.Z_DEFAULT_COMPRESSION;
    this.memLevel = opts.memLevel ?? 8;
    this.maxMessage = maxMessage;
    // zlib has no 8-bit raw window; with 9 bits its matches still stay within 250
    // bytes (window - MIN_LOOKAHEAD), inside a peer's 256-byte window.
    this.sendWindow = Math.max(9, params.sendWindowBits);
  }

  /** Compresses one message (RFC 7692 section 7.2.1): deflate, sync flush, drop the 4-byte tail. */
  compress(data: Buffer): Buffer {
    const dict = this.params.sendNoContext || this.sendHistLen === 0 ? undefined : this.sendHist!.subarray(0, this.sendHistLen);
    const out = zlib.deflateRawSync(data, {
      ...SYNC, windowBits: this.sendWindow, level: this.level, memLevel: this.memLevel, dictionary: dict,
    });
    if (!this.params.sendNoContext) {
      [this.sendHist, this.sendHistLen] = remember(this.sendHist, this.sendHistLen, data, 1 << this.sendWindow);
    }
    return out.subarray(0, out.length - 4);
  }

  /** Decompresses one message, given as its payload or its frames' payloads (section 7.2.2: append 00 00 FF FF, inflate). */
  decompress(payload: Buffer | readonly Buffer[]): Buffer | InflateError {
    const input = Buffer.isBuffer(payload) ? Buffer.concat([payload, TAIL]) : Buffer.concat([...payload, TAIL]);
    const dict = this.params.recvNoContext || this.recvHistLen === 0 ? undefined : this.recvHist!.subarray(0, this.recvHistLen);
    let out: Buffer;
    try {
      out = zlib.inflateRawSync(input, { ...SYNC, windowBits: 15, maxOutputLength: Math.max(1, this.maxMessage), dictionary: dict });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === "ERR_BUFFER_TOO_LARGE") return new InflateError(1009, `decompressed message is larger than ${this.maxMessage} bytes`);
      return new InflateError(1007, `cannot decompress message: ${err.message}`);
    }
    if (out.length > this.maxMessage) return new InflateError(1009, `decompressed message is larger than ${this.maxMessage} bytes`);
    if (!this.params.recvNoContext) {
      [this.recvHist, this.recvHistLen] = remember(this.recvHist, this.recvHistLen, out, RECV_WINDOW);
    }
    return out;
  }
}

/** Appends `data` to a history of at most `max` bytes, keeping the most recent bytes. */
function remember(hist: Buffer | undefined, len: number, data: Buffer, max: number): [Buffer, number] {
  const h = hist ?? Buffer.allocUnsafeSlow(max);
  const n = data.length;
  if (n >= max) { data.copy(h, 0, n - max); return [h, max]; }
  const keep = Math.min(len, max - n);
  if (keep > 0 && keep < len) h.copyWithin(0, len - keep, len);
  data.copy(h, keep);
  return [h, keep + n];
}

// ---- negotiation ----------------------------------------------------------------------

type Params = [name: string, value: string | undefined][];
interface Offer { name: string; params: Params }

/**
 * Parses Sec-WebSocket-Extensions values (RFC 6455 section 9.1): a list of
 * `name; param[=token|"quoted"]`. Returns undefined when malformed.
 */
export function parseExtensions(values: readonly string[]): Offer[] | undefined {
  const s = values.join(",");
  const out: Offer[] = [];
  let i = 0;
  const n = s.length;
  const skipWs = (): void => { while (i < n && (s[i] === " " || s[i] === "\t")) i++; };
  const token = (): string => {
    const a = i;
    while (i < n && isTchar(s.charCodeAt(i))) i++;
    return s.slice(a, i);
  };
  for (;;) {
    skipWs();
    if (i >= n) break;
    if (s[i] === ",") { i++; continue; } // empty list elements are allowed
    const name = token().toLowerCase();
    if (name === "") return undefined;
    const params: Params = [];
    skipWs();
    while (i < n && s[i] === ";") {
      i++; skipWs();
      const pn = token().toLowerCase();
      if (pn === "") return undefined;
      skipWs();
      let value: string | undefined;
      if (s[i] === "=") {
        i++; skipWs();
        if (s[i] === '"') {
          i++;
          let v = "";
          while (i < n && s[i] !== '"') { if (s[i] === "\\") i++; v += s[i] ?? ""; i++; }
          if (i >= n) return undefined;
          i++;
          value = v;
        } else {
          value = token();
        }
        if (value === "") return undefined;
        skipWs();
      }
      params.push([pn, value]);
    }
    if (i < n && s[i] !== ",") return undefined;
    out.push({ name, params });
  }
  return out;
}

function isTchar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c));
}

/**
 * A window-bits value (RFC 7692 sections 7.1.2.1 and 7.1.2.2): 1*DIGIT, a decimal
 * integer 8..15 "without leading zeros" (so "09" is refused), also when quoted.
 */
function windowBits(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const d0 = v.charCodeAt(0) - 0x30;
  if (v.length === 1) return d0 >= 8 && d0 <= 9 ? d0 : undefined;
  if (v.length !== 2 || d0 !== 1) return undefined; // a second digit only after a leading 1
  const d1 = v.charCodeAt(1) - 0x30;
  return d1 >= 0 && d1 <= 5 ? 10 + d1 : undefined;
}

function checkOption(bits: number | undefined, name: string): void {
  if (bits !== undefined && (!Number.isInteger(bits) || bits < 8 || bits > 15)) throw new Error(`wsDeflate.${name} must be 8..15, got ${bits}`);
}

/** Normalizes the `wsDeflate` option: undefined when compression is off. */
export function deflateOptions(v: boolean | WsDeflateOptions | undefined): WsDeflateOptions | undefined {
  if (v === false) return undefined;
  const o = v === undefined || v === true ? {} : v;
  checkOption(o.serverMaxWindowBits, "serverMaxWindowBits");
  checkOption(o.clientMaxWindowBits, "clientMaxWindowBits");
  return o;
}

/**
 * Server side (RFC 7692 section 5.1): accepts the first permessage-deflate offer it can
 * honour. Offers with unknown or repeated parameters or bad values are declined.
 * Returns the response header value and the agreed parameters, or undefined.
 */
export function serverNegotiate(values: readonly string[], o: WsDeflateOptions): [response: string, params: DeflateParams] | undefined {
  const offers = parseExtensions(values);
  if (offers === undefined) return undefined;
  for (const offer of offers) {
    if (offer.name !== EXT) continue;
    const r = acceptOffer(offer.params, o);
    if (r !== undefined) return r;
  }
  return undefined;
}

function acceptOffer(params: Params, o: WsDeflateOptions): [string, DeflateParams] | undefined {
  const seen = new Set<string>();
  let serverNoCtx = false, clientNoCtx = false;
  let serverMax: number | undefined, clientMax: number | undefined, clientMaxOffered = false;
  for (const [k, v] of params) {
    if (seen.has(k)) return undefined;
    seen.add(k);
    switch (k) {
      case "server_no_context_takeover": if (v !== undefined) return undefined; serverNoCtx = true; break;
      case "client_no_context_takeover": if (v !== undefined) return undefined; clientNoCtx = true; break;
      case "server_max_window_bits": serverMax = windowBits(v); if (serverMax === undefined) return undefined; break;
      case "client_max_window_bits":
        clientMaxOffered = true;
        if (v !== undefined) { clientMax = windowBits(v); if (clientMax === undefined) return undefined; }
        break;
      default: return undefined;
    }
  }
  let resp = EXT;
  const sendNoContext = serverNoCtx || o.serverNoContextTakeover === true;
  if (sendNoContext) resp += "; server_no_context_takeover";
  const recvNoContext = clientNoCtx || o.clientNoContextTakeover === true;
  if (recvNoContext) resp += "; client_no_context_takeover";
  let sendWindowBits = 15;
  if (serverMax !== undefined || o.serverMaxWindowBits !== undefined) {
    sendWindowBits = Math.min(serverMax ?? 15, o.serverMaxWindowBits ?? 15);
    resp += `; server_max_window_bits=${sendWindowBits}`;
  }
  if (clientMaxOffered && (clientMax !== undefined || o.clientMaxWindowBits !== undefined)) {
    resp += `; client_max_window_bits=${Math.min(clientMax ?? 15, o.clientMaxWindowBits ?? 15)}`;
  }
  return [resp, { sendNoContext, sendWindowBits, recvNoContext }];
}

/** Client side: the offer to send in the upgrade request (section 7.1). */
export function clientOffer(o: WsDeflateOptions): string {
  let s = EXT;
  if (o.serverNoContextTakeover) s += "; server_no_context_takeover";
  if (o.clientNoContextTakeover) s += "; client_no_context_takeover";
  if (o.serverMaxWindowBits !== undefined) s += `; server_max_window_bits=${o.serverMaxWindowBits}`;
  s += o.clientMaxWindowBits !== undefined ? `; client_max_window_bits=${o.clientMaxWindowBits}` : "; client_max_window_bits";
  return s;
}

/**
 * Client side: checks the server's Sec-WebSocket-Extensions against our offer.
 * Returns the agreed parameters, undefined when the server declined, or an error text
 * (the client must then fail the connection, section 7.1).
 */
export function clientAccept(values: readonly string[], o: WsDeflateOptions | undefined): DeflateParams | undefined | string {
  const exts = parseExtensions(values);
  if (exts === undefined) return "malformed Sec-WebSocket-Extensions in the response";
  if (exts.length === 0) return undefined;
  if (o === undefined) return `server accepted extension "${exts[0]!.name}" that was not offered`;
  if (exts.length > 1 || exts[0]!.name !== EXT) return `server accepted extensions that were not offered: ${values.join(", ")}`;
  const seen = new Set<string>();
  const p: DeflateParams = { sendNoContext: o.clientNoContextTakeover === true, sendWindowBits: o.clientMaxWindowBits ?? 15, recvNoContext: false };
  for (const [k, v] of exts[0]!.params) {
    if (seen.has(k)) return `permessage-deflate parameter ${k} repeated in the response`;
    seen.add(k);
    switch (k) {
      case "server_no_context_takeover": if (v !== undefined) return `bad ${k}`; p.recvNoContext = true; break;
      case "client_no_context_takeover": if (v !== undefined) return `bad ${k}`; p.sendNoContext = true; break;
      case "server_max_window_bits": {
        const b = windowBits(v);
        if (b === undefined || (o.serverMaxWindowBits !== undefined && b > o.serverMaxWindowBits)) return `bad server_max_window_bits=${v}`;
        break;
      }
      case "client_max_window_bits": {
        const b = windowBits(v);
        if (b === undefined || b > (o.clientMaxWindowBits ?? 15)) return `bad client_max_window_bits=${v}`;
        p.sendWindowBits = b;
        break;
      }
      default: return `unknown permessage-deflate parameter ${k} in the response`;
    }
  }
  if (o.serverNoContextTakeover && !p.recvNoContext) return "server ignored server_no_context_takeover";
  return p;
}
