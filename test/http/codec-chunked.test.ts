// The chunked-body decoder on its own: resumable feeding, the body as one view or one
// assembled buffer, the body limit decided on the size digits, and the memory bound for
// many tiny chunks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { ChunkedDecoder } from "../../src/http/chunked.js";
import { HttpParseError } from "../../src/http/parser.js";
import { leakCheckAfterAll } from "../helpers.js";

function feedAll(raw: Buffer, start: number, maxBody: number, cuts: number[]): { r: number | HttpParseError; d: ChunkedDecoder } {
  const d = new ChunkedDecoder(start, maxBody);
  let r: number | HttpParseError = 0;
  for (const cut of cuts) {
    r = d.feed(raw.subarray(0, cut));
    if (r !== 0) break;
  }
  return { r, d };
}

test("decoder: body offset and bytes, whatever way the chunks arrive; bytes after the end are left alone", () => {
  const head = "HEAD-BYTES";
  const raw = Buffer.from(`${head}4\r\nWiki\r\n5;a="b"\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nT: v\r\n\r\nNEXT REQUEST`);
  const end = raw.length - "NEXT REQUEST".length;
  for (let k = head.length; k <= raw.length; k++) {
    const { r, d } = feedAll(raw, head.length, 1000, [k, raw.length]);
    assert.equal(r, end, `cut at ${k}`);
    assert.equal(d.body().toString(), "Wikipedia in\r\n\r\nchunks.");
    assert.equal(d.size, 23);
  }
  const { r } = feedAll(raw, head.length, 1000, Array.from({ length: raw.length }, (_, i) => i + 1));
  assert.equal(r, end, "byte by byte");
});

test("decoder: a one-chunk body is a view of the received bytes, not a copy", () => {
  const raw = Buffer.from("5\r\nhello\r\n0\r\n\r\n");
  const d = new ChunkedDecoder(0, 100);
  assert.equal(d.feed(raw), raw.length);
  const body = d.body();
  assert.equal(body.toString(), "hello");
  assert.equal(body.buffer, raw.buffer, "shares the receive buffer");
  assert.equal(new ChunkedDecoder(0, 100).feed(Buffer.from("0\r\n\r\n")), 5);
});

test("decoder: the body limit is applied while the size digits arrive", () => {
  // 0x65 = 101 > 100: refused at the second digit, before the line ends.
  const r = new ChunkedDecoder(0, 100).feed(Buffer.from("65"));
  assert.ok(r instanceof HttpParseError && r.status === 413);
  // The limit counts the whole body, not one chunk.
  const two = new ChunkedDecoder(0, 100).feed(Buffer.from(`32\r\n${"a".repeat(50)}\r\n33\r\n`));
  assert.ok(two instanceof HttpParseError && two.status === 413);
  // Leading zeros cost nothing, however many (up to the line limit).
  const z = new ChunkedDecoder(0, 100).feed(Buffer.from(`${"0".repeat(40)}1\r\na\r\n0\r\n\r\n`));
  assert.equal(typeof z, "number");
  const long = new ChunkedDecoder(0, 100).feed(Buffer.from(`1;${"x".repeat(5000)}`));
  assert.ok(long instanceof HttpParseError && long.status === 400, "chunk size line bounded");
});

test("decoder: 1,000,000 one-byte chunks cost O(1) memory per chunk", () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const n = 1_000_000;
  const raw = Buffer.from("1\r\nx\r\n".repeat(n) + "0\r\n\r\n");
  gc();
  const before = process.memoryUsage();
  const d = new ChunkedDecoder(0, 2 * n);
  assert.equal(d.feed(raw), raw.length);
  gc();
  const after = process.memoryUsage();
  const grown = (after.heapUsed - before.heapUsed) + (after.arrayBuffers - before.arrayBuffers);
  assert.equal(d.size, n);
  assert.equal(d.body().length, n);
  // The body is 1 MB; one view object per chunk would be tens of MB. 8 MB allows the
  // assembled buffer's doubling and noise, not a per-chunk object.
  assert.ok(grown < 8 * 1024 * 1024, `decoder grew memory by ${grown} bytes for ${n} chunks`);
  assert.ok(d.body().every((b) => b === 0x78));
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
