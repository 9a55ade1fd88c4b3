// RFC 6455 edge cases against our server, with frames made by hand on a raw socket.
import { describe, it, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { echoServer, frame, closeBody, RawWs } from "./peers.js";
import { waitFor, leakCheckAfterAll } from "../helpers.js";
import { MG_EV_WS_MSG, MG_EV_WS_OPEN, WEBSOCKET_OP_BINARY, WEBSOCKET_OP_CLOSE, WEBSOCKET_OP_CONTINUE, WEBSOCKET_OP_PING, WEBSOCKET_OP_PONG, WEBSOCKET_OP_TEXT } from "../../src/index.js";

const TEXT = WEBSOCKET_OP_TEXT, BIN = WEBSOCKET_OP_BINARY, CONT = WEBSOCKET_OP_CONTINUE;
const PING = WEBSOCKET_OP_PING, PONG = WEBSOCKET_OP_PONG, CLOSE = WEBSOCKET_OP_CLOSE;

describe("RFC 6455 server side", () => {
  let srv: ReturnType<typeof echoServer>;
  before(() => { srv = echoServer({ wsMaxMessageSize: 100_000, wsDeflate: false }); });
  after(() => srv.stop());
  beforeEach(() => { srv.events.length = 0; });

  /** The server must answer with a close frame carrying `code`, report an error, and close the TCP connection. */
  async function expectFailure(ws: RawWs, code: number, errorText: RegExp): Promise<void> {
    const c = await ws.readClose();
    assert.equal(c.code, code, `close code (reason: ${c.reason})`);
    await ws.waitClosed();
    await waitFor(() => srv.events.some((e) => e.ev === "close"), 5000, "MG_EV_CLOSE");
    // (An error from the previous test's connection, reset by its client, may come first.)
    await waitFor(() => srv.events.some((e) => e.ev === "error" && errorText.test(e.text!)), 5000, `MG_EV_ERROR matching ${errorText}`);
    assert.ok(!srv.events.some((e) => e.ev === "msg"), "no message delivered");
  }

  it("echoes a masked text frame unmasked", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: TEXT, payload: "hello" }));
    const f = await ws.readFrame();
    assert.deepEqual([f!.fin, f!.rsv, f!.op, f!.masked, f!.payload.toString()], [true, 0, TEXT, false, "hello"]);
    const msg = srv.events.find((e) => e.ev === "msg")!;
    assert.equal(msg.flags, 0x81);
    ws.destroy();
  });

  it("handles 7-bit, 16-bit and 64-bit lengths, and empty messages", async () => {
    const ws = await RawWs.connect(srv.port);
    for (const n of [0, 125, 126, 200, 65535, 65536, 70_000]) {
      const payload = Buffer.alloc(n, n & 0xff);
      ws.send(frame({ op: BIN, payload }));
      const f = await ws.readFrame();
      assert.equal(f!.op, BIN);
      assert.ok(f!.payload.equals(payload), `payload of ${n} bytes`);
    }
    ws.send(frame({ op: TEXT, payload: "" }));
    assert.equal((await ws.readFrame())!.payload.length, 0);
    ws.destroy();
  });

  it("reassembles fragments and answers a ping sent between them first", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: TEXT, payload: "Hel", fin: false }), frame({ op: PING, payload: "p1" }),
      frame({ op: CONT, payload: "lo, ", fin: false }), frame({ op: CONT, payload: "world" }));
    const pong = await ws.readFrame();
    assert.equal(pong!.op, PONG);
    assert.equal(pong!.payload.toString(), "p1");
    const msg = await ws.readFrame();
    assert.equal(msg!.op, TEXT);
    assert.equal(msg!.payload.toString(), "Hello, world");
    const ev = srv.events.filter((e) => e.ev === "msg" || e.ev === "ctl").map((e) => `${e.ev}:${e.op}`);
    assert.deepEqual(ev, ["ctl:9", "msg:1"]);
    ws.destroy();
  });

  it("accepts UTF-8 split across fragments", async () => {
    const ws = await RawWs.connect(srv.port);
    const euro = Buffer.from("€uro");
    ws.send(frame({ op: TEXT, payload: euro.subarray(0, 2), fin: false }), frame({ op: CONT, payload: euro.subarray(2) }));
    assert.equal((await ws.readFrame())!.payload.toString(), "€uro");
    ws.destroy();
  });

  it("parses frames delivered one byte at a time and frames that follow the request in the same packet", async () => {
    const ws = await RawWs.connect(srv.port);
    const f = frame({ op: TEXT, payload: "slow".repeat(40) });
    for (const b of f) { ws.send(Buffer.from([b])); await new Promise((r) => setTimeout(r, 1)); }
    assert.equal((await ws.readFrame())!.payload.toString(), "slow".repeat(40));
    ws.destroy();
  });

  it("answers pings with the same payload and reports unsolicited pongs", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: PONG, payload: "unsolicited" }), frame({ op: PING, payload: Buffer.from([1, 2, 3]) }));
    const f = await ws.readFrame();
    assert.equal(f!.op, PONG);
    assert.deepEqual([...f!.payload], [1, 2, 3]);
    const ctl = srv.events.filter((e) => e.ev === "ctl").map((e) => [e.op, e.data!.toString("hex")]);
    assert.deepEqual(ctl, [[PONG, Buffer.from("unsolicited").toString("hex")], [PING, "010203"]]);
    ws.destroy();
  });

  it("closing handshake: echoes the code, reports MG_EV_WS_CTL, then closes", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: CLOSE, payload: closeBody(4321, "bye") }));
    const c = await ws.readClose();
    assert.equal(c.code, 4321);
    await ws.waitClosed();
    await waitFor(() => srv.events.some((e) => e.ev === "close"));
    const ctl = srv.events.find((e) => e.ev === "ctl")!;
    assert.equal(ctl.op, CLOSE);
    assert.equal(ctl.data!.readUInt16BE(0), 4321);
    assert.equal(ctl.data!.subarray(2).toString(), "bye");
    assert.ok(!srv.events.some((e) => e.ev === "error"));
  });

  it("an empty close is answered with an empty close; data after it is ignored", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: CLOSE }), frame({ op: TEXT, payload: "late" }));
    const c = await ws.readClose();
    assert.equal(c.code, 1005);
    assert.equal(c.before.length, 0);
    await ws.waitClosed();
    assert.ok(!srv.events.some((e) => e.ev === "msg"));
  });

  it("refuses unmasked client frames (1002)", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: TEXT, payload: "x", mask: false }));
    await expectFailure(ws, 1002, /unmasked/);
  });

  for (const rsv of [0x40, 0x20, 0x10]) {
    it(`refuses reserved bit 0x${rsv.toString(16)} without an extension (1002)`, async () => {
      const ws = await RawWs.connect(srv.port);
      ws.send(frame({ op: TEXT, payload: "x", rsv }));
      await expectFailure(ws, 1002, /reserved bits/);
    });
  }

  for (const op of [3, 7, 11, 15]) {
    it(`refuses unknown opcode ${op} (1002)`, async () => {
      const ws = await RawWs.connect(srv.port);
      ws.send(frame({ op, payload: "x" }));
      await expectFailure(ws, 1002, /unknown opcode/);
    });
  }

  it("refuses a control frame over 125 bytes (1002)", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: PING, payload: Buffer.alloc(126) }));
    await expectFailure(ws, 1002, /over 125/);
  });

  it("refuses a fragmented control frame (1002)", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: PING, payload: "x", fin: false }));
    await expectFailure(ws, 1002, /fragmented control/);
  });

  it("refuses a continuation without a start (1002)", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: CONT, payload: "x" }));
    await expectFailure(ws, 1002, /continuation/);
  });

  it("refuses a new data frame while a fragmented message is in progress (1002)", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: TEXT, payload: "a", fin: false }), frame({ op: BIN, payload: "b" }));
    await expectFailure(ws, 1002, /in progress/);
  });

  it("refuses a 64-bit length with the top bit set (1002)", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: BIN, payload: "x", len64High: 0x80000000 }));
    await expectFailure(ws, 1002, /top bit/);
  });

  it("refuses invalid UTF-8 in a text message (1007)", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: TEXT, payload: Buffer.from([0x68, 0xc3, 0x28]) }));
    await expectFailure(ws, 1007, /UTF-8/);
  });

  it("refuses invalid UTF-8 across fragments (1007)", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: TEXT, payload: Buffer.from([0xe2, 0x82]), fin: false }), frame({ op: CONT, payload: Buffer.from([0x41]) }));
    await expectFailure(ws, 1007, /UTF-8/);
  });

  it("refuses invalid UTF-8 in a close reason (1007)", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: CLOSE, payload: Buffer.concat([closeBody(1000), Buffer.from([0xff, 0xfe])]) }));
    await expectFailure(ws, 1007, /close reason/);
  });

  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535]) {
    it(`refuses close code ${code} (1002)`, async () => {
      const ws = await RawWs.connect(srv.port);
      ws.send(frame({ op: CLOSE, payload: closeBody(code) }));
      await expectFailure(ws, 1002, /invalid close code/);
    });
  }

  it("refuses a close frame with a 1-byte payload (1002)", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: CLOSE, payload: Buffer.from([3]) }));
    await expectFailure(ws, 1002, /1-byte/);
  });

  it("refuses a message over wsMaxMessageSize (1009), without waiting for its payload", async () => {
    const ws = await RawWs.connect(srv.port);
    // Only the header of a 10 MB frame: the limit is checked as soon as the length is known.
    ws.send(frame({ op: BIN, payload: Buffer.alloc(10_000_000) }).subarray(0, 14));
    await expectFailure(ws, 1009, /over 100000/);
  });

  it("refuses fragments that add up to more than wsMaxMessageSize (1009)", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: BIN, payload: Buffer.alloc(60_000), fin: false }), frame({ op: CONT, payload: Buffer.alloc(60_000) }));
    await expectFailure(ws, 1009, /over 100000/);
  });

  it("a truncated frame and an abrupt close end the connection quietly", async () => {
    const ws = await RawWs.connect(srv.port);
    ws.send(frame({ op: TEXT, payload: "cut short" }).subarray(0, 5));
    await new Promise((r) => setTimeout(r, 30));
    ws.destroy();
    await waitFor(() => srv.events.some((e) => e.ev === "close"));
    assert.ok(!srv.events.some((e) => e.ev === "msg"));
  });
});

