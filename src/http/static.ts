// Static files: serveDir() and serveFile(). As in Mongoose, the request path is appended
// to the root directory (or to the folder its "/prefix=dir" mapping names); a directory
// is answered with its index.html, or an HTML listing. Files are sent with ETag and
// Last-Modified validators, conditional requests (304/412), byte ranges (206/416;
// several as multipart/byteranges), HEAD, and streamed with backpressure (see static-stream.ts).
// Only GET and HEAD are served: other methods get 405 with "Allow: GET, HEAD".
import * as fs from "node:fs";
import { randomBytes } from "node:crypto";
import type { CoreConnection as Connection } from "../core/connection.js";
import type { HttpMessage } from "./message.js";
import { formatHeaders, httpReply, type HeadersInit, type HeaderFacts } from "./reply.js";
import { statusText } from "./status.js";
import { mimeType, parseMimeOverrides } from "./mime.js";
import { BadPath, decodeUriPath, encodeSegment, isInside, matchRoot, parseRootDir, realRoot } from "./static-path.js";
import { checkPreconditions, etagOf, httpDate, parseRange, RANGE_NONE, RANGE_UNSATISFIABLE, type ByteRange } from "./static-conditional.js";
import { holdConnection, isGone, releaseHook, sendFileBody, sendFileSegments, type FileSegment } from "./static-stream.js";
import { httpLayerOf } from "./layer.js";
import { renderListing } from "./static-listing.js";
import { MgError } from "../util/errors.js";
import { checkOptionTable, checkOptionsObject, is, type OptionTable } from "../util/check.js";

/** Options of `conn.serveDir()` and `conn.serveFile()`. */
export interface ServeOptions {
  /** Headers added to every response: "Name: value" lines or an object. */
  extraHeaders?: HeadersInit;
  /** Extension to MIME type overrides: { "md": "text/markdown" } or "md=text/markdown,foo=application/x-foo". */
  mimeTypes?: Record<string, string> | string;
  /** File served (with status 404) when the path does not exist. */
  page404?: string;
  /** serveDir: show an HTML listing of directories without index.html (default true; false: 403). */
  dirListing?: boolean;
}

const INDEX_FILE = "index.html";
const C = fs.constants;
// O_NONBLOCK: opening a FIFO must not block a thread-pool thread. O_NOFOLLOW: the path
// was resolved by realpath(), so a symlink in its last part now means it was swapped in.
const OPEN_FLAGS = C.O_RDONLY | (C.O_NONBLOCK ?? 0);
const OPEN_RESOLVED = OPEN_FLAGS | (C.O_NOFOLLOW ?? 0);

/** Per-call settings, worked out once. */
interface Ctx {
  c: Connection;
  msg: HttpMessage;
  isHead: boolean;
  extra: string;
  extraFacts: HeaderFacts;
  mimes: Map<string, string> | undefined;
  page404: string | undefined;
  listing: boolean;
}

const extraCache = new Map<string, { text: string; facts: HeaderFacts }>();

function newFacts(): HeaderFacts {
  return { contentType: false, contentLength: false, chunked: false, eventStream: false, connection: false };
}

/** Formats and checks extraHeaders (string forms are cached). */
function formatExtra(h: HeadersInit | undefined): { text: string; facts: HeaderFacts } {
  if (h === undefined || h === null || h === "") return { text: "", facts: newFacts() };
  if (typeof h === "string") {
    const hit = extraCache.get(h);
    if (hit !== undefined) return hit;
  }
  const facts = newFacts();
  const text = formatHeaders(h, facts);
  if (facts.contentLength || facts.chunked) {
    throw new MgError("ERR_INVALID_ARG", "serveDir/serveFile: extraHeaders must not set Content-Length or Transfer-Encoding (the file decides)");
  }
  const r = { text, facts };
  if (typeof h === "string" && extraCache.size < 64) extraCache.set(h, r);
  return r;
}

/** The options' types (mimeTypes is checked as it is parsed). */
const SERVE_OPTIONS: OptionTable = {
  extraHeaders: is.headers,
  page404: is.string,
  dirListing: is.boolean,
};

