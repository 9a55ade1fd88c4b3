// Backpressure: a client that stops reading must not make the server's memory grow
// without bound. wsMaxSendQueue with the "close" and "drop" policies.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  MG_EV_CLOSE, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_WS_MSG, MG_EV_WS_OPEN, WEBSOCKET_OP_BINARY,
  type Connection, type ConnectionOptions, type Timer,
} from "../../src/index.js";
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

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