describe("RFC 6455 closing initiated by the server", () => {
  it("wsClose() sends the code and reason and closes when the client answers", async () => {
    const srv = echoServer({}, ([c, ev, data]) => {
      if (ev === MG_EV_WS_MSG && data.text === "close me") c.wsClose(4000, "as asked");
    });
    try {
      const ws = await RawWs.connect(srv.port);
      ws.send(frame({ op: TEXT, payload: "close me" }));
      const c = await ws.readClose();
      assert.deepEqual([c.code, c.reason], [4000, "as asked"]);
      assert.equal(c.before.length, 1, "the echo came before the close");
      ws.send(frame({ op: CLOSE, payload: closeBody(4000) }));
      await ws.waitClosed();
      await waitFor(() => srv.events.some((e) => e.ev === "close"));
      assert.ok(!srv.events.some((e) => e.ev === "error"));
    } finally { await srv.stop(); }
  });

  it("cuts the connection after wsCloseTimeoutMs when the client never answers the close", async () => {
    const srv = echoServer({ wsCloseTimeoutMs: 200 }, ([c, ev]) => { if (ev === MG_EV_WS_OPEN) c.wsClose(1001); });
    try {
      const ws = await RawWs.connect(srv.port);
      const c = await ws.readClose();
      assert.equal(c.code, 1001);
      await ws.waitClosed(5000); // without answering
      await waitFor(() => srv.events.some((e) => e.ev === "close"));
    } finally { await srv.stop(); }
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