function makeCtx(c: Connection, msg: HttpMessage, opts: ServeOptions | undefined): Ctx {
  if (opts !== null) checkOptionsObject(opts, "serveDir/serveFile options"); // null: none, as before
  const o = opts ?? {};
  checkOptionTable(o, SERVE_OPTIONS, "serveDir/serveFile");
  const ex = formatExtra(o.extraHeaders);
  return {
    c, msg,
    isHead: msg.method === "HEAD",
    extra: ex.text,
    extraFacts: ex.facts,
    mimes: parseMimeOverrides(o.mimeTypes),
    page404: o.page404,
    listing: o.dirListing !== false,
  };
}

// ---- simple responses ----------------------------------------------------------------

/** Sends a complete small response (error, redirect, 304, listing) and ends the hold. */
function answer(x: Ctx, status: number, body: string, headers = ""): void {
  const c = x.c;
  releaseHook(c);
  if (isGone(c)) return;
  httpReply(c, status, body, headers + x.extra);
  if (c.isDraining) c.touch();
}

function plain(x: Ctx, status: number, reason?: string): void {
  answer(x, status, `${statusText(status)}${reason ? ": " + reason : ""}\n`);
}

/** The status for a failed file system call. */
function errnoStatus(e: NodeJS.ErrnoException): number {
  switch (e.code) {
    case "ENOENT": case "ENOTDIR": case "ENAMETOOLONG": return 404;
    case "EACCES": case "EPERM": case "ELOOP": return 403;
    case "EMFILE": case "ENFILE": return 503;
    default: return 500;
  }
}

function fsFailed(x: Ctx, e: NodeJS.ErrnoException): void {
  const status = errnoStatus(e);
  if (status === 404) notFound(x);
  else plain(x, status);
}

/** 404: page404 when given and readable, else a plain one. */
function notFound(x: Ctx): void {
  const page = x.page404;
  if (page === undefined || page === "") { plain(x, 404); return; }
  fs.open(page, OPEN_FLAGS, (err, fd) => {
    if (err) { guard(x, () => plain(x, 404)); return; }
    fs.fstat(fd, (err2, st) => {
      guard(x, () => {
        if (err2 || !st.isFile()) { fs.close(fd, noop); plain(x, 404); return; }
        sendFile(x, fd, st, page, 404);
      });
    });
  });
}
function noop(): void { /* nothing */ }

/** Runs an async continuation: whatever it throws is reported and answered with 500. */
function guard(x: Ctx, f: () => void): void {
  try {
    f();
  } catch (e) {
    x.c.manager._reportError(e);
    if (x.c.producer !== undefined) releaseHook(x.c);
    try { plain(x, 500); } catch { x.c.close(); }
  }
}

/** Connection header as reply() adds it, for heads built here. */
function connectionHeader(x: Ctx): string {
  const st = httpLayerOf(x.c);
  if (st === undefined || !st.isServer || !st.busy || x.extraFacts.connection) return "";
  if (!st.reqKeepAlive) return "Connection: close\r\n";
  return st.reqHttp10 ? "Connection: keep-alive\r\n" : "";
}

// ---- files ---------------------------------------------------------------------------

/**
 * Answers with an open regular file: validators, preconditions and Range for status 200;
 * plain content for page404 (status 404). Takes ownership of `fd`.
 */
function sendFile(x: Ctx, fd: number, st: fs.Stats, name: string, status: number): void {
  const c = x.c;
  if (isGone(c)) { fs.close(fd, noop); releaseHook(c); return; }
  const size = st.size;
  let head = "";
  let start = 0, length = size;
  if (status === 200) {
    const etag = etagOf(st);
    const lastModified = httpDate(st.mtimeMs);
    const validators = `ETag: ${etag}\r\nLast-Modified: ${lastModified}\r\n`;
    const pre = checkPreconditions(x.msg, etag, st.mtimeMs);
    if (pre !== 0) { fs.close(fd, noop); answer(x, pre, pre === 304 ? "" : "Precondition Failed\n", validators); return; }
    const range = x.isHead ? RANGE_NONE : parseRange(x.msg, size, etag, st.mtimeMs);
    if (range === RANGE_UNSATISFIABLE) {
      fs.close(fd, noop);
      answer(x, 416, "Range Not Satisfiable\n", `Content-Range: bytes */${size}\r\n${validators}`);
      return;
    }
    // A Content-Type of the caller's would contradict multipart/byteranges: then
    // several ranges get the whole file, as a server may (RFC 9110 section 14.2).
    if (Array.isArray(range) && !x.extraFacts.contentType) {
      sendMultipart(x, fd, name, size, range, validators);
      return;
    }
    if (range !== RANGE_NONE && !Array.isArray(range)) {
      status = 206;
      start = range.start;
      length = range.end - range.start + 1;
      head = `Content-Range: bytes ${start}-${range.end}/${size}\r\n`;
    }
    head += validators + "Accept-Ranges: bytes\r\n";
  }
  head = `HTTP/1.1 ${status} ${statusText(status)}\r\n` +
    (x.extraFacts.contentType ? "" : `Content-Type: ${mimeType(name, x.mimes)}\r\n`) +
    `Content-Length: ${length}\r\n` + head + x.extra + connectionHeader(x) + "\r\n";
  if (x.isHead) length = 0;
  sendFileBody(c, fd, start, length, head, {
    fail: (e) => { c.manager._reportError(e); plain(x, 500); },
  });
}

