// The WebSocket receive codec on its own: tables of bytes -> messages, control frames,
// close code and bytes consumed, each row also fed in pieces; zero copy; the memory
// bound of a fragment flood.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as v8 from "node:v8";
import { isUtf8 } from "node:buffer";
import { runInNewContext } from "node:vm";
import { WsDecoder, type WsDecoderOptions } from "../../src/ws/codec.js";
import { PerMessageDeflate } from "../../src/ws/deflate.js";
import { utf8Feed, utf8Scan, UTF8_ACCEPT, UTF8_REJECT } from "../../src/ws/utf8.js";
import { rawFrame as f, Recorder, feedWhole, feedPieces, splits, type Outcome } from "./codec-util.js";
import { leakCheckAfterAll } from "../helpers.js";

const CONT = 0, TEXT = 1, BIN = 2, CLOSE = 8, PING = 9, PONG = 10;
const hex = (s: string | Buffer): string => (typeof s === "string" ? Buffer.from(s) : s).toString("hex");
const M = (op: number, flags: number, data: string | Buffer): string => `msg ${op} ${flags.toString(16)} ${hex(data)}`;
const C = (op: number, data: string | Buffer = ""): string => `ctl ${op} ${(0x80 | op).toString(16)} ${hex(data)}`;
const F = (code: number): string => `fail ${code}`;
const cat = (...b: Buffer[]): Buffer => Buffer.concat(b);
const closeBody = (code: number, reason: string | Buffer = ""): Buffer => {
  const r = typeof reason === "string" ? Buffer.from(reason) : reason;
  const b = Buffer.alloc(2 + r.length); b.writeUInt16BE(code, 0); r.copy(b, 2); return b;
};

const server = (o: Partial<WsDecoderOptions> = {}) => (): WsDecoderOptions => ({ isServer: true, maxMessage: 1000, maxFragments: 4, ...o });
const client = (o: Partial<WsDecoderOptions> = {}) => (): WsDecoderOptions => ({ isServer: false, maxMessage: 1000, maxFragments: 4, ...o });
/** A decoder with permessage-deflate, no context kept (each row stands alone). */
const inflating = (o: Partial<WsDecoderOptions> = {}) => (): WsDecoderOptions => ({
  isServer: true, maxMessage: 1000, maxFragments: 4,
  deflate: new PerMessageDeflate({ sendNoContext: true, sendWindowBits: 15, recvNoContext: true }, {}, 1000), ...o,
});
const deflater = new PerMessageDeflate({ sendNoContext: true, sendWindowBits: 15, recvNoContext: true }, { threshold: 0 }, 1 << 20);
const z = (s: string | Buffer): Buffer => deflater.compress(typeof s === "string" ? Buffer.from(s) : s);

interface Row { name: string; opts: () => WsDecoderOptions; bytes: Buffer; events: string[]; consumed?: number; room?: number }

const b200 = Buffer.alloc(200, 0xab);
const b70k = Buffer.alloc(70_000, 0x5c);
const euro = Buffer.from("€"); // e2 82 ac
const compressedHello = z("hello hello hello");
const bomb = z(Buffer.alloc(5000, 0x61));

