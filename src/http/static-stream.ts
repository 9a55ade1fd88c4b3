// Static files: sends part of an open file after a response head, with backpressure.
// Small bodies are read in one go and sent with the head in one write. Larger ones are
// read in chunks with positioned async reads, each sent as it arrives while the send
// queue is short; when it is long the stream waits for the connection's `_onWritable`
// hook (called by the manager once the socket drained) and keeps one chunk read ahead.
// The file descriptor is closed when the body is complete, when the connection closes
// and on any error. The file is never read whole into memory.
import * as fs from "node:fs";
import type { CoreConnection as Connection } from "../core/connection.js";
import { responseDone, httpLayerOf } from "./layer.js";
import { CHUNK_SIZE, lendChunk, takeChunk } from "./static-chunks.js";

/** Bodies up to this size are read with one read and sent with the head. */
export const SMALL_FILE = 64 * 1024;
/** Reading continues while less than this is queued for sending. */
export const SEND_HIGH_WATER = 512 * 1024;

function closeFd(fd: number): void {
  fs.close(fd, noop);
}
function noop(): void { /* nothing */ }

/** The connection is gone or closing without sending what is queued. */
export function isGone(c: Connection): boolean {
  return !c.canSend;
}

/**
 * What a body stream reports: `fail(err)` when the body could not be read before the
 * head went out (the caller answers 500 instead), never called after.
 */
export interface BodyDone {
  fail(err: Error): void;
}

/** Streams `length` bytes of `fd` from `start` after `head`. Takes ownership of `fd`. */
export function sendFileBody(c: Connection, fd: number, start: number, length: number, head: string, done: BodyDone): void {
  if (length === 0) {
    closeFd(fd);
    sendHead(c, head);
    finishResponse(c);
    return;
  }
  if (length <= SMALL_FILE) {
    const buf = Buffer.allocUnsafe(length);
    fs.read(fd, buf, 0, length, start, (err, n) => {
      closeFd(fd);
      try {
        if (isGone(c)) { releaseHook(c); return; }
        if (err || n !== length) { done.fail(err ?? new Error(`file shrank while reading (${n} of ${length} bytes)`)); return; }
        sendHead(c, head);
        c.send(buf);
        finishResponse(c);
      } catch (e) {
        c.manager._reportError(e);
        c.close();
      }
    });
    return;
  }
  new FileBody(c, fd, [{ prefix: "", start, length }], "", head, done).pump();
}

/** Queues the response head: from here on the request is answered (reply() may not answer again). */
function sendHead(c: Connection, head: string): void {
  const st = httpLayerOf(c);
  if (st !== undefined && st.busy) st.responded = true;
  c.send(head);
}

/**
 * Holds the connection open for a response that is being prepared asynchronously: a
 * `drain()` right after serveDir() must not end the connection before the file is sent.
 */
export function holdConnection(c: Connection): void {
  if (c.producer === undefined) c.producer = noop;
}

/** Lets go of the hold (or the producer hook) without finishing a response. */
export function releaseHook(c: Connection): void {
  if (c.producer === noop) c.producer = undefined;
}

/** The response is complete: drop the hook, let the HTTP layer move on. */
function finishResponse(c: Connection): void {
  c.producer = undefined;
  responseDone(c);
  // A drain() waiting for the hook to go away re-checks at the next dispatch.
  if (c.isDraining) c.touch();
}

/** One piece of a body: `prefix` (part headers of a multipart body), then `length` bytes of the file from `start`. */
export interface FileSegment { prefix: string; start: number; length: number }

/**
 * Streams several pieces of `fd` after `head`, each after its prefix, then `trailer`
 * (a multipart/byteranges body, RFC 9110 section 14.6). Takes ownership of `fd`.
 */
export function sendFileSegments(c: Connection, fd: number, segs: FileSegment[], trailer: string, head: string, done: BodyDone): void {
  if (segs.length === 0) { closeFd(fd); sendHead(c, head + trailer); finishResponse(c); return; }
  new FileBody(c, fd, segs, trailer, head, done).pump();
}