/**
 * 206 with a multipart/byteranges body (RFC 9110 section 14.6): one part per range,
 * each with its Content-Type and Content-Range, between boundary delimiters (RFC 2046
 * section 5.1.1). The length is known before the first byte, so Content-Length is set.
 */
function sendMultipart(x: Ctx, fd: number, name: string, size: number, ranges: ByteRange[], validators: string): void {
  const boundary = randomBytes(12).toString("hex"); // 24 characters that cannot occur as a line of the parts' headers
  const type = mimeType(name, x.mimes);
  const segs: FileSegment[] = [];
  let total = 0;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    // The CRLF before each delimiter belongs to the delimiter (RFC 2046 section 5.1.1).
    const prefix = `${i === 0 ? "" : "\r\n"}--${boundary}\r\nContent-Type: ${type}\r\nContent-Range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`;
    const length = r.end - r.start + 1;
    segs.push({ prefix, start: r.start, length });
    total += Buffer.byteLength(prefix) + length;
  }
  const trailer = `\r\n--${boundary}--\r\n`;
  total += trailer.length;
  const head = `HTTP/1.1 206 ${statusText(206)}\r\n` +
    `Content-Type: multipart/byteranges; boundary=${boundary}\r\n` +
    `Content-Length: ${total}\r\n` + validators + "Accept-Ranges: bytes\r\n" + x.extra + connectionHeader(x) + "\r\n";
  const c = x.c;
  sendFileSegments(c, fd, segs, trailer, head, {
    fail: (e) => { c.manager._reportError(e); plain(x, 500); },
  });
}

/**
 * Opens a resolved path and answers with it: a file, or a directory's index or listing.
 * `indexOf` is the directory when `real` is its index.html.
 */
function openAndServe(x: Ctx, root: string, real: string, segs: string[], indexOf: string | undefined): void {
  const isIndex = indexOf !== undefined;
  fs.open(real, OPEN_RESOLVED, (err, fd) => {
    if (err) {
      if (isIndex && (err.code === "ENOENT" || err.code === "ENOTDIR")) { guard(x, () => listDir(x, indexOf, segs)); return; }
      guard(x, () => fsFailed(x, err));
      return;
    }
    fs.fstat(fd, (err2, st) => {
      guard(x, () => {
        if (err2) { fs.close(fd, noop); fsFailed(x, err2); return; }
        if (st.isFile()) {
          // "/file.txt/" names a directory that does not exist (as open(2) says).
          if (!isIndex && x.msg.uri.endsWith("/") && segs.length > 0) { fs.close(fd, noop); notFound(x); return; }
          // The type follows the name asked for (a symlink's target may be named otherwise).
          sendFile(x, fd, st, isIndex ? INDEX_FILE : segs[segs.length - 1] ?? real, 200);
          return;
        }
        fs.close(fd, noop);
        if (!st.isDirectory() || isIndex) { plain(x, 403); return; }
        serveDirectory(x, root, real, segs);
      });
    });
  });
}

function serveDirectory(x: Ctx, root: string, dir: string, segs: string[]): void {
  if (!x.msg.uri.endsWith("/")) {
    // RFC 9110 section 15.4.2. Built from the checked segments, so never "//host".
    let loc = "/";
    for (const s of segs) loc += encodeSegment(s) + "/";
    if (x.msg.query !== "") loc += "?" + x.msg.query;
    answer(x, 301, "", `Location: ${loc}\r\n`);
    return;
  }
  const index = dir + (dir.endsWith("/") ? "" : "/") + INDEX_FILE;
  resolveInside(x, root, index, segs, dir);
}