const rows: Row[] = [
  // ---- well-formed ----
  { name: "masked text", opts: server(), bytes: f({ op: TEXT, payload: "hello" }), events: [M(TEXT, 0x81, "hello")] },
  { name: "empty binary", opts: server(), bytes: f({ op: BIN }), events: [M(BIN, 0x82, "")] },
  { name: "empty text", opts: server(), bytes: f({ op: TEXT }), events: [M(TEXT, 0x81, "")] },
  { name: "16-bit length", opts: server(), bytes: f({ op: BIN, payload: b200 }), events: [M(BIN, 0x82, b200)] },
  { name: "unmasked frame to a client", opts: client(), bytes: f({ op: TEXT, payload: "hi", mask: false }), events: [M(TEXT, 0x81, "hi")] },
  { name: "two frames in one buffer", opts: server(), bytes: cat(f({ op: TEXT, payload: "a" }), f({ op: BIN, payload: "b" })), events: [M(TEXT, 0x81, "a"), M(BIN, 0x82, "b")] },
  {
    name: "fragments with a ping between", opts: server(),
    bytes: cat(f({ op: TEXT, payload: "Hel", fin: false }), f({ op: PING, payload: "p" }), f({ op: CONT, payload: "lo", fin: false }), f({ op: CONT, payload: "!" })),
    events: [C(PING, "p"), M(TEXT, 0x81, "Hello!")],
  },
  { name: "empty fragments", opts: server(), bytes: cat(f({ op: BIN, fin: false }), f({ op: CONT, fin: false }), f({ op: CONT })), events: [M(BIN, 0x82, "")] },
  { name: "pong and empty close", opts: server(), bytes: cat(f({ op: PONG, payload: "x" }), f({ op: CLOSE })), events: [C(PONG, "x"), C(CLOSE)] },
  {
    name: "close with code and reason, later bytes ignored", opts: server(),
    bytes: cat(f({ op: CLOSE, payload: closeBody(1000, "bye") }), f({ op: TEXT, payload: "late" }), Buffer.from([0xff])),
    events: [C(CLOSE, closeBody(1000, "bye"))],
  },
  { name: "control payload of 125 bytes", opts: server(), bytes: f({ op: PING, payload: Buffer.alloc(125, 1) }), events: [C(PING, Buffer.alloc(125, 1))] },
  { name: "message of exactly maxMessage", opts: server(), bytes: f({ op: BIN, payload: Buffer.alloc(1000, 2) }), events: [M(BIN, 0x82, Buffer.alloc(1000, 2))] },
  {
    name: "exactly maxFragments fragments", opts: server(),
    bytes: cat(f({ op: TEXT, payload: "a", fin: false }), f({ op: CONT, payload: "b", fin: false }), f({ op: CONT, payload: "c", fin: false }), f({ op: CONT, payload: "d" })),
    events: [M(TEXT, 0x81, "abcd")],
  },
  {
    name: "a UTF-8 sequence split between fragments", opts: server(),
    bytes: cat(f({ op: TEXT, payload: euro.subarray(0, 1), fin: false }), f({ op: CONT, payload: euro.subarray(1, 2), fin: false }), f({ op: CONT, payload: euro.subarray(2) })),
    events: [M(TEXT, 0x81, euro)],
  },
  { name: "4-byte UTF-8 and the highest code point", opts: server(), bytes: f({ op: TEXT, payload: "😀\u{10ffff}" }), events: [M(TEXT, 0x81, "😀\u{10ffff}")] },
  { name: "incomplete header", opts: server(), bytes: Buffer.from([0x81]), events: [], consumed: 0 },
  { name: "incomplete 16-bit length", opts: server(), bytes: Buffer.from([0x82, 0xfe, 0x00]), events: [], consumed: 0 },
  { name: "frame then an incomplete one", opts: server(), bytes: cat(f({ op: TEXT, payload: "ok" }), f({ op: BIN, payload: "xyz" }).subarray(0, 7)), events: [M(TEXT, 0x81, "ok")], consumed: 8 },
  { name: "incomplete valid text frame", opts: server(), bytes: f({ op: TEXT, payload: "abc€def" }).subarray(0, 9), events: [], consumed: 0 },
  // ---- compressed (RFC 7692) ----
  { name: "compressed text", opts: inflating(), bytes: f({ op: TEXT, rsv: 0x40, payload: compressedHello }), events: [M(TEXT, 0xc1, "hello hello hello")] },
  {
    name: "compressed text in two fragments", opts: inflating(),
    bytes: cat(f({ op: TEXT, rsv: 0x40, payload: compressedHello.subarray(0, 4), fin: false }), f({ op: CONT, payload: compressedHello.subarray(4) })),
    events: [M(TEXT, 0xc1, "hello hello hello")],
  },
  { name: "uncompressed message with deflate on", opts: inflating(), bytes: f({ op: BIN, payload: "raw" }), events: [M(BIN, 0x82, "raw")] },
  // ---- malformed ----
  { name: "unmasked frame from a client", opts: server(), bytes: f({ op: TEXT, payload: "hi", mask: false }), events: [F(1002)] },
  { name: "masked frame from a server", opts: client(), bytes: f({ op: TEXT, payload: "hi" }), events: [F(1002)] },
  { name: "RSV1 without deflate", opts: server(), bytes: f({ op: TEXT, rsv: 0x40, payload: "x" }), events: [F(1002)] },
  { name: "RSV2", opts: inflating(), bytes: f({ op: TEXT, rsv: 0x20, payload: "x" }), events: [F(1002)] },
  { name: "RSV3", opts: server(), bytes: f({ op: BIN, rsv: 0x10 }), events: [F(1002)] },
  { name: "RSV1 on a control frame", opts: inflating(), bytes: f({ op: PING, rsv: 0x40 }), events: [F(1002)] },
  {
    name: "RSV1 on a continuation", opts: inflating(),
    bytes: cat(f({ op: TEXT, rsv: 0x40, payload: compressedHello.subarray(0, 4), fin: false }), f({ op: CONT, rsv: 0x40, payload: compressedHello.subarray(4) })),
    events: [F(1002)],
  },
  { name: "reserved data opcode 3", opts: server(), bytes: f({ op: 3 }), events: [F(1002)] },
  { name: "reserved control opcode 11", opts: server(), bytes: f({ op: 11 }), events: [F(1002)] },
  { name: "fragmented ping", opts: server(), bytes: f({ op: PING, fin: false }), events: [F(1002)] },
  { name: "ping over 125 bytes", opts: server(), bytes: f({ op: PING, payload: Buffer.alloc(126) }), events: [F(1002)] },
  { name: "close with a 1-byte payload", opts: server(), bytes: f({ op: CLOSE, payload: Buffer.from([3]) }), events: [F(1002)] },
  { name: "close code 999", opts: server(), bytes: f({ op: CLOSE, payload: closeBody(999) }), events: [F(1002)] },
  { name: "close code 1005", opts: server(), bytes: f({ op: CLOSE, payload: closeBody(1005) }), events: [F(1002)] },
  { name: "close reason not UTF-8", opts: server(), bytes: f({ op: CLOSE, payload: closeBody(1000, Buffer.from([0xc0, 0x80])) }), events: [F(1007)] },
  { name: "continuation without a message", opts: server(), bytes: f({ op: CONT, payload: "x" }), events: [F(1002)] },
  { name: "new message inside a fragmented one", opts: server(), bytes: cat(f({ op: TEXT, payload: "a", fin: false }), f({ op: BIN, payload: "b" })), events: [F(1002)] },
  { name: "16-bit length below 126 (RFC 6455 5.2)", opts: server(), bytes: f({ op: BIN, payload: "abc", lenBytes: 2 }), events: [F(1002)] },
  { name: "16-bit length 125", opts: server(), bytes: f({ op: BIN, payload: Buffer.alloc(125), lenBytes: 2 }), events: [F(1002)] },
  { name: "64-bit length below 65536", opts: server(), bytes: f({ op: BIN, payload: b200, lenBytes: 8 }), events: [F(1002)] },
  { name: "64-bit length 65535, header only", opts: server(), bytes: f({ op: BIN, len: 65535, lenBytes: 8 }), events: [F(1002)] },
  { name: "64-bit length with the top bit set", opts: server(), bytes: f({ op: BIN, len: 0, lenBytes: 8, len64High: 0x80000000 }), events: [F(1002)] },
  { name: "ping with a 16-bit length", opts: server(), bytes: f({ op: PING, payload: "x", lenBytes: 2 }), events: [F(1002)] },
  { name: "message over maxMessage, header only", opts: server(), bytes: f({ op: BIN, len: 1001 }), events: [F(1009)] },
  { name: "huge 64-bit length, header only", opts: server(), bytes: f({ op: BIN, len: 0, lenBytes: 8, len64High: 0x7fffffff }), events: [F(1009)] },
  {
    name: "fragments adding up over maxMessage", opts: server(),
    bytes: cat(f({ op: BIN, payload: Buffer.alloc(600), fin: false }), f({ op: CONT, len: 401 })),
    events: [F(1009)],
  },
  {
    name: "one fragment past maxFragments (1008)", opts: server(),
    bytes: cat(f({ op: TEXT, payload: "a", fin: false }), f({ op: CONT, payload: "b", fin: false }), f({ op: CONT, payload: "c", fin: false }), f({ op: CONT, payload: "d", fin: false }), Buffer.from([0x80, 0x81])),
    events: [F(1008)],
  },
  { name: "frame bigger than the caller's room", opts: server(), bytes: f({ op: BIN, len: 200 }), events: [F(1009)], room: 100 },
  { name: "invalid UTF-8 (FF)", opts: server(), bytes: f({ op: TEXT, payload: Buffer.from([0x61, 0xff]) }), events: [F(1007)] },
  { name: "overlong C0 AF", opts: server(), bytes: f({ op: TEXT, payload: Buffer.from([0xc0, 0xaf]) }), events: [F(1007)] },
  { name: "overlong E0 80 AF", opts: server(), bytes: f({ op: TEXT, payload: Buffer.from([0xe0, 0x80, 0xaf]) }), events: [F(1007)] },
  { name: "surrogate ED A0 80", opts: server(), bytes: f({ op: TEXT, payload: Buffer.from([0xed, 0xa0, 0x80]) }), events: [F(1007)] },
  { name: "past U+10FFFF (F4 90 80 80)", opts: server(), bytes: f({ op: TEXT, payload: Buffer.from([0xf4, 0x90, 0x80, 0x80]) }), events: [F(1007)] },
  { name: "text ends inside a sequence", opts: server(), bytes: f({ op: TEXT, payload: euro.subarray(0, 2) }), events: [F(1007)] },
  {
    name: "fragmented text ends inside a sequence", opts: server(),
    bytes: cat(f({ op: TEXT, payload: "ab", fin: false }), f({ op: CONT, payload: euro.subarray(0, 2) })),
    events: [F(1007)],
  },
  {
    name: "invalid UTF-8 in the 2nd fragment fails before the 3rd arrives (fail fast)", opts: server(),
    bytes: cat(f({ op: TEXT, payload: "valid ", fin: false }), f({ op: CONT, payload: Buffer.from([0x61, 0xed, 0xbf, 0xbf]), fin: false })),
    events: [F(1007)],
  },
  {
    name: "invalid UTF-8 in an incomplete frame fails at once", opts: server(),
    bytes: f({ op: TEXT, payload: Buffer.concat([Buffer.from("ok"), Buffer.from([0xfe]), Buffer.alloc(50, 0x61)]) }).subarray(0, 9),
    events: [F(1007)],
  },
  {
    name: "binary fragments are not UTF-8 checked", opts: server(),
    bytes: cat(f({ op: BIN, payload: Buffer.from([0xff]), fin: false }), f({ op: CONT, payload: Buffer.from([0xfe]) })),
    events: [M(BIN, 0x82, Buffer.from([0xff, 0xfe]))],
  },
  { name: "compressed garbage", opts: inflating(), bytes: f({ op: BIN, rsv: 0x40, payload: Buffer.from([0xff, 0xff, 0xff]) }), events: [F(1007)] },
  { name: "compressed text not UTF-8", opts: inflating(), bytes: f({ op: TEXT, rsv: 0x40, payload: z(Buffer.from([0x61, 0xff])) }), events: [F(1007)] },
  { name: "compressed message inflating past maxMessage", opts: inflating(), bytes: f({ op: BIN, rsv: 0x40, payload: bomb }), events: [F(1009)] },
  { name: "bytes after a failure are ignored", opts: server(), bytes: cat(f({ op: 3 }), f({ op: TEXT, payload: "x" })), events: [F(1002)] },
];

