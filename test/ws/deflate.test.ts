// permessage-deflate (RFC 7692): negotiation rules, and compressed frames made by hand.
import { describe, it, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { randomBytes } from "node:crypto";
import { serverNegotiate, clientAccept, clientOffer, parseExtensions, PerMessageDeflate } from "../../src/ws/deflate.js";
import { Manager, WEBSOCKET_OP_BINARY } from "../../src/index.js";
import { echoServer, frame, RawWs, RecordingClient } from "./peers.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";

/** Raw deflate with a sync flush and the 4-byte tail removed, as a peer would send. */
function deflate(data: Buffer | string): Buffer {
  const out = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

describe("extension header parsing and negotiation", () => {
  it("parses lists, parameters and quoted values", () => {
    assert.deepEqual(parseExtensions(['permessage-deflate; client_max_window_bits; server_max_window_bits="10", x-foo']), [
      { name: "permessage-deflate", params: [["client_max_window_bits", undefined], ["server_max_window_bits", "10"]] },
      { name: "x-foo", params: [] },
    ]);
    assert.equal(parseExtensions(["permessage-deflate; =1"]), undefined);
    assert.equal(parseExtensions(['permessage-deflate; a="unterminated']), undefined);
  });

  it("server: accepts a plain offer and answers with no parameters", () => {
    const r = serverNegotiate(["permessage-deflate"], {})!;
    assert.equal(r[0], "permessage-deflate");
    assert.deepEqual(r[1], { sendNoContext: false, sendWindowBits: 15, recvNoContext: false });
  });

  it("server: honours server_no_context_takeover and server_max_window_bits, echoes client_no_context_takeover", () => {
    const r = serverNegotiate(["permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10"], {})!;
    assert.equal(r[0], "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10");
    assert.deepEqual(r[1], { sendNoContext: true, sendWindowBits: 10, recvNoContext: true });
  });

  it("server: its own settings ask the client for less, only where the client allows", () => {
    const o = { clientNoContextTakeover: true, clientMaxWindowBits: 11, serverMaxWindowBits: 12 };
    assert.equal(serverNegotiate(["permessage-deflate; client_max_window_bits"], o)![0],
      "permessage-deflate; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=11");
    // Without client_max_window_bits in the offer the server must not send it.
    assert.equal(serverNegotiate(["permessage-deflate"], o)![0], "permessage-deflate; client_no_context_takeover; server_max_window_bits=12");
  });

  it("server: declines bad offers and takes the next acceptable one", () => {
    for (const bad of [
      "permessage-deflate; server_max_window_bits=7", "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; server_max_window_bits", "permessage-deflate; client_max_window_bits=0x9",
      "permessage-deflate; unknown_param", "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
      "permessage-deflate; server_no_context_takeover=1", "x-webkit-deflate-frame",
    ]) assert.equal(serverNegotiate([bad], {}), undefined, bad);
    const r = serverNegotiate(["permessage-deflate; foo=1, permessage-deflate; client_max_window_bits=12"], { clientMaxWindowBits: 14 })!;
    assert.equal(r[0], "permessage-deflate; client_max_window_bits=12");
  });

  it("client: offers what its options say", () => {
    assert.equal(clientOffer({}), "permessage-deflate; client_max_window_bits");
    assert.equal(clientOffer({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 12 }),
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12");
  });

  it("client: checks the response against the offer", () => {
    assert.equal(clientAccept([], {}), undefined);
    assert.deepEqual(clientAccept(["permessage-deflate; client_max_window_bits=9; server_no_context_takeover"], {}),
      { sendNoContext: false, sendWindowBits: 9, recvNoContext: true });
    assert.match(clientAccept(["permessage-deflate"], undefined) as string, /not offered/);
    assert.match(clientAccept(["x-other"], {}) as string, /not offered/);
    assert.match(clientAccept(["permessage-deflate; bogus"], {}) as string, /unknown/);
    assert.match(clientAccept(["permessage-deflate; server_max_window_bits=12"], { serverMaxWindowBits: 10 }) as string, /server_max_window_bits/);
    assert.match(clientAccept(["permessage-deflate"], { serverNoContextTakeover: true }) as string, /ignored/);
    assert.match(clientAccept(["permessage-deflate, permessage-deflate"], {}) as string, /not offered/);
  });

  it("compress/decompress keep context across messages, or not", () => {
    const max = 1 << 20;
    const a = new PerMessageDeflate({ sendNoContext: false, sendWindowBits: 15, recvNoContext: false }, {}, max);
    const b = new PerMessageDeflate({ sendNoContext: false, sendWindowBits: 15, recvNoContext: false }, {}, max);
    const msg = Buffer.from(randomBytes(3000).toString("base64"));
    const first = a.compress(msg), second = a.compress(msg);
    assert.ok(second.length < 100 && first.length > 3000, `${first.length} then ${second.length}`);
    assert.ok((b.decompress([first]) as Buffer).equals(msg));
    assert.ok((b.decompress([second.subarray(0, 5), second.subarray(5)]) as Buffer).equals(msg));
    const c = new PerMessageDeflate({ sendNoContext: true, sendWindowBits: 15, recvNoContext: false }, {}, max);
    assert.ok(c.compress(msg).length > 3000 && c.compress(msg).length > 3000);
  });
});

describe("compressed frames made by hand", () => {
  let srv: ReturnType<typeof echoServer>;
  before(() => { srv = echoServer({ wsMaxMessageSize: 100_000 }); });
  after(() => srv.stop());
  beforeEach(() => { srv.events.length = 0; });

  async function connect(): Promise<RawWs> {
    const ws = await RawWs.connect(srv.port, { extensions: "permessage-deflate" });
    assert.match(ws.response, /\r\nSec-WebSocket-Extensions: permessage-deflate(\r\n|$)/);
    return ws;
  }
  async function expectFailure(ws: RawWs, code: number, re: RegExp): Promise<void> {
    const c = await ws.readClose();
    assert.equal(c.code, code, c.reason);
    await ws.waitClosed();
    // (Other errors may come from the previous test's connection, reset by the client.)
    await waitFor(() => srv.events.some((e) => e.ev === "error" && re.test(e.text!)), 5000, `an error matching ${re}`);
  }

  it("decompresses a compressed message, fragmented too", async () => {
    const ws = await connect();
    const text = "hello compressed world ".repeat(50);
    ws.send(frame({ op: 1, rsv: 0x40, payload: deflate(text) }));
    const z = deflate(text);
    ws.send(frame({ op: 1, rsv: 0x40, fin: false, payload: z.subarray(0, 7) }), frame({ op: 0, payload: z.subarray(7) }));
    await waitFor(() => srv.events.filter((e) => e.ev === "msg").length === 2);
    for (const m of srv.events.filter((e) => e.ev === "msg")) {
      assert.equal(m.data!.toString(), text);
      assert.equal(m.flags, 0xc1);
    }
    ws.destroy();
  });

  it("a decompression bomb is cut at wsMaxMessageSize (1009)", async () => {
    const ws = await connect();
    const bomb = deflate(Buffer.alloc(10_000_000)); // about 10 KB on the wire
    assert.ok(bomb.length < 20_000);
    ws.send(frame({ op: 2, rsv: 0x40, payload: bomb }));
    await expectFailure(ws, 1009, /larger than 100000/);
  });

  it("an incompressible message of exactly wsMaxMessageSize is accepted", async () => {
    const ws = await connect();
    const data = randomBytes(100_000);
    const z = deflate(data);
    assert.ok(z.length > data.length);
    ws.send(frame({ op: WEBSOCKET_OP_BINARY, rsv: 0x40, payload: z }));
    await waitFor(() => srv.events.some((e) => e.ev === "msg" || e.ev === "error"));
    assert.ok(srv.events.find((e) => e.ev === "msg")!.data!.equals(data));
    ws.destroy();
  });

  it("undecodable compressed data closes with 1007", async () => {
    const ws = await connect();
    ws.send(frame({ op: 2, rsv: 0x40, payload: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]) }));
    await expectFailure(ws, 1007, /decompress/);
  });

  it("RSV1 on a continuation frame is a protocol error (1002)", async () => {
    const ws = await connect();
    const z = deflate("abc".repeat(20));
    ws.send(frame({ op: 1, rsv: 0x40, fin: false, payload: z.subarray(0, 3) }), frame({ op: 0, rsv: 0x40, payload: z.subarray(3) }));
    await expectFailure(ws, 1002, /reserved bits/);
  });

  it("RSV1 on a control frame is a protocol error (1002)", async () => {
    const ws = await connect();
    ws.send(frame({ op: 9, rsv: 0x40, payload: "p" }));
    await expectFailure(ws, 1002, /reserved bits/);
  });

  it("compressed text that inflates to invalid UTF-8 closes with 1007", async () => {
    const ws = await connect();
    ws.send(frame({ op: 1, rsv: 0x40, payload: deflate(Buffer.from([0x61, 0xff, 0x62])) }));
    await expectFailure(ws, 1007, /UTF-8/);
  });

  it("without an offer, no extension is answered and RSV1 is refused", async () => {
    const ws = await RawWs.connect(srv.port);
    assert.doesNotMatch(ws.response, /Sec-WebSocket-Extensions/i);
    ws.send(frame({ op: 1, rsv: 0x40, payload: deflate("x") }));
    const c = await ws.readClose();
    assert.equal(c.code, 1002);
  });
});

describe("our client and our server, compressed both ways", () => {
  it("round trips with context takeover, and with no_context_takeover asked by the client", async () => {
    const srv = echoServer({});
    const loop = startLoop(new Manager());
    try {
      for (const opts of [{}, { wsDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 16 } }]) {
        const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${srv.port}/`, opts);
        const open = await cl.next("open");
        assert.match(open.text!, /^permessage-deflate/);
        const base = randomBytes(2000).toString("base64");
        for (let i = 0; i < 30; i++) cl.conn.wsSend(`${i} ${base}`);
        for (let i = 0; i < 30; i++) assert.equal((await cl.next("msg")).data!.toString(), `${i} ${base}`);
        // Both directions were compressed: the server saw RSV1, our client too.
        assert.ok(cl.events.filter((e) => e.ev === "msg").every((e) => e.flags === 0xc1));
        cl.conn.wsClose();
        await cl.next("close");
      }
    } finally { await loop.stop(); await srv.stop(); }
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
