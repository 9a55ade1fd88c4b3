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
import { MultipartSplitter, type PartAction } from "./upload-multipart.js";
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

/** Options of `conn.httpUpload(msg, dir, options)`. */
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

/** What an upload wrote, given to `onDone`. */
export interface UploadResult {
  /** The file written (multipart: the folder). */
  path: string;
  /** Bytes written to files by this request. */
  size: number;
  /** multipart/form-data: the file parts stored, each in dir/filename. */
  files?: {
    /** The form field's name. */
    name: string;
    /** The file name the client sent (refused with 400 unless it is a safe name: letters, digits, `._-`). */
    filename: string;
    /** Where it was stored: dir/filename. */
    path: string;
    /** Its size in bytes. */
    size: number;
  }[];
  /** multipart/form-data: the ordinary fields (UTF-8 text, at most 64 KiB in all). */
  fields?: Record<string, string>;
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
  // multipart/form-data: each file part goes to dir/<its filename>; the query's name and offset are not used.
  const ctype = msg.header("Content-Type");
  const boundary = MultipartSplitter.boundaryOf(ctype);
  if (boundary === undefined && ctype !== undefined && /^\s*multipart\/form-data/i.test(ctype)) { refuse(c, st, 400, "multipart/form-data without a valid boundary"); return; }
  const name = boundary !== undefined ? "" : opts.name ?? msg.queryVar("file") ?? "";
  if (boundary === undefined && !safeFileName(name)) { refuse(c, st, 400, `bad file name ${JSON.stringify(name)}`); return; }
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
  const up = new UploadLayer(c, st, h, msg, dir, file, offset, h.contentLength, boundary, opts.onDone);
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
/** Bytes of ordinary (non-file) fields kept in memory for the result. */
const MAX_FIELDS = 64 * 1024;

interface PartFile { name: string; filename: string; path: string; size: number }

class UploadLayer implements Layer {
  #fd: number | undefined;
  /** A write, open or close is in progress: nothing else starts. */
  #busy = false;
  #done = false;
  #left: number;
  #pos: number;
  #written = 0;
  #lastProgress = Date.now();
  readonly #prevRecvSize: number;
  // multipart/form-data: the splitter, the actions it produced that wait, and what was stored.
  readonly #mp: MultipartSplitter | undefined;
  readonly #queue: PartAction[] = [];
  readonly #files: PartFile[] = [];
  readonly #fields: Record<string, string> = {};
  #fieldName: string | undefined;
  #fieldParts: Buffer[] = [];
  #fieldBytes = 0;
  #part: PartFile | undefined;

  constructor(
    readonly c: Connection,
    readonly http: HttpLayer,
    readonly head: ParsedHead,
    readonly msg: HttpMessage,
    readonly dir: string,
    readonly file: string,
    readonly offset: number,
    length: number,
    boundary: string | undefined,
    readonly onDone: UploadOptions["onDone"],
  ) {
    this.#left = length;
    this.#pos = offset;
    this.#prevRecvSize = c.recvSize;
    this.#mp = boundary === undefined ? undefined : new MultipartSplitter(boundary);
    c.recvSize = UPLOAD_RECV_SIZE;
  }