/** realpath() then the check that the real path is still under the root. */
function resolveInside(x: Ctx, root: string, candidate: string, segs: string[], indexOf: string | undefined): void {
  fs.realpath.native(candidate, (err, real) => {
    guard(x, () => {
      if (err) {
        if (indexOf !== undefined && (err.code === "ENOENT" || err.code === "ENOTDIR")) { listDir(x, indexOf, segs); return; }
        fsFailed(x, err);
        return;
      }
      // A symlink that leads out of the root is refused.
      if (!isInside(root, real)) { plain(x, 403); return; }
      openAndServe(x, root, real, segs, indexOf);
    });
  });
}

function listDir(x: Ctx, dir: string, segs: string[]): void {
  if (!x.listing) { plain(x, 403, "directory listing is disabled"); return; }
  let uriPath = "/";
  for (const s of segs) uriPath += s + "/";
  renderListing(dir, uriPath).then(
    (html) => guard(x, () => answer(x, 200, html, "Content-Type: text/html; charset=utf-8\r\n")),
    (e: NodeJS.ErrnoException) => guard(x, () => fsFailed(x, e)),
  );
}

function methodAllowed(x: Ctx): boolean {
  const m = x.msg.method;
  if (m === "GET" || m === "HEAD") return true;
  answer(x, 405, "Method Not Allowed\n", "Allow: GET, HEAD\r\n");
  return false;
}

// ---- entry points --------------------------------------------------------------------

/** Bad options are a programming error: thrown, after a 500 so the client is not left waiting. */
function checkedCtx(c: Connection, msg: HttpMessage, opts: ServeOptions | undefined): Ctx {
  try {
    return makeCtx(c, msg, opts);
  } catch (e) {
    if (!isGone(c)) httpReply(c, 500, "Internal Server Error\n");
    throw e;
  }
}

/**
 * Serves the file the request names under `root`: "./web" (the request path is
 * appended to it) or "/prefix=dir" mappings separated by commas ("/static=./public,/=./site";
 * the longest matching prefix wins and is replaced by its directory).
 */
export function serveDir(c: Connection, msg: HttpMessage, root: string, opts?: ServeOptions): void {
  const x = checkedCtx(c, msg, opts);
  if (!methodAllowed(x)) return;
  const segs = decodeUriPath(msg.uri);
  if (segs instanceof BadPath) { plain(x, segs.status, segs.reason); return; }
  let mappings;
  try {
    mappings = parseRootDir(root);
  } catch (e) {
    plain(x, 500);
    throw e;
  }
  const m = matchRoot(mappings, segs);
  if (m === undefined) { notFound(x); return; }
  holdConnection(c);
  realRoot(m.dir, (err, rootReal) => {
    guard(x, () => {
      if (err) { fsFailed(x, err); return; }
      const rest = segs.slice(m.prefix.length);
      const candidate = rest.length === 0 ? rootReal : rootReal + (rootReal.endsWith("/") ? "" : "/") + rest.join("/");
      resolveInside(x, rootReal, candidate, segs, undefined);
    });
  });
}

/** Serves one file (Range, ETag, Last-Modified, HEAD); 404 (or page404) when it is not a readable file. */
export function serveFile(c: Connection, msg: HttpMessage, path: string, opts?: ServeOptions): void {
  const x = checkedCtx(c, msg, opts);
  if (!methodAllowed(x)) return;
  if (typeof path !== "string" || path === "" || path.includes("\0")) { plain(x, 500); throw new MgError("ERR_INVALID_ARG", "serveFile: path must be a non-empty string without NUL"); }
  holdConnection(c);
  fs.open(path, OPEN_FLAGS, (err, fd) => {
    if (err) { guard(x, () => fsFailed(x, err)); return; }
    fs.fstat(fd, (err2, st) => {
      guard(x, () => {
        if (err2) { fs.close(fd, noop); fsFailed(x, err2); return; }
        if (!st.isFile()) { fs.close(fd, noop); notFound(x); return; }
        sendFile(x, fd, st, path, 200);
      });
    });
  });
}
