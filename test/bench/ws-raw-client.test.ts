// The benchmark's raw-socket WebSocket load client: its frame checker (frames split at
// any byte, several per read, every kind of wrong frame), its handshake checks, and whole
// runs against our server and against servers that answer wrongly.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { MG_EV_HTTP_MSG, MG_EV_WS_MSG, type Connection } from "../../src/index.js";
import { FrameChecker, maskedTextFrames } from "../../bench/clients/ws-frame-check.js";
import { acceptFor, checkUpgradeResponse } from "../../bench/clients/ws-upgrade.js";
import { payloadText, type WsLoadResult } from "../../bench/clients/ws-load-types.js";
import { run, startServer, leakCheckAfterAll } from "../helpers.js";

const CLIENT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", "clients", "ws-raw-load.js");

/** An unmasked server text frame (RFC 6455 section 5.2); `ext` forces a longer length form. */
function serverFrame(payload: Buffer, opts: { b0?: number; ext?: 2 | 8; mask?: boolean } = {}): Buffer {
  const len = payload.length;
  const ext = opts.ext ?? (len < 126 ? 0 : len < 65536 ? 2 : 8);
  const head = Buffer.alloc(2 + ext + (opts.mask ? 4 : 0));
  head[0] = opts.b0 ?? 0x81;
  const m = opts.mask ? 0x80 : 0;
  if (ext === 0) head[1] = m | len;
  else if (ext === 2) { head[1] = m | 126; head.writeUInt16BE(len, 2); }
  else { head[1] = m | 127; head.writeUInt32BE(0, 2); head.writeUInt32BE(len, 6); }
  return Buffer.concat([head, payload]);
}

function feedAll(checker: FrameChecker, chunks: Buffer[]): { ok: boolean; messages: number } {
  let messages = 0;
  let ok = true;
  for (const c of chunks) ok = checker.feed(c, 0, c.length, () => { messages++; }) && ok;
  return { ok, messages };
}

describe("FrameChecker", () => {
  const p64 = Buffer.from(payloadText(64));
  const p300 = Buffer.from(payloadText(300));
  const stream64 = Buffer.concat([serverFrame(p64), serverFrame(p64), serverFrame(p64)]);
  const stream300 = Buffer.concat([serverFrame(p300), serverFrame(p300)]);

  it("counts several frames in one read", () => {
    assert.deepEqual(feedAll(new FrameChecker(p64), [stream64]), { ok: true, messages: 3 });
    assert.deepEqual(feedAll(new FrameChecker(p300), [stream300]), { ok: true, messages: 2 });
  });

  it("counts frames split across reads at every byte", () => {
    for (const [payload, stream, want] of [[p64, stream64, 3], [p300, stream300, 2]] as const) {
      for (let cut = 1; cut < stream.length; cut++) {
        const r = feedAll(new FrameChecker(payload), [stream.subarray(0, cut), stream.subarray(cut)]);
        assert.deepEqual(r, { ok: true, messages: want }, `cut at ${cut}`);
      }
      const bytes = Array.from(stream, (b) => Buffer.from([b]));
      assert.deepEqual(feedAll(new FrameChecker(payload), bytes), { ok: true, messages: want });
    }
  });

  it("checks a range of a buffer only", () => {
    const padded = Buffer.concat([Buffer.from("xx"), serverFrame(p64), Buffer.from("yy")]);
    let messages = 0;
    assert.ok(new FrameChecker(p64).feed(padded, 2, padded.length - 2, () => { messages++; }));
    assert.equal(messages, 1);
  });

  it("rejects a payload that differs from what was sent, wherever the difference is", () => {
    for (const at of [0, 31, 63]) {
      const bad = Buffer.from(p64);
      bad[at] = bad[at]! ^ 1;
      const checker = new FrameChecker(p64);
      const r = feedAll(checker, [serverFrame(p64), serverFrame(bad).subarray(0, 40), serverFrame(bad).subarray(40)]);
      assert.deepEqual(r, { ok: false, messages: 1 });
      assert.match(checker.error!, /payload differs/);
    }
  });

  it("rejects wrong lengths, masking, fragments, other opcodes and non-minimal lengths", () => {
    const cases: [Buffer, RegExp][] = [
      [serverFrame(p64.subarray(0, 63)), /63 bytes, expected 64/],
      [serverFrame(Buffer.concat([p64, p64])), /128 bytes, expected 64/],
      [serverFrame(p64, { mask: true }), /masked frame from the server/],
      [serverFrame(p64, { b0: 0x01 }), /first byte 0x1/],
      [serverFrame(p64, { b0: 0x82 }), /first byte 0x82/],
      [serverFrame(p64, { b0: 0xc1 }), /first byte 0xc1/],
      [serverFrame(p64, { b0: 0x89 }), /first byte 0x89/],
      [serverFrame(p64, { ext: 2 }), /not in its shortest form/],
      [serverFrame(p300, { ext: 8 }), /not in its shortest form/],
      [serverFrame(Buffer.from([0x03, 0xe9]), { b0: 0x88 }), /close frame \(code 1001\)/],
    ];
    for (const [bytes, why] of cases) {
      const checker = new FrameChecker(p64);
      assert.deepEqual(feedAll(checker, [bytes]), { ok: false, messages: 0 }, String(why));
      assert.match(checker.error!, why);
      // Once failed, it stays failed.
      assert.equal(checker.feed(serverFrame(p64), 0, 66, () => assert.fail("counted after failing")), false);
    }
  });

  it("builds masked client frames with a zero key, back to back", () => {
    const one = maskedTextFrames(p64);
    assert.deepEqual([...one.subarray(0, 6)], [0x81, 0x80 | 64, 0, 0, 0, 0]);
    assert.ok(one.subarray(6).equals(p64));
    const big = maskedTextFrames(p300, 2);
    assert.equal(big.length, 2 * (8 + 300));
    assert.deepEqual([...big.subarray(0, 8)], [0x81, 0x80 | 126, 300 >> 8, 300 & 0xff, 0, 0, 0, 0]);
    assert.ok(big.subarray(308, 316).equals(big.subarray(0, 8)));
  });
});