  open(): void {
    if (this.#mp !== undefined) { this.#pump(); return; }
    this.#busy = true;
    fs.open(this.file, openFlags(this.offset === 0), 0o644, (err, fd) => {
      this.#busy = false;
      if (this.#done) { if (!err) fs.close(fd, noop); return; }
      if (err) { this.#refuseOpen(err); return; }
      if (this.offset === 0) { this.#fd = fd; this.#pump(); return; }
      this.#busy = true;
      fs.fstat(fd, (err2, s) => {
        this.#busy = false;
        if (this.#done) { fs.close(fd, noop); return; }
        if (err2 || !s.isFile() || s.size !== this.offset) {
          fs.close(fd, noop);
          this.#refuse(err2 ? 500 : 409, err2 ? "cannot read the file" : `offset ${this.offset} is not the file's size ${s.isFile() ? s.size : "(not a file)"}`);
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
      if (!this.#done && !this.#busy && (data as number) >= 0 && Date.now() - this.#lastProgress > UPLOAD_IDLE_MS) {
        this.#fail(new MgError("ERR_TIMEOUT", `upload: nothing received for ${UPLOAD_IDLE_MS} ms`));
      }
    } else if (ev === MG_EV_CLOSE) {
      if (!this.#done) this.#fail(new MgError("ERR_CONN_CLOSED", `upload: connection closed after ${this.#written} of ${this.#written + this.#left} bytes`), false);
    }
    void c;
  }

  /** Moves the upload on: the next multipart action, or the next bytes from the receive buffer. */
  #pump(): void {
    const c = this.c;
    if (this.#done || this.#busy) return;
    const mp = this.#mp;
    if (mp !== undefined && this.#queue.length > 0) { this.#runAction(this.#queue.shift()!); return; }
    if (mp === undefined && this.#fd === undefined) return;
    if (this.#left === 0) {
      const err = mp?.finish();
      if (err !== undefined) this.#refuse(400, `multipart body: ${err}`); else this.#finish();
      return;
    }
    const avail = c.recvLen;
    if (avail === 0) return;
    const n = Math.min(avail, this.#left, WRITE_MAX);
    // A view: received bytes are never overwritten in place, so it stays valid after consume.
    const buf = c.recvData(n);
    c.recvConsume(n);
    this.#left -= n;
    this.#lastProgress = Date.now();
    if (mp !== undefined) {
      const acts = mp.feed(buf);
      if (mp.error !== undefined) { this.#refuse(400, `multipart body: ${mp.error}`); return; }
      for (const a of acts) this.#queue.push(a);
      this.#pump();
      return;
    }
    this.#write(this.#fd!, buf, this.#pos, () => { this.#pos += n; this.#written += n; });
  }

  /** One positioned write; `then` runs after it succeeded, then the pump goes on. */
  #write(fd: number, buf: Buffer, at: number, then: () => void): void {
    this.#busy = true;
    fs.write(fd, buf, 0, buf.length, at, (err, wrote) => {
      this.#busy = false;
      if (this.#done) { this.#closeFds(); return; }
      if (err || wrote !== buf.length) { this.#fail(new MgError("ERR_INTERNAL", `upload: cannot write: ${err?.message ?? "short write"}`)); return; }
      then();
      this.#pump();
    });
  }

  #runAction(a: PartAction): void {
    if (a.kind === "start") {
      if (a.filename === "") { this.#fieldName = a.name; this.#fieldParts = []; this.#pump(); return; }
      if (!safeFileName(a.filename)) { this.#refuse(400, `bad file name ${JSON.stringify(a.filename)}`); return; }
      if (this.#files.some((f) => f.filename === a.filename)) { this.#refuse(400, `file ${a.filename} sent twice`); return; }
      const part: PartFile = { name: a.name, filename: a.filename, path: path.join(this.dir, a.filename), size: 0 };
      this.#busy = true;
      fs.open(part.path, openFlags(true), 0o644, (err, fd) => {
        this.#busy = false;
        if (this.#done) { if (!err) fs.close(fd, noop); return; }
        if (err) { this.#refuseOpen(err); return; }
        this.#fd = fd;
        this.#part = part;
        this.#files.push(part);
        this.#pump();
      });
    } else if (a.kind === "data") {
      const part = this.#part;
      if (part === undefined) {
        this.#fieldBytes += a.data.length;
        if (this.#fieldBytes > MAX_FIELDS) { this.#refuse(413, `form fields over ${MAX_FIELDS} bytes`); return; }
        this.#fieldParts.push(a.data);
        this.#pump();
        return;
      }
      const n = a.data.length;
      this.#write(this.#fd!, a.data, part.size, () => { part.size += n; this.#written += n; });
    } else if (a.kind === "end") {
      if (this.#part !== undefined) {
        this.#part = undefined;
        const fd = this.#fd!;
        this.#fd = undefined;
        fs.close(fd, noop);
      } else if (this.#fieldName !== undefined) {
        this.#fields[this.#fieldName] = Buffer.concat(this.#fieldParts).toString("utf8");
        this.#fieldName = undefined;
        this.#fieldParts = [];
      }
      this.#pump();
    } else {
      this.#pump();
    }
  }

  #closeFds(): void {
    if (this.#fd !== undefined && !this.#busy) { fs.close(this.#fd, noop); this.#fd = undefined; }
  }

  /** The body is on disk: the HTTP layer answers the request. */
  #finish(): void {
    this.#done = true;
    this.#closeFds();
    const c = this.c;
    if (c.isClosed) return;
    c.setLayer(this.http);
    c.recvSize = Math.max(this.#prevRecvSize, UPLOAD_RECV_SIZE);
    beginAnswer(this.http, this.head);
    const multipart = this.#mp !== undefined;
    const result: UploadResult = multipart
      ? { path: this.dir, size: this.#written, files: this.#files.map((f) => ({ ...f })), fields: { ...this.#fields } }
      : { path: this.file, size: this.#written };
    if (this.onDone !== undefined) {
      try { this.onDone(undefined, result); } catch (e) { c.manager._reportError(e); if (!this.http.responded && c.canSend) httpReply(c, 500, "Internal Server Error\n"); }
    } else {
      const body = multipart
        ? { files: this.#files.map((f) => ({ name: f.name, file: f.filename, size: f.size })), fields: this.#fields }
        : { file: path.basename(this.file), size: this.#written };
      httpReply(c, 200, JSON.stringify(body), { "Content-Type": "application/json" });
    }
    // Pipelined requests that arrived behind the body: the HTTP layer parses them next.
    if (c.recvLen > 0) c.touch();
  }

  #refuseOpen(err: NodeJS.ErrnoException): void {
    const status = err.code === "ENOENT" || err.code === "ENOTDIR" ? 404 : err.code === "EACCES" || err.code === "EPERM" || err.code === "ELOOP" || err.code === "EISDIR" ? 403 : 500;
    this.#refuse(status, status === 404 ? "no such directory" : status === 403 ? "cannot write there" : "cannot open the file");
  }

  /**
   * Refuses the upload with an error status and closes (the rest of the body is not
   * read). Files this request created from a multipart body are removed.
   */
  #refuse(status: number, reason: string): void {
    this.#done = true;
    this.#closeFds();
    this.#removeParts();
    const c = this.c;
    const err = new MgError("ERR_HTTP_PARSE", `upload refused (${status}): ${reason}`, { status });
    if (this.onDone !== undefined) {
      try { this.onDone(err, { path: this.file, size: this.#written }); } catch (e) { c.manager._reportError(e); }
    }
    if (c.isClosed || !c.canSend) return;
    c.setLayer(this.http);
    refuse(c, this.http, status, reason);
  }

  #removeParts(): void {
    for (const f of this.#files) fs.rm(f.path, { force: true }, noop);
  }

  #fail(err: MgError, answer = true): void {
    if (this.#done) return;
    this.#done = true;
    this.#closeFds();
    this.#removeParts();
    const c = this.c;
    if (this.onDone !== undefined) {
      try { this.onDone(err, { path: this.file, size: this.#written }); } catch (e) { c.manager._reportError(e); }
    }
    if (answer && c.canSend) c.error(err);
  }
}

/** Open flags for an upload target. O_NOFOLLOW: a symlink planted under the name is not followed out of dir. */
function openFlags(truncate: boolean): number {
  return C.O_WRONLY | C.O_CREAT | (C.O_NOFOLLOW ?? 0) | (truncate ? C.O_TRUNC : 0);
}

function noop(): void { /* nothing */ }