function check(row: Row, got: Outcome, how: string): void {
  assert.deepEqual(got.events, row.events, `${row.name}: events ${how}`);
  assert.equal(got.consumed, row.consumed ?? row.bytes.length, `${row.name}: bytes consumed ${how}`);
}

describe("WsDecoder: table", () => {
  for (const row of rows) {
    it(row.name, () => {
      check(row, feedWhole(row.opts, row.bytes, row.room), "in one piece");
      for (const cuts of splits(row.bytes.length)) {
        check(row, feedPieces(row.opts, row.bytes, cuts, row.room), cuts.length === 1 ? `split at ${cuts[0]}` : "byte by byte");
      }
    });
  }
});

// Frames of 64 KiB and more that arrive in pieces are streamed into their final buffer
// (the decoder consumes the input as it comes). Fed whole, byte by byte, and split in two
// at every boundary near each frame's start and end and at a stride in between: every
// boundary of a 66 KiB row would be 66,000 runs over 66 KiB, minutes on a busy machine.
const big = (n: number, seed: number): Buffer => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff; return b; };
const p66k = big(66_000, 1), p70k = big(70_000, 2);
const ascii66k = Buffer.alloc(66_000, 0x61);
const badAt40k = Buffer.from(ascii66k); badAt40k[40_000] = 0xff;
const emoji = Buffer.from("😀"); // f0 9f 98 80
const cutEmoji1 = Buffer.concat([Buffer.alloc(65_998, 0x62), emoji.subarray(0, 2)]);
const cutEmoji2 = Buffer.concat([emoji.subarray(2), Buffer.alloc(65_998, 0x63)]);
const zeroKey = Buffer.alloc(4);
const largeRows: Row[] = [
  { name: "64-bit length", opts: server({ maxMessage: 100_000 }), bytes: f({ op: BIN, payload: b70k }), events: [M(BIN, 0x82, b70k)] },
  { name: "large binary, zero masking key", opts: server({ maxMessage: 100_000 }), bytes: f({ op: BIN, payload: p66k, mask: zeroKey }), events: [M(BIN, 0x82, p66k)] },
  { name: "large text then a small frame", opts: server({ maxMessage: 100_000 }), bytes: cat(f({ op: TEXT, payload: ascii66k }), f({ op: TEXT, payload: "x" })), events: [M(TEXT, 0x81, ascii66k), M(TEXT, 0x81, "x")] },
  {
    name: "large fragments with a ping between", opts: server({ maxMessage: 200_000 }),
    bytes: cat(f({ op: BIN, payload: p66k, fin: false }), f({ op: PING, payload: "p" }), f({ op: CONT, payload: p70k })),
    events: [C(PING, "p"), M(BIN, 0x82, cat(p66k, p70k))],
  },
  {
    name: "large text fragments with a character cut between them", opts: server({ maxMessage: 200_000 }),
    bytes: cat(f({ op: TEXT, payload: cutEmoji1, fin: false }), f({ op: CONT, payload: cutEmoji2 })),
    events: [M(TEXT, 0x81, cat(cutEmoji1, cutEmoji2))],
  },
  { name: "large text, invalid UTF-8 in the middle", opts: server({ maxMessage: 100_000 }), bytes: f({ op: TEXT, payload: badAt40k }), events: [F(1007)] },
  {
    name: "large text ending inside a character", opts: server({ maxMessage: 100_000 }),
    bytes: f({ op: TEXT, payload: cutEmoji1 }), events: [F(1007)],
  },
  {
    name: "large message over maxMessage in its second fragment", opts: server({ maxMessage: 100_000 }),
    bytes: cat(f({ op: BIN, payload: p66k, fin: false }), f({ op: CONT, payload: p70k })), events: [F(1009)],
  },
];

