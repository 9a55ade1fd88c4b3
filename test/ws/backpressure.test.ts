// Backpressure: a client that stops reading must not make the server's memory grow
// without bound. wsMaxSendQueue with the "close" and "drop" policies.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import {
  MG_EV_CLOSE, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_WS_MSG, MG_EV_WS_OPEN, WEBSOCKET_OP_BINARY,
  type Connection, type ConnectionOptions, type Timer,
} from "../../src/index.js";
import { Manager, MG_EV_POLL, MG_EV_WS_CTL, type EventHandler } from "../../src/index.js";
import { startServer, waitFor, leakCheckAfterAll } from "../helpers.js";
import { frame, RawWs } from "./peers.js";

const CHUNK = Buffer.alloc(64 * 1024, 0x5a);
const LIMIT = 1 << 20;

interface Flood { sent: number; dropped: number; maxSendLen: number; errors: string[]; closed: boolean; echoed: string[]; timer?: Timer }

/** A server that, once a client connects, sends CHUNK every millisecond until `stopAfterDrops` drops or the close. */
function floodServer(opts: ConnectionOptions, stopAfterDrops = Infinity): { s: ReturnType<typeof startServer>; f: Flood } {
  const f: Flood = { sent: 0, dropped: 0, maxSendLen: 0, errors: [], closed: false, echoed: [] };
  const s = startServer((c: Connection, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
    else if (ev === MG_EV_WS_OPEN) {
      f.timer = c.manager.timerAdd(1, () => {
        if (c.isClosing) { f.timer!.cancel(); return; }
        const n = c.wsSend(CHUNK, WEBSOCKET_OP_BINARY);
        if (n > 0) f.sent++; else f.dropped++;
        f.maxSendLen = Math.max(f.maxSendLen, c.sendLen);
        if (f.dropped >= stopAfterDrops) f.timer!.cancel();
      }, { repeat: true });
    } else if (ev === MG_EV_WS_MSG) { f.echoed.push(data.text); c.wsSend(`echo ${data.text}`); }
    else if (ev === MG_EV_ERROR) f.errors.push(data);
    else if (ev === MG_EV_CLOSE) { f.closed = true; f.timer?.cancel(); }
  }, opts);
  return { s, f };
}

describe("WebSocket backpressure", () => {
  it('"close" policy: a reader that stalls is closed with 1008 and sendLen stays bounded', async () => {
    const { s, f } = floodServer({ wsMaxSendQueue: LIMIT });
    try {
      const ws = await RawWs.connect(s.port);
      ws.sock.pause(); // stop reading
      await waitFor(() => f.closed, 20_000, "the server to close the slow connection");
      assert.ok(f.errors.some((e) => /send queue over 1048576 bytes/.test(e)), f.errors.join("; "));
      assert.ok(f.maxSendLen <= LIMIT + CHUNK.length + 14, `sendLen peaked at ${f.maxSendLen}`);
      assert.ok(f.sent >= 16, `sent ${f.sent} chunks before the queue filled`);
      ws.sock.resume();
      const c = await ws.readClose(10_000).catch(() => undefined);
      if (c) assert.equal(c.code, 1008); // when the close frame made it out before the cut
      ws.destroy();
    } finally { await s.stop(); }
  });

  it('"drop" policy: messages are dropped while the reader stalls, then the connection goes on', async () => {
    const { s, f } = floodServer({ wsMaxSendQueue: LIMIT, wsSendQueuePolicy: "drop" }, 20);
    try {
      const ws = await RawWs.connect(s.port);
      ws.sock.pause();
      await waitFor(() => f.dropped >= 20, 20_000, "drops");
      assert.ok(f.maxSendLen <= LIMIT + CHUNK.length + 14, `sendLen peaked at ${f.maxSendLen}`);
      assert.ok(!f.closed && f.errors.length === 0);
      ws.sock.resume();
      for (let i = 0; i < f.sent; i++) {
        const fr = await ws.readFrame(10_000);
        assert.ok(fr && fr.op === WEBSOCKET_OP_BINARY && fr.payload.equals(CHUNK), `chunk ${i} intact`);
      }
      ws.send(frame({ op: 1, payload: "still there?" }));
      assert.equal((await ws.readFrame())!.payload.toString(), "echo still there?");
      ws.destroy();
    } finally { await s.stop(); }
  });
});

