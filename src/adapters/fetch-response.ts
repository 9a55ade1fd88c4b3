// Writes a WHATWG `Response` on an HTTP connection, for fetchHandler().
//
// The body is read from its ReadableStream. Whatever the stream yields before the next
// turn of Node's event loop (bodies made from a string or bytes are read whole at once)
// and up to `bufferLimit` bytes is collected; a body complete by then goes out with a
// Content-Length in one write. Otherwise the head goes out at once (an event stream
// must not wait for its first event) and the body follows chunk by chunk as the stream
// yields it: chunked (RFC 9112 section 7.1), or plain when the app gave a Content-Length,
// or delimited by the connection closing for HTTP/1.0 clients. A long stream pauses
// while the send queue is long and resumes when the manager says the socket drained.
import type { Connection } from "../connection.js";
import { responseDone } from "../http/layer.js";
import { statusText } from "../http/status.js";
import type { ReadableStreamReadResult } from "node:stream/web";
import { isGone, type ConnectionHold } from "./hold.js";
import { MgError, typeError } from "../util/errors.js";

/** What the request said that shapes the response. */
export interface RequestFacts {
  isHead: boolean;
  http10: boolean;
  keepAlive: boolean;
}

/** The body of a response being written; the adapter cancels it when the client goes away. */
export interface BodyRead {
  reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
}

/** Reported when the body cannot be sent as the head announced: the connection was closed. */
export class BodyError extends Error {}

const LATER = Symbol("later");
type ReadResult = ReadableStreamReadResult<Uint8Array>;

function chunkBytes(v: unknown): Buffer {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === "string") return Buffer.from(v, "utf8");
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  throw typeError(`a Response body stream must yield Uint8Array chunks, got ${v === null ? "null" : typeof v}`);
}