class FileBody {
  private seg = 0;
  private pos: number;
  private left: number;
  /** The current segment's prefix, until it goes out with its first chunk. */
  private prefix: string;
  private reading = false;
  private finished = false;
  private headSent = false;
  /** A chunk read ahead while the send queue was long. */
  private pending: Buffer | undefined;
  readonly pump = (): void => this.step();

  constructor(
    private readonly c: Connection,
    private readonly fd: number,
    private readonly segs: FileSegment[],
    private readonly trailer: string,
    private head: string,
    private readonly done: BodyDone,
  ) {
    const first = segs[0]!;
    this.pos = first.start;
    this.left = first.length;
    this.prefix = first.prefix;
    c.producer = this.pump;
    // While waiting for the socket to drain no callback of ours is pending: if the peer
    // goes away then, the core calls the producer once more on close, and step() aborts.
  }

  private step(): void {
    if (this.finished) return;
    const c = this.c;
    if (isGone(c)) { this.abort(); return; }
    if (this.pending !== undefined) {
      if (c.sendLen >= SEND_HIGH_WATER) return;
      const chunk = this.pending;
      this.pending = undefined;
      this.emit(chunk);
      if (this.finished) return;
    }
    if (!this.reading && this.left > 0 && this.pending === undefined) this.read();
  }

  private read(): void {
    this.reading = true;
    const n = this.left < CHUNK_SIZE ? this.left : CHUNK_SIZE;
    const buf = takeChunk(this.c);
    fs.read(this.fd, buf, 0, n, this.pos, (err, got) => {
      this.reading = false;
      // Stopped meanwhile: the descriptor was kept open for this read; close it now.
      if (this.finished) { closeFd(this.fd); return; }
      try {
        this.onRead(err, got, buf);
      } catch (e) {
        this.c.manager._reportError(e);
        this.abort();
        this.c.close();
      }
    });
  }

  private onRead(err: NodeJS.ErrnoException | null, got: number, buf: Buffer): void {
    const c = this.c;
    if (isGone(c)) { this.abort(); return; }
    if (err || got === 0) {
      const e = err ?? new Error("file shrank while it was being sent");
      if (!this.headSent) { this.abort(); this.done.fail(e); return; }
      // The head promised more bytes than exist now: the only honest end is a close.
      this.abort();
      c.close();
      return;
    }
    this.pos += got;
    this.left -= got;
    const chunk = got === buf.length ? buf : buf.subarray(0, got);
    if (c.sendLen < SEND_HIGH_WATER) {
      this.emit(chunk);
      if (!this.finished) this.read();
    } else {
      this.pending = chunk; // sent by step() once the manager says the socket drained
    }
  }

  /**
   * Sends a chunk (the head goes with the first, each segment's prefix with its first);
   * moves to the next segment when this one is done; ends the response after the last.
   */
  private emit(chunk: Buffer): void {
    const c = this.c;
    const withHead = !this.headSent;
    let lead = "";
    if (withHead) { this.headSent = true; lead = this.head; this.head = ""; }
    if (this.prefix !== "") { lead += this.prefix; this.prefix = ""; }
    const segDone = this.left === 0;
    const last = segDone && this.seg === this.segs.length - 1;
    if (last) this.release();
    if (withHead) sendHead(c, lead); else if (lead !== "") c.send(lead);
    c.send(chunk);
    // Queued now: the whole read buffer is free again once the connection has written it.
    lendChunk(c, chunk.length === CHUNK_SIZE ? chunk : Buffer.from(chunk.buffer, 0, CHUNK_SIZE));
    if (last) {
      if (this.trailer !== "") c.send(this.trailer);
      finishResponse(c);
    } else if (segDone) {
      const next = this.segs[++this.seg]!;
      this.pos = next.start;
      this.left = next.length;
      this.prefix = next.prefix;
    }
  }

  /** Stops without completing the response (connection gone, or an error). */
  private abort(): void {
    if (this.finished) return;
    this.release();
    if (this.c.producer === this.pump) this.c.producer = undefined;
  }

  private release(): void {
    this.finished = true;
    this.pending = undefined;
    // Never close under a pending read: the number could be reused by another open().
    if (!this.reading) closeFd(this.fd);
  }
}