describe("WebSocket receive-side backpressure", () => {
  const N = 1000, SIZE = 64 * 1024, HIGH = 1 << 20;

  /** An echo server that records the most it ever held (send queue, receive buffer) and whether reading paused. */
  function echo(opts: ConnectionOptions): { s: ReturnType<typeof startServer>; st: { maxSendLen: number; maxRecvLen: number; recvSize: number; wasFull: boolean; echoed: number; errors: string[]; ctl: number[] } } {
    const st = { maxSendLen: 0, maxRecvLen: 0, recvSize: 0, wasFull: false, echoed: 0, errors: [] as string[], ctl: [] as number[] };
    const handler: EventHandler = (c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
      else if (ev === MG_EV_WS_MSG) {
        c.wsSend(data.data, data.op);
        st.echoed++;
        st.maxSendLen = Math.max(st.maxSendLen, c.sendLen);
      } else if (ev === MG_EV_WS_CTL) st.ctl.push(data.op);
      else if (ev === MG_EV_ERROR) st.errors.push(data);
      if (c.isWebsocket && !c.isClosed) {
        st.maxRecvLen = Math.max(st.maxRecvLen, c.recvLen);
        st.recvSize = c.recvSize;
        if (ev === MG_EV_POLL && c.isFull) st.wasFull = true;
      }
    };
    return { s: startServer(handler, opts), st };
  }

  it("an echo server slows a client that sends 1000 x 64 KiB without reading: all echoed, no 1008, memory bounded", async () => {
    const { s, st } = echo({});
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${s.port}/`, { perMessageDeflate: false, maxPayload: 2 * SIZE });
      await new Promise<void>((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
      const got: Buffer[] = [];
      let closeCode = 0;
      ws.on("message", (d) => got.push(d as Buffer));
      ws.on("close", (code) => { closeCode = code; });
      ws.pause(); // the client stops reading its socket (ws's documented pause(): socket.pause())
      for (let i = 0; i < N; i++) {
        const m = Buffer.alloc(SIZE, i & 0xff); m.writeUInt32BE(i, 0);
        ws.send(m);
      }
      // The server stops decoding, its receive buffer fills and it stops reading: wait for that.
      await waitFor(() => st.wasFull, 60_000, "the server's receive buffer to fill (reading paused)");
      assert.ok(st.echoed < N, `all ${N} were echoed before the server paused: no backpressure was needed`);
      ws.resume();
      await waitFor(() => got.length >= N || closeCode !== 0, 120_000, `${N} echoes`);
      assert.equal(closeCode, 0, "the server closed the connection");
      assert.equal(got.length, N);
      for (let i = 0; i < N; i++) {
        assert.equal(got[i]!.length, SIZE, `echo ${i} length`);
        assert.equal(got[i]!.readUInt32BE(0), i, `echo ${i} in order`);
        assert.equal(got[i]![SIZE - 1], i & 0xff, `echo ${i} content`);
      }
      assert.deepEqual(st.errors, []);
      // Bounded memory: the send queue never went past the high-water mark by more than one
      // echo (decoding stops right after it), far below wsMaxSendQueue (16 MiB); the receive
      // buffer never past its size.
      assert.ok(st.maxSendLen <= HIGH + SIZE + 14, `sendLen peaked at ${st.maxSendLen}`);
      assert.ok(st.maxSendLen <= 16 * 1024 * 1024);
      assert.ok(st.maxRecvLen <= st.recvSize + 64 * 1024, `receive buffer peaked at ${st.maxRecvLen} (size ${st.recvSize})`);
      ws.close();
      await new Promise((r) => ws.once("close", r));
    } finally { await s.stop(); }
  });

  it("wsBackpressureHighWater sets the mark; the peer's close waiting behind paused frames is still answered", async () => {
    const high = 256 * 1024;
    const { s, st } = echo({ wsBackpressureHighWater: high });
    try {
      const ws = await RawWs.connect(s.port);
      ws.sock.pause();
      for (let i = 0; i < 200; i++) ws.send(frame({ op: WEBSOCKET_OP_BINARY, payload: Buffer.alloc(SIZE, i) }));
      ws.send(frame({ op: 8, payload: Buffer.from([0x03, 0xe8]) }));
      await waitFor(() => st.echoed >= 4, 20_000, "some echoes");
      ws.sock.resume();
      for (let i = 0; i < 200; i++) {
        const fr = await ws.readFrame(20_000);
        assert.ok(fr && fr.op === WEBSOCKET_OP_BINARY && fr.payload.length === SIZE && fr.payload[0] === i, `echo ${i}`);
      }
      const c = await ws.readClose(10_000);
      assert.equal(c!.code, 1000);
      assert.ok(st.maxSendLen <= high + SIZE + 14, `sendLen peaked at ${st.maxSendLen}`);
      assert.deepEqual(st.ctl, [8]);
      ws.destroy();
    } finally { await s.stop(); }
  });

  it("the option is checked where it is given", () => {
    const m = new Manager();
    for (const bad of [0, -1, 1.5, "1", null]) {
      assert.throws(() => m.listen("ws://127.0.0.1:0", { wsBackpressureHighWater: bad as number }), /wsBackpressureHighWater/);
    }
    return m.close();
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