describe("upgrade response checks", () => {
  const key = "dGhlIHNhbXBsZSBub25jZQ==";
  const ok = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}`;

  it("accepts a valid 101 (RFC 6455 section 1.3's example key)", () => {
    assert.equal(acceptFor(key), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert.equal(checkUpgradeResponse(ok, key), undefined);
    assert.equal(checkUpgradeResponse(ok.replace("Upgrade: websocket", "upgrade: WebSocket").replace("Connection: Upgrade", "Connection: keep-alive, upgrade"), key), undefined);
  });

  it("rejects refusals, wrong accept keys and unrequested extensions", () => {
    assert.match(checkUpgradeResponse("HTTP/1.1 400 Bad Request\r\nContent-Length: 0", key)!, /upgrade refused/);
    assert.match(checkUpgradeResponse(ok.replace(acceptFor(key), acceptFor("AAAAAAAAAAAAAAAAAAAAAA==")), key)!, /Sec-WebSocket-Accept/);
    assert.match(checkUpgradeResponse(ok.replace(/\r\nSec-WebSocket-Accept: .*/, ""), key)!, /Sec-WebSocket-Accept/);
    assert.match(checkUpgradeResponse(ok.replace("Upgrade: websocket", "Upgrade: h2c"), key)!, /Upgrade header/);
    assert.match(checkUpgradeResponse(ok.replace("Connection: Upgrade", "Connection: close"), key)!, /Connection header/);
    assert.match(checkUpgradeResponse(`${ok}\r\nSec-WebSocket-Extensions: permessage-deflate`, key)!, /unrequested extension/);
    assert.match(checkUpgradeResponse(`${ok}\r\nno colon here`, key)!, /malformed header/);
  });
});

async function runClient(config: Record<string, unknown>): Promise<WsLoadResult> {
  const r = await run(process.execPath, [CLIENT, JSON.stringify({ payload: 64, seconds: 0.5, ...config })], { timeoutMs: 30_000 });
  const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  assert.ok(line, `no RESULT line: ${r.stderr}`);
  return JSON.parse(line.slice(7)) as WsLoadResult;
}

/** A raw TCP server that completes (or botches) the upgrade, then answers each frame with `reply`. */
async function fakeServer(opts: { accept?: (key: string) => string; reply: (frame: Buffer) => Buffer }): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    let buf = Buffer.alloc(0);
    let open = false;
    s.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!open) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const key = /sec-websocket-key: *(\S+)/i.exec(buf.toString("latin1", 0, end))![1]!;
        s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${(opts.accept ?? acceptFor)(key)}\r\n\r\n`);
        buf = buf.subarray(end + 4);
        open = true;
      }
      // The client sends 64-byte payloads with a 4-byte (zero) mask: 70-byte frames.
      while (buf.length >= 70) { s.write(opts.reply(buf.subarray(0, 70))); buf = buf.subarray(70); }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as net.AddressInfo).port, close: () => { for (const s of sockets) s.destroy(); server.close(); } };
}