/** Cut points of `bytes` for a large row: near every frame boundary, and every `stride` bytes. */
function sampledCuts(n: number, frameStarts: number[], stride = 997): number[] {
  const set = new Set<number>();
  for (const at of [...frameStarts, n]) for (let d = -40; d <= 40; d++) if (at + d > 0 && at + d < n) set.add(at + d);
  for (let k = stride; k < n; k += stride) set.add(k);
  return [...set].sort((a, b) => a - b);
}

/** Where each frame of a row starts (parsing the headers the row's builder wrote). */
function frameStarts(b: Buffer): number[] {
  const out: number[] = [];
  let at = 0;
  while (at + 2 <= b.length) {
    out.push(at);
    let len = b[at + 1]! & 0x7f, hl = 2;
    if (len === 126) { len = b.readUInt16BE(at + 2); hl = 4; } else if (len === 127) { len = b.readUInt32BE(at + 6); hl = 10; }
    at += hl + ((b[at + 1]! & 0x80) !== 0 ? 4 : 0) + len;
  }
  return out;
}

describe("WsDecoder: large frames (streamed)", () => {
  for (const row of largeRows) {
    it(row.name, () => {
      check(row, feedWhole(row.opts, row.bytes, row.room), "in one piece");
      check(row, feedPieces(row.opts, row.bytes, Array.from({ length: row.bytes.length - 1 }, (_, i) => i + 1), row.room), "byte by byte");
      for (const k of sampledCuts(row.bytes.length, frameStarts(row.bytes))) check(row, feedPieces(row.opts, row.bytes, [k], row.room), `split at ${k}`);
    });
  }

  it("fails at the first invalid byte of a large text frame, before the frame is complete", () => {
    const d = new WsDecoder(server({ maxMessage: 100_000 })());
    const r = new Recorder();
    const bytes = f({ op: TEXT, payload: badAt40k });
    const head = 14; // 2 + 8 (64-bit length) + 4 (key)
    assert.equal(d.decode(Buffer.from(bytes.subarray(0, head + 40_000)), r), head + 40_000, "streamed: consumed as it comes");
    assert.deepEqual(r.events, []);
    d.decode(Buffer.from(bytes.subarray(head + 40_000, head + 40_001)), r);
    assert.deepEqual(r.events, [F(1007)]);
  });

  it("a streamed message is one buffer of its own size, not a view of the input", () => {
    const d = new WsDecoder(server({ maxMessage: 100_000 })());
    const r = new Recorder();
    const bytes = f({ op: BIN, payload: p66k });
    const a = Buffer.from(bytes.subarray(0, 1000)), b = Buffer.from(bytes.subarray(1000));
    assert.equal(d.decode(a, r), a.length);
    assert.equal(d.decode(b, r), b.length);
    a.fill(0); b.fill(0);
    assert.equal(r.data[0]!.length, p66k.length);
    assert.ok(r.data[0]!.equals(p66k));
  });

  it("pausing after a streamed frame leaves the next frame unconsumed", () => {
    const d = new WsDecoder(server({ maxMessage: 100_000 })());
    const events: string[] = [];
    const sink = { message: (op: number, data: Buffer) => { events.push(`${op}:${data.length}`); return false; }, control: () => true, fail: (c: number) => { events.push(`fail ${c}`); } };
    const bytes = cat(f({ op: BIN, payload: p66k }), f({ op: TEXT, payload: "next" }));
    const a = Buffer.from(bytes.subarray(0, 500)), b = Buffer.from(bytes.subarray(500));
    assert.equal(d.decode(a, sink), 500);
    const used = d.decode(b, sink);
    assert.equal(used, 14 + 66_000 - 500, "stops right after the streamed frame");
    assert.deepEqual(events, [`2:66000`]);
    assert.equal(d.decode(b.subarray(used), sink), b.length - used);
    assert.deepEqual(events, ["2:66000", "1:4"]);
  });
});

