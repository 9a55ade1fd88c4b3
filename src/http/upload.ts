// Streaming uploads to disk (Mongoose's mg_http_upload): called on MG_EV_HTTP_HDRS, a
// request's body goes to a file as it arrives instead of into memory. The connection's
// layer is swapped for an UploadLayer (as a WebSocket upgrade swaps it) that takes the
// body bytes from the receive buffer and writes them with one positioned write at a time;
// while a write is in progress the bytes wait in the receive buffer, which is capped at
// UPLOAD_RECV_SIZE meanwhile, so the core stops reading from the socket and TCP flow
// control slows the client down. Memory stays bounded by that cap whatever the size.
// Once the body is on disk the HTTP layer comes back and the request is answered
// (by default 200 with the size; or by the caller's onDone).
import * as fs from "node:fs";
import * as path from "node:path";
import type { CoreConnection as Connection, Layer } from "../core/connection.js";
import { MG_EV_CLOSE, MG_EV_POLL, MG_EV_READ } from "../core/events.js";
import type { HttpMessage } from "./message.js";
import { beginAnswer, httpLayerOf, type HttpLayer } from "./layer.js";
import type { ParsedHead } from "./parser.js";
import { httpReply } from "./reply.js";
import { statusText } from "./status.js";
import { MgError } from "../util/errors.js";
import { checkOptionsObject, optNonNegativeInt } from "../util/check.js";

/** The receive buffer's cap while an upload streams to disk. */
export const UPLOAD_RECV_SIZE = 1 << 20;
/** The largest body written in one write. */
const WRITE_MAX = 1 << 20;
/** Default limit of one upload (maxSize). */
export const UPLOAD_DEFAULT_MAX = 1 << 30;
/** An upload that receives nothing for this long is cut. */
const UPLOAD_IDLE_MS = 60_000;

export interface UploadOptions {
  /** The file name in `dir` (default: the query variable `file`, as mg_http_upload). */
  name?: string;
  /**
   * Where the body goes in the file (default: the query variable `offset`, else 0). 0
   * creates or truncates the file; a larger offset appends, and must equal the file's
   * current size (uploads in pieces, as mg_http_upload does).
   */
  offset?: number;
  /** The largest body accepted, in bytes (default 1 GiB); over it: 413 before anything is written. */
  maxSize?: number;
  /**
   * Called once the body is on disk (err undefined) or the upload failed after it had
   * started (err set; the connection then closes). The request is being answered: reply
   * from here. Without onDone the upload replies 200 `{"file":name,"size":n}` itself.
   */
  onDone?: (err: MgError | undefined, result: UploadResult) => void;
}

export interface UploadResult {
  /** The file written. */
  path: string;
  /** Body bytes written by this request. */
  size: number;
}

/**
 * A safe file name: one path segment of letters, digits, '.', '_' and '-', not starting
 * with '.', at most 255 bytes. Anything else (separators, "..", NUL, control or
 * non-ASCII characters) is refused rather than rewritten.
 */
export function safeFileName(name: string): boolean {
  if (name.length === 0 || name.length > 255 || name.charCodeAt(0) === 0x2e) return false;
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    const ok = (ch >= 0x30 && ch <= 0x39) || (ch >= 0x41 && ch <= 0x5a) || (ch >= 0x61 && ch <= 0x7a) || ch === 0x2e || ch === 0x5f || ch === 0x2d;
    if (!ok) return false;
  }
  return true;
}

/**
 * Streams the body of the request `msg` (call on MG_EV_HTTP_HDRS) into `dir`/name.
 * Refusals are answered before the body is read, and close the connection: 400 (bad or
 * missing name or offset), 409 (offset is not the file's size), 411 (no Content-Length:
 * chunked uploads are not streamed), 413 (over maxSize), 404 (dir missing), 403 / 500
 * (cannot open the file). The body may exceed the connection's maxBodySize: it never
 * sits in memory.
 */
