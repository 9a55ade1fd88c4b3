// The WebSocket receiver (src/ws/receiver.ts) over a connection's receive buffer, which
// keeps chunks as the socket delivered them: messages are the same whether the bytes
// arrive in one read or cut anywhere, one read per dispatch or many; a large frame is
// streamed chunk by chunk (never gathered in the receive buffer); a length announced by
// the peer reserves at most the receive limit.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CoreConnection, type CoreHost } from "../../src/core/connection.js";
import { createWsState, sizeRecvBuffer, type WsOptions } from "../../src/ws/state.js";
import { receiveFrames, type FrameSink } from "../../src/ws/receiver.js";
import { rawFrame as f } from "./codec-util.js";
import * as net from "node:net";
import { Manager, MG_EV_HTTP_MSG, MG_EV_WS_MSG, MG_EV_WS_CTL } from "../../src/index.js";
import { leakCheckAfterAll, startLoop, waitFor } from "../helpers.js";

const CONT = 0, TEXT = 1, BIN = 2, CLOSE = 8, PING = 9;

const host = {
  handler: undefined, _now: 0,
  _reportError(e: unknown) { throw e; },
  _resumeIfRoom() { /* no socket */ },
  _needsFlush() { /* nothing is written */ },
  _touch() { /* no loop */ },
} as unknown as CoreHost;

/** A server-side WebSocket connection without a socket, and what its receiver hands on. */
function setup(opts: WsOptions & { maxRecvSize?: number } = {}) {
  const c = new CoreConnection(host, 1, undefined, opts);
  const st = createWsState(opts, true);
  sizeRecvBuffer(c, st);
  const events: string[] = [];
  let maxCapacity = 0;
  const sink: FrameSink = {
    message(_c, _st, op, data) { events.push(`msg ${op} ${data.toString("hex")}`); },
    control(_c, _st, op, payload) { events.push(`ctl ${op} ${payload.toString("hex")}`); },
    fail(cc, s, code) { s.failed = true; events.push(`fail ${code}`); if (cc.recvLen > 0) cc.recvConsume(); },
  };
  /** One dispatch: these chunks arrived, then MG_EV_READ. */
  const dispatch = (chunks: Buffer[]): void => {
    for (const ch of chunks) c._recv.append(Buffer.from(ch)); // each read is a buffer of its own
    receiveFrames(c, st, sink);
    maxCapacity = Math.max(maxCapacity, c._recv.capacity);
  };
  return { c, st, events, dispatch, maxCapacity: () => maxCapacity };
}

/** `data` cut at `cuts`. */
const cutAt = (data: Buffer, cuts: readonly number[]): Buffer[] => {
  const out: Buffer[] = [];
  let at = 0;
  for (const k of [...cuts, data.length]) { if (k > at) out.push(data.subarray(at, k)); at = Math.max(at, k); }
  return out;
};

/** A small deterministic generator, for chunk sizes. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

const big = (n: number, seed: number): Buffer => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff; return b; };
const hex = (s: string | Buffer): string => (typeof s === "string" ? Buffer.from(s) : s).toString("hex");

const small = Buffer.concat([
  f({ op: TEXT, payload: "hello" }),
  f({ op: BIN, payload: big(300, 3) }), // 16-bit length
  f({ op: TEXT, payload: "h\u00e9", fin: false }),
  f({ op: PING, payload: "p" }),
  f({ op: CONT, payload: "llo \u{1F600}" }),
  f({ op: TEXT, payload: "" }),
  f({ op: CLOSE, payload: Buffer.from([0x03, 0xe8]) }),
]);
const smallEvents = [
  `msg ${TEXT} ${hex("hello")}`, `msg ${BIN} ${hex(big(300, 3))}`, `ctl ${PING} ${hex("p")}`,
  `msg ${TEXT} ${hex("h\u00e9llo \u{1F600}")}`, `msg ${TEXT} `, `ctl ${CLOSE} 03e8`,
];

const p70k = big(70_000, 5), p65k = big(65_000, 6), text66k = Buffer.alloc(66_000, 0x61);
const large = Buffer.concat([
  f({ op: BIN, payload: p70k }), // streams (64-bit length)
  f({ op: TEXT, payload: "x" }),
  f({ op: BIN, payload: p65k }), // under the streaming size: gathered when it spans reads
  f({ op: TEXT, payload: text66k, fin: false }),
  f({ op: CONT, payload: "yz" }),
]);
const largeEvents = [`msg ${BIN} ${hex(p70k)}`, `msg ${TEXT} ${hex("x")}`, `msg ${BIN} ${hex(p65k)}`, `msg ${TEXT} ${hex(Buffer.concat([text66k, Buffer.from("yz")]))}`];

/** The events of a connection that receives `groups` of reads, one dispatch per group. */
function run(groups: Buffer[][], opts: WsOptions = { wsMaxMessageSize: 1 << 20 }): string[] {
  const s = setup(opts);
  for (const group of groups) s.dispatch(group);
  return s.events;
}