describe("unmasking (32-bit words over the aligned middle)", () => {
  it("equals a byte-wise XOR at every alignment, phase and length", () => {
    const key = Buffer.from([0x9a, 0x01, 0xfe, 0x55]);
    for (const len of [0, 1, 3, 255, 256, 257, 1000, 1027]) {
      for (let off = 0; off < 4; off++) {
        const payload = big(len, len + off);
        const backing = Buffer.alloc(14 + off + len + 3);
        const bytes = f({ op: BIN, payload, mask: key });
        bytes.copy(backing, off);
        const d = new WsDecoder(server({ maxMessage: 100_000 })());
        const r = new Recorder();
        d.decode(backing.subarray(off, off + bytes.length), r);
        assert.ok(r.data[0]!.equals(payload), `len ${len}, offset ${off}`);
      }
    }
  });
});

describe("WsDecoder: behaviour", () => {
  it("hands a complete unfragmented frame on as a view of the input (zero copy)", () => {
    const d = new WsDecoder(server()());
    const r = new Recorder();
    const input = Buffer.from(cat(f({ op: TEXT, payload: "hello" }), f({ op: BIN, payload: b200 })));
    assert.equal(d.decode(input, r), input.length);
    assert.equal(r.data.length, 2);
    for (const m of r.data) assert.equal(m.buffer, input.buffer, "the payload is a view of the input");
    assert.equal(r.data[0]!.byteOffset, input.byteOffset + 6);
    assert.equal(r.data[0]!.toString(), "hello");
  });

  it("copies fragments into one buffer, not views of the input", () => {
    const d = new WsDecoder(server()());
    const r = new Recorder();
    const input = cat(f({ op: BIN, payload: "ab", fin: false }), f({ op: CONT, payload: "cd" }));
    d.decode(input, r);
    input.fill(0);
    assert.equal(r.data[0]!.toString(), "abcd", "the message does not share the input's memory");
  });

  it("a false return from the sink pauses after that frame", () => {
    const d = new WsDecoder(server()());
    const seen: string[] = [];
    const sink = { message: (_op: number, data: Buffer) => { seen.push(data.toString()); return false; }, control: () => true, fail: () => assert.fail("no failure") };
    const a = f({ op: TEXT, payload: "one" }), b = f({ op: TEXT, payload: "two" });
    const input = cat(a, b);
    const used = d.decode(input, sink);
    assert.equal(used, a.length);
    assert.deepEqual(seen, ["one"]);
    assert.equal(d.decode(input.subarray(used), sink), b.length);
    assert.deepEqual(seen, ["one", "two"]);
  });

  it("reports closed and failed, and ignores input afterwards", () => {
    const a = new WsDecoder(server()());
    a.decode(f({ op: CLOSE }), new Recorder());
    assert.equal(a.closed, true);
    const r = new Recorder();
    assert.equal(a.decode(f({ op: TEXT, payload: "x" }), r), 7);
    assert.deepEqual(r.events, []);
    const b = new WsDecoder(server()());
    b.decode(f({ op: 5 }), new Recorder());
    assert.equal(b.failed, true);
  });

  it("the default fragment cap is 16384 frames", () => {
    const d = new WsDecoder({ isServer: true, maxMessage: 1 << 20 });
    assert.equal(d.maxFragments, 16384);
    const r = new Recorder();
    const frag = f({ op: CONT, payload: "a", fin: false });
    const many = Buffer.concat([f({ op: TEXT, payload: "a", fin: false }), ...Array.from({ length: 16383 }, () => frag)]);
    assert.equal(d.decode(many, r), many.length);
    assert.deepEqual(r.events, []);
    d.decode(f({ op: CONT, payload: "b" }), r);
    assert.deepEqual(r.events, [F(1008)]);
  });
});

