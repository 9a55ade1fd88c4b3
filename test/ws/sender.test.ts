// The sender: small frames written into a shared slab and merged, per connection, into
// one queued buffer while nothing else is queued after them. Order and bytes must be
// exactly those of separate frames, across connections, sizes, masking and sends that
// interleave with other queued data.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import WebSocket, { WebSocketServer } from "ws";
import {
  Manager, MG_EV_HTTP_MSG, MG_EV_WS_MSG, MG_EV_WS_OPEN, WEBSOCKET_OP_BINARY, WEBSOCKET_OP_TEXT, type Connection,
} from "../../src/index.js";
import { RecordingClient } from "./peers.js";
import { startLoop, startServer, waitFor, leakCheckAfterAll } from "../helpers.js";

/** The bytes of an unmasked server frame with FIN (RFC 6455 section 5.2). */
function serverFrame(op: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | op, n]) : n < 65536 ? Buffer.from([0x80 | op, 126, n >> 8, n & 0xff]) : Buffer.concat([Buffer.from([0x80 | op, 127]), Buffer.from([0, 0, 0, 0]), Buffer.from([n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff])]);
  return Buffer.concat([head, payload]);
}

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => { ws.once("open", () => resolve(ws)); ws.once("error", reject); });
}

describe("WebSocket sender", () => {
  it("frames queued in one handler call are exactly the separate frames, in order (sendData)", async () => {
    let queued: Buffer | undefined;
    const parts: [number, Buffer][] = [
      [WEBSOCKET_OP_TEXT, Buffer.from("")], [WEBSOCKET_OP_TEXT, Buffer.from("héllo")], [WEBSOCKET_OP_BINARY, Buffer.alloc(125, 1)],
      [WEBSOCKET_OP_BINARY, Buffer.alloc(126, 2)], [WEBSOCKET_OP_BINARY, Buffer.alloc(3000, 3)], [WEBSOCKET_OP_TEXT, Buffer.from("after a big one")],
      [WEBSOCKET_OP_BINARY, Buffer.alloc(20_000, 4)], [WEBSOCKET_OP_BINARY, Buffer.alloc(1, 5)],
    ];
    const s = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
      else if (ev === MG_EV_WS_OPEN) {
        for (const [op, p] of parts) c.wsSend(op === WEBSOCKET_OP_TEXT ? p.toString() : p, op);
        c.send(Buffer.from([0x81, 0x01, 0x21])); // raw bytes queued in between (a hand-made "!" frame)
        c.wsSend("tail");
        queued = c.sendData();
      }
    });
    try {
      // The frames follow the 101 at once: listen before the open event.
      const ws = new WebSocket(`ws://127.0.0.1:${s.port}/`, { perMessageDeflate: false });
      const got: string[] = [];
      ws.on("message", (d, bin) => got.push(bin ? `b${(d as Buffer).length}` : `t${String(d)}`));
      await waitFor(() => got.length === parts.length + 2, 10_000, "all frames").catch((e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(got.map((g) => g.slice(0, 20)))}`); });
      const want = Buffer.concat([...parts.map(([op, p]) => serverFrame(op, p)), Buffer.from([0x81, 0x01, 0x21]), serverFrame(WEBSOCKET_OP_TEXT, Buffer.from("tail"))]);
      // (The 101 response is still queued in front of them.)
      assert.ok(queued !== undefined && queued.subarray(queued.length - want.length).equals(want), "queued bytes equal the separate frames");
      assert.match(queued.subarray(0, queued.length - want.length).toString("latin1"), /^HTTP\/1\.1 101 [^]*\r\n\r\n$/);
      assert.deepEqual(got, [...parts.map(([op, p]) => op === WEBSOCKET_OP_TEXT ? `t${p.toString()}` : `b${p.length}`), "t!", "ttail"]);
      ws.close();
    } finally { await s.stop(); }
  });

  it("payloads queued as they are behind their headers arrive intact and in order, whatever the flush writes", async () => {
    // Sizes around the slab cut-off (2 KiB frames), the core's writev cut-off (4 KiB
    // chunks) and its concatenation limit (64 KiB in all), each with its own bytes, with
    // small frames between them; sent in one handler call, so they are flushed together.
    const sizes = [2040, 2044, 2045, 2046, 4095, 4096, 4097, 16_384, 30_000, 65_535, 65_536, 70_000];
    const payload = (i: number, n: number): Buffer => { const b = Buffer.allocUnsafe(n); for (let k = 0; k < n; k++) b[k] = (k * 7 + i * 13) & 0xff; return b; };
    const want: Buffer[] = [];
    sizes.forEach((n, i) => { want.push(payload(i, n), Buffer.from(`small ${i}`)); });
    const s = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
      else if (ev === MG_EV_WS_MSG && data.text === "go") {
        for (const b of want) c.wsSend(b, WEBSOCKET_OP_BINARY);
        // Once more, the big ones alone (a queue of headers and payloads only).
        for (let i = 0; i < sizes.length; i++) c.wsSend(want[2 * i]!, WEBSOCKET_OP_BINARY);
      }
    });
    try {
      const ws = await open(`ws://127.0.0.1:${s.port}/`);
      const got: Buffer[] = [];
      ws.on("message", (d: Buffer) => got.push(d));
      ws.send("go");
      const all = [...want, ...want.filter((_, k) => k % 2 === 0)];
      await waitFor(() => got.length === all.length, 10_000, `${all.length} messages`);
      got.forEach((d, k) => assert.ok(d.equals(all[k]!), `message ${k} (${all[k]!.length} bytes) differs: got ${d.length} bytes`));
      ws.close();
    } finally { await s.stop(); }
  });

  it("100,000 empty messages and a mix of sizes are echoed in order", async () => {
    const s = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
      else if (ev === MG_EV_WS_MSG) c.wsSend(data.data, data.op);
    });
    try {
      const ws = await open(`ws://127.0.0.1:${s.port}/`);
      const N = 100_000;
      const sizes = (i: number): number => (i % 1000 === 999 ? 5000 : i % 100 === 7 ? 130 : 0);
      let got = 0, bad = "";
      ws.on("message", (d: Buffer) => {
        const want = sizes(got);
        if (bad === "" && (d.length !== want || (want > 0 && d.readUInt32BE(0) !== got))) bad = `message ${got}: ${d.length} bytes, wanted ${want}`;
        got++;
      });
      for (let i = 0; i < N; i++) {
        const n = sizes(i);
        const m = Buffer.alloc(n);
        if (n > 0) m.writeUInt32BE(i, 0);
        ws.send(m, { binary: true });
      }
      await waitFor(() => got >= N, 60_000, `${N} echoes`);
      assert.equal(bad, "");
      assert.equal(got, N);
      ws.close();
    } finally { await s.stop(); }
  });

  it("payloads a handler keeps stay intact while reads of empty messages reuse their memory", async () => {
    // Reads of 64 KiB that the decoder keeps no view of (empty messages) go back to be
    // reused (core/accept.ts): a payload view kept from a read, or bytes a handler took
    // with recvData(), must never be overwritten by a later read.
    const kept: Buffer[] = [];
    const raw: Buffer[] = [];
    let empties = 0;
    const s = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
      else if (ev === MG_EV_WS_MSG) {
        if (data.data.length > 0) kept.push(data.data);
        else if (++empties % 5000 === 0) raw.push(Buffer.from(c.recvData(64)), c.recvData(64));
      }
    });
    try {
      const ws = await open(`ws://127.0.0.1:${s.port}/`);
      const sent: Buffer[] = [];
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 20_000; i++) ws.send(Buffer.alloc(0), { binary: true });
        const m = Buffer.alloc(300);
        for (let i = 0; i < m.length; i++) m[i] = (round * 53 + i) & 0xff;
        sent.push(m);
        ws.send(m, { binary: true });
      }
      await waitFor(() => kept.length === sent.length && empties === 400_000, 60_000, "every message");
      for (let i = 0; i < sent.length; i++) assert.ok(kept[i]!.equals(sent[i]!), `message ${i} was overwritten`);
      for (let i = 0; i < raw.length; i += 2) assert.ok(raw[i + 1]!.equals(raw[i]!), "bytes taken with recvData() were overwritten");
      ws.close();
    } finally { await s.stop(); }
  });

  it("a client that does not read gets every frame intact while a fast one makes the slabs be reused", async () => {
    // Sender slabs are written again once every socket that had views of them took them at
    // once (sender.ts). A socket that could not (its peer does not read) keeps its slabs
    // from being reused: what it sends later must be what was queued.
    const conns: Connection[] = [];
    let sent = 0;
    const s = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
      else if (ev === MG_EV_WS_OPEN) conns.push(c);
      else if (ev === MG_EV_WS_MSG && data.text === "go") {
        // A batch per "go": the slow socket's unwritten views of earlier batches must
        // survive the slabs the later batches fill.
        for (let k = 0; k < 4000; k++, sent++) {
          const m = Buffer.alloc(100, sent & 0xff);
          m.writeUInt32BE(sent, 0);
          for (const p of conns) p.wsSend(m, WEBSOCKET_OP_BINARY);
        }
      }
    });
    try {
      const fast = await open(`ws://127.0.0.1:${s.port}/`), slow = await open(`ws://127.0.0.1:${s.port}/`);
      await waitFor(() => conns.length === 2, 5000, "two connections");
      const check = (ws: WebSocket): { got: () => number; bad: () => string } => {
        let got = 0, bad = "";
        ws.on("message", (d: Buffer) => {
          if (bad === "" && (d.length !== 100 || d.readUInt32BE(0) !== got || d[99] !== (got & 0xff))) bad = `message ${got} changed`;
          got++;
        });
        return { got: () => got, bad: () => bad };
      };
      const f = check(fast), w = check(slow);
      (slow as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      for (let batch = 1; batch <= 10; batch++) {
        fast.send("go");
        await waitFor(() => f.got() === batch * 4000, 30_000, "the fast client's messages");
      }
      (slow as unknown as { _socket: { pause(): void; resume(): void } })._socket.resume();
      await waitFor(() => w.got() === 40_000, 30_000, "the slow client's messages");
      assert.equal(f.bad(), "");
      assert.equal(w.bad(), "");
      fast.close(); slow.close();
    } finally { await s.stop(); }
  });

  it("small frames of several connections interleave without mixing (broadcast)", async () => {
    const conns: Connection[] = [];
    const s = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
      else if (ev === MG_EV_WS_OPEN) conns.push(c);
      else if (ev === MG_EV_WS_MSG && data.text === "go") {
        // Alternate between the connections, frame by frame, with sizes around the slab cut-offs.
        for (let i = 0; i < 3000; i++) for (const [k, p] of conns.entries()) p.wsSend(`${k}:${i}:${"x".repeat(i % 2100)}`);
      }
    });
    try {
      const a = await open(`ws://127.0.0.1:${s.port}/`), b = await open(`ws://127.0.0.1:${s.port}/`);
      await waitFor(() => conns.length === 2, 5000, "two connections");
      const got: [string[], string[]] = [[], []];
      // a was upgraded (and recorded) before b connected: conns[0] is a, conns[1] is b.
      a.on("message", (d) => got[0].push(String(d)));
      b.on("message", (d) => got[1].push(String(d)));
      a.send("go");
      await waitFor(() => got[0].length === 3000 && got[1].length === 3000, 30_000, "3000 frames each");
      for (const k of [0, 1]) {
        got[k]!.forEach((m, i) => { if (m !== `${k}:${i}:${"x".repeat(i % 2100)}`) assert.fail(`connection ${k}, frame ${i}: ${m.slice(0, 30)}`); });
      }
      a.close(); b.close();
    } finally { await s.stop(); }
  });

  it("a client's small masked frames reach a ws server intact", async () => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
    await new Promise<void>((r) => wss.once("listening", () => r()));
    const received: Buffer[] = [];
    wss.on("connection", (ws) => ws.on("message", (d: Buffer) => received.push(d)));
    const loop = startLoop(new Manager());
    try {
      const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, { wsDeflate: false });
      await cl.next("open");
      const sent: Buffer[] = [];
      for (let i = 0; i < 5000; i++) {
        const m = Buffer.alloc(i % 2100, i & 0xff);
        sent.push(m);
        if (i % 2 === 0) cl.conn.wsSend(m, WEBSOCKET_OP_BINARY); else cl.conn.wsSend(m.toString("latin1").replace(/[^\x20-\x7e]/g, "a"));
      }
      await waitFor(() => received.length === 5000, 30_000, "5000 messages");
      received.forEach((d, i) => {
        const want = i % 2 === 0 ? sent[i]! : Buffer.from(sent[i]!.toString("latin1").replace(/[^\x20-\x7e]/g, "a"));
        if (!d.equals(want)) assert.fail(`message ${i} differs`);
      });
      cl.conn.wsClose();
      await cl.next("close");
    } finally {
      await loop.stop();
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    }
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