describe("load runs", () => {
  it("measures echo round trips against our server", async () => {
    const srv = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
      else if (ev === MG_EV_WS_MSG) c.wsSend(data.data, data.op);
    });
    try {
      const r = await runClient({ url: `ws://127.0.0.1:${srv.port}/`, mode: "echo", conns: 5 });
      assert.deepEqual(r.errors, []);
      assert.ok(r.ok && r.count > 0 && r.value > 0, JSON.stringify(r));
      assert.ok(typeof r.clientCpuPct === "number");
    } finally {
      await srv.stop();
    }
  });

  it("keeps several messages in flight per client with depth", async () => {
    const srv = startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
      else if (ev === MG_EV_WS_MSG) c.wsSend(data.data, data.op);
    });
    try {
      const r = await runClient({ url: `ws://127.0.0.1:${srv.port}/`, mode: "echo", conns: 3, depth: 8 });
      assert.deepEqual(r.errors, []);
      assert.ok(r.ok && r.count > 0, JSON.stringify(r));
      assert.match(r.detail, /8 in flight each/);
    } finally {
      await srv.stop();
    }
  });

  it("counts broadcast deliveries to every client against our server", async () => {
    const srv = startServer((c: Connection, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
      else if (ev === MG_EV_WS_MSG) for (const p of c.manager.connections) if (p.isWebsocket) p.wsSend(data.data, data.op);
    });
    try {
      const r = await runClient({ url: `ws://127.0.0.1:${srv.port}/`, mode: "broadcast", conns: 6, window: 4 });
      assert.deepEqual(r.errors, []);
      assert.ok(r.ok && r.count > 0, JSON.stringify(r));
    } finally {
      await srv.stop();
    }
  });

  it("fails the run when a server echoes different bytes", async () => {
    // Unmasks nothing (the key is zero) and flips one payload byte of every echo.
    const srv = await fakeServer({ reply: (f) => { const p = Buffer.from(f.subarray(6)); p[10] = p[10]! ^ 0x20; return serverFrame(p); } });
    try {
      const r = await runClient({ url: `ws://127.0.0.1:${srv.port}/`, mode: "echo", conns: 2 });
      assert.equal(r.ok, false);
      assert.match(r.errors.join("; "), /payload differs/);
    } finally {
      srv.close();
    }
  });

  it("fails the run when a server echoes a masked frame or closes", async () => {
    const masked = await fakeServer({ reply: (f) => Buffer.from(f) });
    try {
      const r = await runClient({ url: `ws://127.0.0.1:${masked.port}/`, mode: "echo", conns: 1 });
      assert.equal(r.ok, false);
      assert.match(r.errors.join("; "), /masked frame from the server/);
    } finally {
      masked.close();
    }
    const closing = await fakeServer({ reply: () => serverFrame(Buffer.from([0x03, 0xf3]), { b0: 0x88 }) });
    try {
      const r = await runClient({ url: `ws://127.0.0.1:${closing.port}/`, mode: "echo", conns: 1 });
      assert.equal(r.ok, false);
      assert.match(r.errors.join("; "), /close frame \(code 1011\)/);
    } finally {
      closing.close();
    }
  });

  it("fails the run when a server answers one message twice", async () => {
    const srv = await fakeServer({ reply: (f) => { const e = serverFrame(f.subarray(6)); return Buffer.concat([e, e]); } });
    try {
      const r = await runClient({ url: `ws://127.0.0.1:${srv.port}/`, mode: "echo", conns: 1 });
      assert.equal(r.ok, false);
      assert.match(r.errors.join("; "), /no message in flight/);
    } finally {
      srv.close();
    }
  });

  it("fails before measuring when the Sec-WebSocket-Accept is wrong", async () => {
    const srv = await fakeServer({ accept: () => acceptFor("AAAAAAAAAAAAAAAAAAAAAA=="), reply: (f) => serverFrame(f.subarray(6)) });
    try {
      const r = await runClient({ url: `ws://127.0.0.1:${srv.port}/`, mode: "echo", conns: 2 });
      assert.equal(r.ok, false);
      assert.equal(r.count, 0);
      assert.match(r.errors.join("; "), /wrong Sec-WebSocket-Accept/);
    } finally {
      srv.close();
    }
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