describe("UTF-8 state machine", () => {
  it("agrees with isUtf8 on every 1..3-byte sequence, and on 4-byte ones around the edges", () => {
    const b = Buffer.alloc(4);
    const check = (n: number): void => {
      const v = b.subarray(0, n);
      assert.equal(utf8Scan(UTF8_ACCEPT, v, 0, n) === UTF8_ACCEPT, isUtf8(v), `bytes ${v.toString("hex")}`);
    };
    for (let x = 0; x < 256; x++) { b[0] = x; check(1); }
    for (const x of [0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf4, 0xc0, 0x80]) {
      for (let y = 0; y < 256; y++) {
        b[0] = x; b[1] = y; check(2);
        for (const w of [0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0]) {
          b[2] = w; check(3);
          for (const q of [0x7f, 0x80, 0xbf, 0xc0]) { b[3] = q; check(4); }
        }
      }
    }
  });

  it("carries its state across pieces, for long pieces too", () => {
    const text = Buffer.from("ascii, é, €, 😀 and more ".repeat(20));
    for (let cut = 0; cut <= text.length; cut += 7) {
      const s = utf8Feed(UTF8_ACCEPT, text, 0, cut);
      assert.notEqual(s, UTF8_REJECT, `first piece up to ${cut}`);
      assert.equal(utf8Feed(s, text, cut, text.length), UTF8_ACCEPT, `cut at ${cut}`);
    }
    const bad = Buffer.concat([Buffer.alloc(100, 0x61), Buffer.from([0xe2, 0x82, 0x41]), Buffer.alloc(100, 0x61)]);
    assert.equal(utf8Feed(UTF8_ACCEPT, bad, 0, bad.length), UTF8_REJECT);
    assert.equal(utf8Feed(utf8Feed(UTF8_ACCEPT, bad, 0, 102), bad, 102, bad.length), UTF8_REJECT);
  });
});