export function httpUpload(c: Connection, msg: HttpMessage, dir: string, opts: UploadOptions = {}): void {
  checkOptionsObject(opts, "httpUpload options");
  const st = httpLayerOf(c);
  const h = st?.cur;
  if (st === undefined || !st.isServer || h === undefined || st.msg !== msg) {
    throw new MgError("ERR_HTTP_STATE", "httpUpload: call it on MG_EV_HTTP_HDRS of a server request, with that request");
  }
  const maxSize = optNonNegativeInt(opts, "maxSize", UPLOAD_DEFAULT_MAX);
  if (typeof dir !== "string" || dir === "" || dir.includes("\0")) throw new MgError("ERR_INVALID_ARG", "httpUpload: dir must be a non-empty path");
  const name = opts.name ?? msg.queryVar("file") ?? "";
  if (!safeFileName(name)) { refuse(c, st, 400, `bad file name ${JSON.stringify(name)}`); return; }
  let offset = opts.offset;
  if (offset === undefined) {
    const o = msg.queryVar("offset");
    offset = o === undefined || o === "" ? 0 : /^[0-9]{1,15}$/.test(o) ? Number(o) : -1;
  }
  if (!Number.isSafeInteger(offset) || offset < 0) { refuse(c, st, 400, "bad offset"); return; }
  // RFC 9110 section 15.5.12: without a length the body is not streamed (chunked bodies are buffered as usual).
  if (st.chunk !== undefined || h.contentLength < 0) { refuse(c, st, 411, "an upload needs Content-Length"); return; }
  if (h.contentLength > maxSize) { refuse(c, st, 413, `upload of ${h.contentLength} bytes is larger than ${maxSize}`); return; }
  const file = path.join(dir, name); // name is one safe segment: the file is directly in dir
  const up = new UploadLayer(c, st, h, msg, file, offset, h.contentLength, opts.onDone);
  st.oversized = false;
  c.setLayer(up);
  if (h.expectContinue && h.contentLength > 0) c.send("HTTP/1.1 100 Continue\r\n\r\n");
  c.recvConsume(h.headLen); // the message keeps its views of the head
  up.open();
}