describe("WebSocket receiver over chunked reads", () => {
  it("small frames: one read, split in two at every boundary, byte by byte", () => {
    assert.deepEqual(run([[small]]), smallEvents);
    for (let k = 1; k < small.length; k++) {
      assert.deepEqual(run([cutAt(small, [k])]), smallEvents, `split at ${k}, one dispatch`);
      assert.deepEqual(run(cutAt(small, [k]).map((p) => [p])), smallEvents, `split at ${k}, a dispatch per read`);
    }
    const bytes = cutAt(small, Array.from({ length: small.length - 1 }, (_, i) => i + 1));
    assert.deepEqual(run([bytes]), smallEvents, "byte by byte, one dispatch");
    assert.deepEqual(run(bytes.map((b) => [b])), smallEvents, "byte by byte, a dispatch per read");
  });

  it("large frames: whole, byte by byte, cut near every frame edge, random reads", () => {
    assert.deepEqual(run([[large]]), largeEvents);
    const bytes = cutAt(large, Array.from({ length: large.length - 1 }, (_, i) => i + 1));
    assert.deepEqual(run(bytes.map((b) => [b])), largeEvents, "byte by byte, a dispatch per read");
    // Every boundary within 20 bytes of a frame's start or end, and a stride elsewhere.
    const edges: number[] = [];
    let at = 0;
    for (const len of [70_000 + 14, 1 + 6, 65_000 + 8, 66_000 + 14, 2 + 6]) { edges.push(at); at += len; }
    edges.push(at);
    const cuts = new Set<number>();
    for (const e of edges) for (let d = -20; d <= 20; d++) if (e + d > 0 && e + d < large.length) cuts.add(e + d);
    for (let k = 1; k < large.length; k += 997) cuts.add(k);
    for (const k of cuts) {
      assert.deepEqual(run([cutAt(large, [k])]), largeEvents, `split at ${k}, one dispatch`);
      assert.deepEqual(run(cutAt(large, [k]).map((p) => [p])), largeEvents, `split at ${k}, a dispatch per read`);
    }
    const next = rng(42);
    for (let trial = 0; trial < 30; trial++) {
      const groups: Buffer[][] = [];
      let pos = 0;
      while (pos < large.length) {
        const group: Buffer[] = [];
        const reads = 1 + Math.floor(next() * 4);
        for (let i = 0; i < reads && pos < large.length; i++) {
          const n = 1 + Math.floor(next() * (next() < 0.3 ? 20 : 40_000));
          group.push(large.subarray(pos, pos + n)); pos += n;
        }
        groups.push(group);
      }
      assert.deepEqual(run(groups), largeEvents, `random reads, trial ${trial}`);
    }
  });

  it("a 1 MiB frame in 64 KiB reads is streamed: the receive buffer never gathers it", () => {
    const payload = big(1 << 20, 9);
    const frame = f({ op: BIN, payload });
    const s = setup({ wsMaxMessageSize: 2 << 20 });
    const reads = cutAt(frame, Array.from({ length: Math.floor(frame.length / 65536) }, (_, i) => (i + 1) * 65536));
    for (let i = 0; i < reads.length; i += 3) s.dispatch(reads.slice(i, i + 3));
    assert.deepEqual(s.events, [`msg ${BIN} ${hex(payload)}`]);
    assert.ok(s.maxCapacity() <= 65536, `the receive buffer grew to ${s.maxCapacity()} bytes`);
    assert.equal(s.c.recvLen, 0);
  });

  it("a hostile length (2^62) is refused with 1009 before anything is reserved", () => {
    const s = setup({ wsMaxMessageSize: 1 << 20 });
    const head = f({ op: BIN, payload: Buffer.alloc(0), len: 0, lenBytes: 8, len64High: 0x40000000 });
    s.dispatch([head.subarray(0, 5), head.subarray(5), Buffer.alloc(1000)]);
    assert.deepEqual(s.events, ["fail 1009"]);
    assert.ok(s.maxCapacity() <= 65536, `capacity ${s.maxCapacity()}`);
  });

  it("a frame under the streaming size that spans reads reserves at most the receive limit", () => {
    // The user's maxRecvSize wins over the WebSocket layer's sizing; the frame fits it.
    const payload = big(60_000, 4);
    const frame = f({ op: BIN, payload });
    const s = setup({ wsMaxMessageSize: 1 << 20, maxRecvSize: 61_000 });
    s.dispatch([frame.subarray(0, 3), frame.subarray(3, 100)]);
    assert.deepEqual(s.events, []);
    assert.ok(s.maxCapacity() <= 61_000, `capacity ${s.maxCapacity()}`);
    s.dispatch([frame.subarray(100, 30_000), frame.subarray(30_000)]);
    assert.deepEqual(s.events, [`msg ${BIN} ${hex(payload)}`]);
    // A frame larger than the receive limit is refused (1009), as before.
    const t = setup({ wsMaxMessageSize: 1 << 20, maxRecvSize: 10_000 });
    t.dispatch([frame.subarray(0, 3), frame.subarray(3, 100)]);
    assert.deepEqual(t.events, ["fail 1009"]);
  });
});

