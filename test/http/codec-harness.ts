// Codec test harness: decodes one raw HTTP message the way the layer does (parseHead,
// then the body by Content-Length or the chunked decoder), either whole or as if it
// arrived in pieces, and reduces the outcome to a comparable verdict.
import { parseHead, HttpParseError, type ParsedHead } from "../../src/http/parser.js";
import { ChunkedDecoder } from "../../src/http/chunked.js";
import assert from "node:assert/strict";
import type { Row } from "./codec-table.js";

export const MAX_HEAD = 16 * 1024;
export const MAX_HEADERS = 100;
export const MAX_BODY = 1024 * 1024;

/** "ok" with the decoded message, a refusal status, or "incomplete" (waits for more bytes). */
export type Verdict =
  | { kind: "ok"; head: ParsedHead; body: string; end: number }
  | { kind: "error"; status: number; reason: string }
  | { kind: "incomplete" };

/** The verdict as a short string for assertion messages and equality. */
export function verdictKey(v: Verdict): string {
  if (v.kind === "ok") {
    const h = v.head;
    return `ok ${h.method} ${h.uri} ?${h.query} ${h.proto} ${h.status} cl=${h.contentLength} ch=${h.chunked} ka=${h.keepAlive} connect=${h.isConnect} end=${v.end} body=${JSON.stringify(v.body)}`;
  }
  return v.kind === "error" ? `error ${v.status} ${v.reason}` : "incomplete";
}

/** Only what the node:http comparison can see: accepted, refused, or waiting. */
export function verdictClass(v: Verdict): "ok" | "refused" | "incomplete" {
  return v.kind === "error" ? "refused" : v.kind;
}

/**
 * Decodes `raw` arriving in pieces that end at the offsets in `cuts` (ascending, the
 * last one raw.length); the connection stays open after the last piece unless `closed`.
 * Every call on a prefix goes through the same code as on the whole message.
 */
export function decode(raw: Buffer, isResponse: boolean, cuts: number[] = [raw.length], closed = false): Verdict {
  let head: ParsedHead | undefined;
  let chunk: ChunkedDecoder | undefined;
  let bodyLen = 0;
  let untilClose = false;
  for (const cut of cuts) {
    const buf = raw.subarray(0, cut);
    if (head === undefined) {
      const r = parseHead(buf, isResponse, MAX_HEAD, MAX_HEADERS);
      if (r === 0) continue;
      if (r instanceof HttpParseError) return { kind: "error", status: r.status, reason: r.reason };
      check(r, buf);
      head = r;
      // Framing as in RFC 9112 section 6.3 (the layer's job, emulated here).
      const noBody = r.isConnect || (isResponse && (r.status < 200 || r.status === 204 || r.status === 304));
      if (noBody) bodyLen = 0;
      else if (r.chunked) chunk = new ChunkedDecoder(r.headLen, MAX_BODY);
      else if (r.contentLength >= 0) {
        if (r.contentLength > MAX_BODY) return { kind: "error", status: 413, reason: "body too large" };
        bodyLen = r.contentLength;
      } else if (isResponse) untilClose = true;
    }
    if (chunk !== undefined) {
      const e = chunk.feed(buf);
      if (e instanceof HttpParseError) return { kind: "error", status: e.status, reason: e.reason };
      if (e > 0) return { kind: "ok", head, body: chunk.body().toString("latin1"), end: e };
    } else if (!untilClose && buf.length >= head.headLen + bodyLen) {
      return { kind: "ok", head, body: buf.toString("latin1", head.headLen, head.headLen + bodyLen), end: head.headLen + bodyLen };
    }
  }
  if (head !== undefined && untilClose && closed) return { kind: "ok", head, body: raw.toString("latin1", head.headLen), end: raw.length };
  return { kind: "incomplete" };
}

/** Invariants of every accepted head, whatever the input. */
function check(h: ParsedHead, buf: Buffer): void {
  const fail = (what: string): never => { throw new Error(`parsed head breaks an invariant: ${what}`); };
  if (h.headLen > buf.length || h.headLen < 4) fail("headLen");
  if (buf[h.headLen - 1] !== 10 || buf[h.headLen - 2] !== 13 || buf[h.headLen - 3] !== 10 || buf[h.headLen - 4] !== 13) fail("head end");
  const headChars = h.headLen - h.skip - 4;
  if (h.head !== undefined && h.head.length !== headChars) fail("head string");
  if (h.hdr.length % 4 !== 0) fail("hdr");
  for (let k = 0; k < h.hdr.length; k += 4) {
    const [a, b, c, d] = [h.hdr[k]!, h.hdr[k + 1]!, h.hdr[k + 2]!, h.hdr[k + 3]!];
    if (!(a < b && b < c + 1 && c <= d && d <= headChars)) fail("hdr offsets");
  }
  if (h.chunked && h.contentLength >= 0) fail("chunked and Content-Length");
}

/** Every way the message can arrive that the tests try: whole, in two pieces cut at every byte, one byte at a time. */
export function arrivals(n: number): number[][] {
  const out: number[][] = [[n]];
  for (let k = 1; k < n; k++) out.push([k, n]);
  out.push(Array.from({ length: n }, (_, i) => i + 1));
  return out;
}

/** Decodes `raw` every way it can arrive; throws unless all give the whole message's verdict. */
export function decodeEveryWay(raw: Buffer, isResponse: boolean, closed = false): Verdict {
  const whole = decode(raw, isResponse, [raw.length], closed);
  const key = verdictKey(whole);
  for (const cuts of arrivals(raw.length)) {
    const v = decode(raw, isResponse, cuts, closed);
    const k = verdictKey(v);
    if (k !== key) throw new Error(`arrival ${cuts.length === raw.length ? "byte by byte" : `cut at ${cuts[0]}`} gives ${k}, whole gives ${key}`);
  }
  return whole;
}

/** Checks one row's verdict (already proven independent of arrival) against the table. */
export function checkRow(row: Row, v: Verdict): void {
  const what = `${row.name}: ${JSON.stringify(row.raw)} -> ${verdictKey(v)}`;
  if (row.expect === "ok") {
    assert.equal(v.kind, "ok", what);
    if (v.kind !== "ok") return;
    const f = row.fields ?? {};
    const h = v.head;
    const got: Record<string, unknown> = {
      method: h.method, uri: h.uri, query: h.query, proto: h.proto, body: v.body, keepAlive: h.keepAlive,
      chunked: h.chunked, isConnect: h.isConnect, contentLength: h.contentLength, status: h.status, end: v.end,
    };
    for (const [k, want] of Object.entries(f)) assert.equal(got[k], want, `${what} (${k})`);
    if (f.end === undefined) assert.equal(v.end, Buffer.byteLength(row.raw, "latin1"), `${what}: the message ends where the row ends`);
  } else {
    assert.equal(v.kind, "error", what);
    if (v.kind === "error") assert.equal(v.status, row.expect, what);
  }
}

