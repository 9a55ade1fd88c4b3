// The receive buffer (src/core/recv-buffer.ts): chunks are kept as they arrive (no copy
// on append), contiguous views gather only what they are asked for, views stay valid,
// and a layer's reserve() hint is capped at the connection's receive limit.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RecvBuffer } from "../../src/core/recv-buffer.js";
import { CoreConnection, type CoreHost } from "../../src/core/connection.js";
import { leakCheckAfterAll } from "../helpers.js";

const bytes = (n: number, seed = 1): Buffer => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
};

/** `data` cut at `cuts` (increasing offsets), each piece a buffer of its own. */
const pieces = (data: Buffer, cuts: readonly number[]): Buffer[] => {
  const out: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts, data.length]) { if (c > at) out.push(Buffer.from(data.subarray(at, c))); at = Math.max(at, c); }
  return out;
};

// A connection without a manager behind it: enough for its receive-buffer methods.
const host = {
  handler: undefined, _now: 0,
  _reportError(e: unknown) { throw e; },
  _resumeIfRoom() { /* no socket */ },
  _needsFlush() { /* nothing is sent */ },
  _touch() { /* no loop */ },
} as unknown as CoreHost;

describe("RecvBuffer", () => {
  it("keeps chunks as they arrive: append copies nothing, head() is the first chunk", () => {
    const r = new RecvBuffer();
    const a = bytes(100), b = bytes(50, 7);
    r.append(a); r.append(b);
    assert.equal(r.length, 150);
    assert.equal(r.pieces, 2);
    const h = r.head();
    assert.equal(h.buffer, a.buffer, "the front is the chunk itself");
    assert.equal(h.byteOffset, a.byteOffset);
    assert.equal(h.length, 100);
    r.consume(100);
    assert.equal(r.head().buffer, b.buffer, "consuming the front promotes the next chunk, uncopied");
    assert.equal(r.pieces, 1);
  });

  it("view(n) within the front is a view; across chunks it gathers exactly n bytes", () => {
    const r = new RecvBuffer();
    const a = bytes(10), b = bytes(10, 3), c = bytes(10, 5);
    r.append(a); r.append(b); r.append(c);
    const v1 = r.view(8);
    assert.equal(v1.buffer, a.buffer);
    const v2 = r.view(15);
    assert.deepEqual(v2, Buffer.concat([a, b]).subarray(0, 15));
    assert.equal(r.length, 30, "gathering consumes nothing");
    // The rest of the split chunk and the chunk behind it are still there, in order.
    assert.deepEqual(r.view(), Buffer.concat([a, b, c]));
    assert.equal(r.pieces, 1);
  });

  it("delivers the same bytes however they are cut, whatever is viewed and consumed", () => {
    const data = bytes(64, 9);
    for (let cut = 1; cut < data.length; cut++) {
      for (const take of [1, 5, 17, 40]) {
        const r = new RecvBuffer();
        for (const p of pieces(data, [cut, Math.min(data.length, cut + 3)])) r.append(p);
        const got: Buffer[] = [];
        while (r.length > 0) {
          const v = r.view(take);
          got.push(Buffer.from(v));
          r.consume(v.length);
        }
        assert.deepEqual(Buffer.concat(got), data, `cut ${cut}, take ${take}`);
      }
    }
    // Byte by byte, consumed through head() only.
    const r = new RecvBuffer();
    for (const p of pieces(data, Array.from({ length: 63 }, (_, i) => i + 1))) r.append(p);
    const got: number[] = [];
    while (r.length > 0) { const h = r.head(); got.push(...h); r.consume(h.length); }
    assert.deepEqual(Buffer.from(got), data);
  });

  it("consume(n) across several chunks keeps the rest of the last one", () => {
    const data = bytes(30);
    const r = new RecvBuffer();
    for (const p of pieces(data, [4, 9, 20])) r.append(p);
    r.consume(12);
    assert.equal(r.length, 18);
    assert.deepEqual(r.view(), data.subarray(12));
    r.consume(0);
    assert.equal(r.length, 18);
    r.consume();
    assert.equal(r.length, 0);
    assert.equal(r.head().length, 0);
  });

  it("views handed out stay valid: later appends and gathers never write over them", () => {
    const r = new RecvBuffer();
    const data = bytes(200, 11);
    const ps = pieces(data, [50, 100, 150]);
    r.append(ps[0]!); r.append(ps[1]!);
    const v = r.view(80); // gathered into a new front with room behind it
    const keep = Buffer.from(v);
    r.consume(80);
    r.append(ps[2]!); r.append(ps[3]!);
    assert.deepEqual(r.view(), data.subarray(80));
    assert.deepEqual(v, keep);
  });

  it("reserve(n): the next gather makes room for n bytes, so more bytes are copied once", () => {
    const r = new RecvBuffer();
    r.append(bytes(10)); r.append(bytes(10, 2));
    r.reserve(1000);
    const v = r.view(20);
    assert.equal(v.length, 20);
    assert.ok(r.capacity >= 1000, `capacity ${r.capacity}`);
    // Bytes arriving later are copied behind the others in the same memory.
    r.append(bytes(100, 3));
    const w = r.view(120);
    assert.equal(w.buffer, v.buffer);
  });

  it("prepareFill(): a reserved message still lacking min bytes gets one front of its size, filled in place", () => {
    const r = new RecvBuffer();
    const data = bytes(5000, 4);
    const ps = pieces(data, [300, 700]);
    r.append(ps[0]!); r.append(ps[1]!);
    assert.equal(r.prepareFill(100), 0, "nothing reserved: nothing to fill");
    r.reserve(5000);
    assert.equal(r.prepareFill(4301), 0, "fewer than min bytes to come");
    const left = r.prepareFill(1000);
    assert.equal(left, 5000 - 700);
    assert.equal(r.pieces, 1, "what had arrived is gathered into the front");
    assert.equal(r.fillAt, 700);
    // The socket writes the next bytes in place, in two reads.
    const dest = r.fillBuf;
    ps[2]!.copy(dest, r.fillAt, 0, 2000);
    assert.ok(r.filled(dest, 700, 2000));
    ps[2]!.copy(dest, r.fillAt, 2000);
    assert.ok(r.filled(dest, 2700, 2300));
    assert.equal(r.length, 5000);
    const v = r.view();
    assert.deepEqual(v, data);
    assert.equal(v.buffer, dest.buffer, "no gather: the view is of the filled front");
  });

  it("filled() refuses bytes that no longer belong behind the front (consumed, moved, or not at its end)", () => {
    const r = new RecvBuffer();
    r.append(bytes(100)); r.reserve(100_000);
    assert.ok(r.prepareFill(1000) > 0);
    const dest = r.fillBuf, at = r.fillAt;
    assert.equal(r.filled(dest, at + 1, 10), false, "not at the end of the front");
    assert.equal(r.filled(Buffer.alloc(100_000), at, 10), false, "another buffer");
    assert.equal(r.filled(dest, at, 200_000), false, "past the buffer");
    r.consume();
    assert.equal(r.filled(dest, at, 10), false, "the message was consumed");
    assert.equal(r.prepareFill(1000), 0, "consuming ends the reservation");
  });
});

describe("CoreConnection.recvReserve", () => {
  it("is capped at the receive limit: a hostile announced length reserves no more", () => {
    const c = new CoreConnection(host, 1, undefined, { maxRecvSize: 4096 });
    c._recv.append(bytes(100)); c._recv.append(bytes(100, 4));
    c.recvReserve(2 ** 62); // e.g. a length field from a peer
    const v = c.recvData(200);
    assert.equal(v.length, 200);
    assert.ok(c._recv.capacity <= 4096, `capacity ${c._recv.capacity}`);
    c.recvConsume();
    assert.equal(c.recvLen, 0);
  });

  it("recvHead() and recvData() agree on the bytes", () => {
    const c = new CoreConnection(host, 2, undefined, {});
    const data = bytes(300, 5);
    for (const p of pieces(data, [1, 2, 100, 299])) c._recv.append(p);
    assert.deepEqual(c.recvHead(), data.subarray(0, 1));
    assert.deepEqual(c.recvData(), data);
    assert.deepEqual(c.recvHead(), data, "after a whole gather the front holds everything");
  });
});

leakCheckAfterAll();