/** A Content-Length value the app gave, or -1 when absent or not a plain number. */
function parseLength(v: string): number {
  if (v.length === 0 || v.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const d = v.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function hasClose(v: string): boolean {
  for (const t of v.split(",")) if (t.trim().toLowerCase() === "close") return true;
  return false;
}

interface Head {
  /** Status line and the app's headers, without framing headers and the final blank line. */
  text: string;
  /** The app's Content-Length, or -1. */
  appLength: number;
  /** The app asked for `Connection: close`. */
  close: boolean;
}

/**
 * The status line and the app's headers. Framing is the server's business (RFC 9112
 * section 6): the app's Transfer-Encoding, Connection and Keep-Alive are not passed on.
 */
function formatHead(res: Response): Head {
  const status = res.status;
  let text = "HTTP/1.1 " + status + " " + (res.statusText || statusText(status)) + "\r\n";
  let appLength = -1, close = false;
  for (const [name, value] of res.headers) {
    switch (name) {
      case "content-length": appLength = parseLength(value); continue;
      case "transfer-encoding": case "keep-alive": case "set-cookie": continue;
      case "connection": if (hasClose(value)) close = true; continue;
    }
    text += name + ": " + value + "\r\n";
  }
  // Every Set-Cookie on its own line: they cannot be joined (RFC 6265 section 3).
  const cookies = res.headers.getSetCookie();
  for (let i = 0; i < cookies.length; i++) text += "set-cookie: " + cookies[i] + "\r\n";
  return { text, appLength, close };
}

/** Collects what the stream yields before the next turn of the event loop, up to `limit` bytes. */
async function collect(reader: ReadableStreamDefaultReader<Uint8Array>, limit: number): Promise<{ chunks: Buffer[]; total: number; done: boolean; pending: Promise<ReadResult> | undefined }> {
  const chunks: Buffer[] = [];
  let total = 0, imm: NodeJS.Immediate | undefined;
  const later = new Promise<typeof LATER>((resolve) => { imm = setImmediate(resolve, LATER); });
  try {
    for (;;) {
      const p = reader.read();
      const r = await Promise.race([p, later]);
      if (r === LATER) {
        p.catch(noop); // its outcome is awaited later; keep it from being reported as unhandled meanwhile
        return { chunks, total, done: false, pending: p };
      }
      if (r.done) return { chunks, total, done: true, pending: undefined };
      const b = chunkBytes(r.value);
      if (b.length > 0) { chunks.push(b); total += b.length; }
      if (total >= limit) return { chunks, total, done: false, pending: undefined };
    }
  } finally {
    clearImmediate(imm);
  }
}
function noop(): void { /* nothing */ }

/**
 * Writes `res` on `c` and completes the HTTP exchange (responseDone, close when asked).
 * Throws only when nothing has been sent yet (the caller answers 500 instead); a body
 * that fails after the head went out is reported through `report` and the connection
 * closes, since a truncated response must not look complete.
 */
export async function writeResponse(
  c: Connection, res: Response, req: RequestFacts, hold: ConnectionHold, body: BodyRead,
  bufferLimit: number, report: (err: unknown) => void,
): Promise<void> {
  if (res.type === "error") throw new MgError("ERR_INVALID_ARG", "the app returned Response.error()");
  const status = res.status;
  const head = formatHead(res);
  const closeAfter = head.close || !req.keepAlive;
  // The Connection header, once it is known whether the connection stays open.
  const connection = (close: boolean): string =>
    close ? "connection: close\r\n" : req.http10 ? "connection: keep-alive\r\n" : "";

  const stream = res.body;
  const noContent = status === 204 || status === 304;
  if (stream === null || noContent || req.isHead) {
    let length = head.appLength;
    if (stream !== null) {
      const reader = stream.getReader();
      if (req.isHead && length < 0 && !noContent) {
        // HEAD: announce the length the GET body would have, when it is quickly known.
        body.reader = reader;
        const got = await collect(reader, bufferLimit);
        if (got.done) length = got.total;
      }
      body.reader = undefined;
      reader.cancel().catch(noop);
    } else if (!req.isHead) {
      length = 0;
    }
    if (status === 204) length = -1;
    if (isGone(c)) return;
    const framing = length >= 0 ? "content-length: " + length + "\r\n" : "";
    c.send(head.text + connection(closeAfter) + framing + "\r\n");
    finish(c, closeAfter);
    return;
  }

  const reader = stream.getReader();
  body.reader = reader;
  try {
    await sendBody(c, reader, head, req, closeAfter, connection, hold, bufferLimit, report);
  } finally {
    // The adapter is done with the body: whoever holds the Response sees it unlocked.
    body.reader = undefined;
    reader.releaseLock();
  }
}

async function sendBody(
  c: Connection, reader: ReadableStreamDefaultReader<Uint8Array>, head: Head, req: RequestFacts, closeAfter: boolean,
  connection: (close: boolean) => string, hold: ConnectionHold, bufferLimit: number,
  report: (err: unknown) => void,
): Promise<void> {
  const got = await collect(reader, bufferLimit);
  if (isGone(c)) { reader.cancel().catch(noop); return; }
  if (got.done) {
    // Complete: one write with a Content-Length (the bytes decide it, whatever the app said).
    c.send(head.text + connection(closeAfter) + "content-length: " + got.total + "\r\n\r\n");
    for (let i = 0; i < got.chunks.length; i++) c.send(got.chunks[i]!);
    finish(c, closeAfter);
    return;
  }

  // A stream: the head goes out now, the body as it comes.
  const mode = head.appLength >= 0 ? "length" : req.http10 ? "close" : "chunked";
  const framing = mode === "length" ? "content-length: " + head.appLength + "\r\n"
    : mode === "chunked" ? "transfer-encoding: chunked\r\n" : "";
  c.send(head.text + connection(closeAfter || mode === "close") + framing + "\r\n");
  let left = head.appLength;
  const put = (b: Buffer): void => {
    if (mode === "chunked") {
      c.send(b.length.toString(16) + "\r\n");
      c.send(b);
      c.send("\r\n");
    } else if (mode === "length") {
      if (b.length > left) throw new BodyError(`the response body is longer than its Content-Length (${head.appLength})`);
      left -= b.length;
      c.send(b);
    } else {
      c.send(b);
    }
  };
  try {
    for (let i = 0; i < got.chunks.length; i++) put(got.chunks[i]!);
    let pending = got.pending;
    for (;;) {
      if (!hold.writable) await new Promise<void>((resolve) => hold.whenWritable(resolve));
      if (isGone(c)) { reader.cancel().catch(noop); return; }
      const r = await (pending ?? reader.read());
      pending = undefined;
      if (isGone(c)) { reader.cancel().catch(noop); return; }
      if (r.done) break;
      const b = chunkBytes(r.value);
      if (b.length > 0) put(b); // an empty chunk would end a chunked body
    }
    if (mode === "length" && left !== 0) throw new BodyError(`the response body ended ${left} bytes short of its Content-Length (${head.appLength})`);
  } catch (e) {
    reader.cancel().catch(noop);
    if (!isGone(c)) { report(e); c.close(); }
    return;
  }
  if (mode === "chunked") c.send("0\r\n\r\n");
  finish(c, closeAfter || mode === "close");
}

function finish(c: Connection, closeAfter: boolean): void {
  responseDone(c);
  if (closeAfter) c.drain();
}