// The memory a fragmented message costs: received as 1-byte fragments, it must stay
// within a few times its size (the old receiver kept ~140 bytes per fragment).
describe("WsDecoder: fragment flood", () => {
  v8.setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const used = (): number => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };

  it("a 4 MiB text message in 1-byte fragments costs less than 4x its size", () => {
    const SIZE = 4 << 20;
    const d = new WsDecoder({ isServer: true, maxMessage: 16 << 20, maxFragments: Infinity });
    const r = new Recorder();
    const FRAME = 7; // 2-byte header, 4-byte key, 1 byte
    const PER_CHUNK = 9362;
    const chunk = Buffer.alloc(PER_CHUNK * FRAME);
    gc();
    const base = used();
    let peak = 0, sent = 0;
    while (sent < SIZE) {
      const k = Math.min(PER_CHUNK, SIZE - sent);
      // The same chunk memory is rebuilt each round: nothing may keep views of it.
      for (let i = 0; i < k; i++) {
        const at = i * FRAME, last = sent + i === SIZE - 1;
        chunk[at] = (last ? 0x80 : 0) | (sent + i === 0 ? TEXT : CONT);
        chunk[at + 1] = 0x81;
        chunk.writeUInt32BE(0x11223344, at + 2);
        chunk[at + 6] = 0x61 ^ 0x11; // 'a' under the key's first byte
      }
      const piece = chunk.subarray(0, k * FRAME);
      assert.equal(d.decode(piece, r), piece.length);
      sent += k;
      peak = Math.max(peak, used() - base);
    }
    assert.equal(r.events.length, 1, "one message");
    assert.equal(r.data[0]!.length, SIZE);
    assert.ok(r.data[0]!.every((x) => x === 0x61), "the payload, unmasked");
    gc();
    const kept = used() - base;
    console.log(`# flood: ${SIZE} bytes in ${SIZE} fragments: peak +${(peak / 2 ** 20).toFixed(1)} MiB, after gc +${(kept / 2 ** 20).toFixed(1)} MiB`);
    assert.ok(peak < 4 * SIZE + (4 << 20), `peak growth ${peak} bytes for a ${SIZE}-byte message`);
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