// Over a real socket: an accepted connection reads a large frame that streams straight
// into the message's buffer (core/accept.ts placeReads), then goes back to its receive
// buffer for what follows in the same read.
describe("large frames read straight into place, over a real socket", () => {
  const upgrade = (port: number): Promise<net.Socket> => new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("error", reject);
    s.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    let head = "";
    const onData = (d: Buffer): void => {
      head += d.toString("latin1");
      if (head.includes("\r\n\r\n")) { s.off("data", onData); assert.match(head, /^HTTP\/1\.1 101/); resolve(s); }
    };
    s.on("data", onData);
  });
  const server = (got: Array<{ op: number; data: Buffer }>, closes: number[]) => {
    const m = new Manager((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
      else if (ev === MG_EV_WS_MSG) got.push({ op: data.op, data: Buffer.from(data.data) });
      else if (ev === MG_EV_WS_CTL && data.op === CLOSE) closes.push(data.data.length >= 2 ? data.data.readUInt16BE(0) : 0);
    });
    const port = m.listen("ws://127.0.0.1:0").localAddr.port;
    return { m, port, loop: startLoop(m) };
  };

  it("a 3 MiB masked text frame sent in uneven pieces, then two small frames in its last write", async () => {
    const got: Array<{ op: number; data: Buffer }> = [], closes: number[] = [];
    const { m, port, loop } = server(got, closes);
    const text = Buffer.from("héllo wörld ✓ ".repeat(200_000).slice(0, 3 << 20));
    const bigText = Buffer.from(text.toString("utf8")); // (whole characters only)
    const frames = Buffer.concat([f({ op: TEXT, payload: bigText }), f({ op: BIN, payload: Buffer.from([1, 2, 3]) }), f({ op: TEXT, payload: "after" })]);
    const s = await upgrade(port);
    const cuts = [3, 70_000, 70_001, 1 << 20, (2 << 20) + 13, frames.length - 1000];
    let at = 0;
    for (const k of [...cuts, frames.length]) {
      s.write(frames.subarray(at, k));
      at = k;
      await new Promise((r) => setTimeout(r, 5));
    }
    await waitFor(() => got.length === 3, 10_000, "three messages");
    assert.equal(got[0]!.op, TEXT);
    assert.ok(got[0]!.data.equals(bigText), "the large message differs");
    assert.deepEqual([...got[1]!.data], [1, 2, 3]);
    assert.equal(got[2]!.data.toString(), "after");
    s.destroy();
    await waitFor(() => m.connections.length === 1, 5000, "the close");
    await loop.stop();
  });

  it("invalid UTF-8 late in a large text frame read into place closes with 1007", async () => {
    const got: Array<{ op: number; data: Buffer }> = [], closes: number[] = [];
    const { m, port, loop } = server(got, closes);
    const bad = Buffer.alloc(2 << 20, 0x61);
    bad[(2 << 20) - 100] = 0xff;
    const frame = f({ op: TEXT, payload: bad });
    const s = await upgrade(port);
    let answer = Buffer.alloc(0);
    s.on("data", (d: Buffer) => { answer = Buffer.concat([answer, d]); });
    s.write(frame.subarray(0, 100_000));
    await new Promise((r) => setTimeout(r, 20));
    s.write(frame.subarray(100_000));
    await waitFor(() => answer.length >= 4, 10_000, "the close frame");
    assert.equal(answer[0], 0x88);
    assert.equal(answer.readUInt16BE(2), 1007);
    assert.equal(got.length, 0);
    s.destroy();
    await waitFor(() => m.connections.length === 1, 5000, "the close");
    await loop.stop();
  });
});

leakCheckAfterAll();