/** Answers before the body is read and closes: the unread body cannot be skipped safely. */
function refuse(c: Connection, st: HttpLayer, status: number, reason: string): void {
  const text = statusText(status);
  const body = `${text}: ${reason}\n`;
  st.failed = true;
  st.oversized = false;
  c.send(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  c.recvConsume();
  c.drain();
}

const C = fs.constants;

class UploadLayer implements Layer {
  #fd: number | undefined;
  #writing = false;
  #done = false;
  #left: number;
  #pos: number;
  #written = 0;
  #lastProgress = Date.now();
  readonly #prevRecvSize: number;

  constructor(
    readonly c: Connection,
    readonly http: HttpLayer,
    readonly head: ParsedHead,
    readonly msg: HttpMessage,
    readonly file: string,
    readonly offset: number,
    length: number,
    readonly onDone: UploadOptions["onDone"],
  ) {
    this.#left = length;
    this.#pos = offset;
    this.#prevRecvSize = c.recvSize;
    c.recvSize = UPLOAD_RECV_SIZE;
  }

  open(): void {
    // O_NOFOLLOW: a symlink planted under the name is not followed out of dir.
    const flags = C.O_WRONLY | C.O_CREAT | (C.O_NOFOLLOW ?? 0) | (this.offset === 0 ? C.O_TRUNC : 0);
    fs.open(this.file, flags, 0o644, (err, fd) => {
      if (this.#done) { if (!err) fs.close(fd, noop); return; }
      if (err) { this.#refuseOpen(err); return; }
      if (this.offset === 0) { this.#fd = fd; this.#pump(); return; }
      fs.fstat(fd, (err2, s) => {
        if (this.#done) { fs.close(fd, noop); return; }
        if (err2 || !s.isFile() || s.size !== this.offset) {
          fs.close(fd, noop);
          this.#refuseBeforeBody(err2 ? 500 : 409, err2 ? "cannot read the file" : `offset ${this.offset} is not the file's size ${s.isFile() ? s.size : "(not a file)"}`);
          return;
        }
        this.#fd = fd;
        this.#pump();
      });
    });
  }

  onEvent(c: Connection, ev: number, data: unknown): void {
    if (ev === MG_EV_READ) this.#pump();
    else if (ev === MG_EV_POLL) {
      if (!this.#done && !this.#writing && (data as number) >= 0 && Date.now() - this.#lastProgress > UPLOAD_IDLE_MS) {
        this.#fail(new MgError("ERR_TIMEOUT", `upload: nothing received for ${UPLOAD_IDLE_MS} ms`));
      }
    } else if (ev === MG_EV_CLOSE) {
      if (!this.#done) this.#fail(new MgError("ERR_CONN_CLOSED", `upload: connection closed after ${this.#written} of ${this.#written + this.#left} bytes`), false);
    }
    void c;
  }

  /** Writes what has arrived, one write at a time. */
  #pump(): void {
    const c = this.c;
    if (this.#done || this.#writing || this.#fd === undefined) return;
    if (this.#left === 0) { this.#finish(); return; }
    const avail = c.recvLen;
    if (avail === 0) return;
    const n = Math.min(avail, this.#left, WRITE_MAX);
    // A view: received bytes are never overwritten in place, so it stays valid after consume.
    const buf = c.recvData(n);
    c.recvConsume(n);
    this.#left -= n;
    this.#writing = true;
    this.#lastProgress = Date.now();
    fs.write(this.#fd, buf, 0, n, this.#pos, (err, wrote) => {
      this.#writing = false;
      if (this.#done) { this.#closeFd(); return; }
      if (err || wrote !== n) { this.#fail(new MgError("ERR_INTERNAL", `upload: cannot write ${this.file}: ${err?.message ?? "short write"}`)); return; }
      this.#pos += n;
      this.#written += n;
      this.#pump();
    });
  }

  #closeFd(): void {
    if (this.#fd !== undefined && !this.#writing) { fs.close(this.#fd, noop); this.#fd = undefined; }
  }

  /** The body is on disk: the HTTP layer answers the request. */
  #finish(): void {
    this.#done = true;
    this.#closeFd();
    const c = this.c;
    if (c.isClosed) return;
    c.setLayer(this.http);
    c.recvSize = Math.max(this.#prevRecvSize, UPLOAD_RECV_SIZE);
    beginAnswer(this.http, this.head);
    const result: UploadResult = { path: this.file, size: this.#written };
    if (this.onDone !== undefined) {
      try { this.onDone(undefined, result); } catch (e) { c.manager._reportError(e); if (!this.http.responded && c.canSend) httpReply(c, 500, "Internal Server Error\n"); }
    } else {
      httpReply(c, 200, JSON.stringify({ file: path.basename(this.file), size: this.#written }), { "Content-Type": "application/json" });
    }
    // Pipelined requests that arrived behind the body: the HTTP layer parses them next.
    if (c.recvLen > 0) c.touch();
  }

  #refuseOpen(err: NodeJS.ErrnoException): void {
    const status = err.code === "ENOENT" || err.code === "ENOTDIR" ? 404 : err.code === "EACCES" || err.code === "EPERM" || err.code === "ELOOP" || err.code === "EISDIR" ? 403 : 500;
    this.#refuseBeforeBody(status, status === 404 ? "no such directory" : status === 403 ? "cannot write there" : "cannot open the file");
  }

  /** Refused once the layer was swapped but before anything was written. */
  #refuseBeforeBody(status: number, reason: string): void {
    this.#done = true;
    const c = this.c;
    if (c.isClosed || !c.canSend) return;
    c.setLayer(this.http);
    refuse(c, this.http, status, reason);
  }

  #fail(err: MgError, answer = true): void {
    if (this.#done) return;
    this.#done = true;
    this.#closeFd();
    const c = this.c;
    if (this.onDone !== undefined) {
      try { this.onDone(err, { path: this.file, size: this.#written }); } catch (e) { c.manager._reportError(e); }
    }
    if (answer && c.canSend) c.error(err);
  }
}

function noop(): void { /* nothing */ }
