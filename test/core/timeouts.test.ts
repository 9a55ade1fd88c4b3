// Timeouts the core owns: the write stall (a peer that stops reading while we send) and
// the TLS handshake of accepted connections (a peer that connects and says nothing).
// The HTTP head / whole request / idle timeouts are tested in test/http/server.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Manager, MgError, MG_EV_CLOSE, MG_EV_ERROR, MG_EV_HTTP_MSG, selfSignedCert, type Connection,
} from "../../src/index.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";

interface Seen { errors: string[]; codes: string[]; closed: number }

function recorder(onMsg?: (c: Connection) => void): { seen: Seen; handler: (c: Connection, ev: number, d: unknown) => void } {
  const seen: Seen = { errors: [], codes: [], closed: 0 };
  return {
    seen,
    handler: (c, ev, d) => {
      if (ev === MG_EV_HTTP_MSG) onMsg?.(c);
      else if (ev === MG_EV_ERROR && !c.isListening) { seen.errors.push(String(d)); seen.codes.push(c.lastError?.code ?? "(none)"); }
      else if (ev === MG_EV_CLOSE && !c.isListening) seen.closed++;
    },
  };
}

test("write stall: a client that stops reading mid-response is cut with ERR_TIMEOUT", async () => {
  const big = Buffer.alloc(64 * 1024 * 1024, 0x61);
  const { seen, handler } = recorder((c) => c.reply(200, big));
  const m = new Manager(handler);
  const l = m.listen("http://127.0.0.1:0", { writeTimeoutMs: 500 });
  const loop = startLoop(m);
  const sock = net.connect(l.localAddr.port, "127.0.0.1");
  let got = 0;
  let clientClosed = false;
  let reading = false;
  sock.on("data", (d: Buffer) => { got += d.length; if (!reading) sock.pause(); }); // reads one chunk, then stops
  sock.on("error", () => { /* the server resets */ });
  sock.on("close", () => { clientClosed = true; });
  sock.write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  await waitFor(() => seen.closed === 1, 15000, "the stalled connection closed");
  assert.deepEqual(seen.codes, ["ERR_TIMEOUT"]);
  assert.match(seen.errors[0]!, /write stalled/);
  assert.ok(got > 0 && got < big.length, "the client got part of the response only");
  reading = true;
  sock.resume(); // a paused socket notices nothing
  await waitFor(() => clientClosed, 5000, "the client sees the close");
  assert.equal(m.connections.length, 1, "only the listener is left");
  await loop.stop();
});

test("write stall: a client that reads slowly but steadily is not cut", async () => {
  const size = 8 * 1024 * 1024;
  const { seen, handler } = recorder((c) => c.reply(200, Buffer.alloc(size, 0x62)));
  const m = new Manager(handler);
  // Progress is seen as the kernel's buffers (megabytes on loopback) empty: give it time.
  const l = m.listen("http://127.0.0.1:0", { writeTimeoutMs: 3000 });
  const loop = startLoop(m);
  const sock = net.connect(l.localAddr.port, "127.0.0.1");
  let got = 0;
  // 64 KiB every 20 ms: progress all the time, far slower than the server could send.
  sock.on("data", (d: Buffer) => { got += d.length; sock.pause(); setTimeout(() => sock.resume(), 20); });
  sock.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  await waitFor(() => got >= size || seen.closed > 0, 60000, "the whole response");
  assert.deepEqual(seen.codes, []);
  assert.equal(seen.closed, 0);
  sock.destroy();
  await loop.stop();
});

test("writeTimeoutMs is checked where it is given", () => {
  const m = new Manager();
  for (const bad of [-1, 1.5, "10"]) {
    assert.throws(() => m.listen("http://127.0.0.1:0", { writeTimeoutMs: bad as number }),
      (e: unknown) => e instanceof MgError && e.code === "ERR_INVALID_OPTION" && /writeTimeoutMs/.test(e.message));
  }
  const off = m.listen("tcp://127.0.0.1:0", { writeTimeoutMs: 0 });
  assert.equal(off.isListening, true);
  return m.close();
});

test("TLS handshake timeout applies to accepted connections: a silent TCP client gets an error and a close", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mg-hs-"));
  try {
    const { cert, key } = selfSignedCert({ dir });
    const { seen, handler } = recorder();
    const m = new Manager(handler);
    const l = m.listen("https://127.0.0.1:0", { tls: { cert, key, handshakeTimeoutMs: 300 } });
    const loop = startLoop(m);
    const sock = net.connect(l.localAddr.port, "127.0.0.1"); // connects, never sends a ClientHello
    let clientClosed = false;
    sock.on("error", () => { /* a reset is fine */ });
    sock.on("close", () => { clientClosed = true; });
    await waitFor(() => seen.closed === 1, 10000, "the silent connection closed");
    assert.deepEqual(seen.codes, ["ERR_TLS"]);
    assert.match(seen.errors[0]!, /time/i, seen.errors[0]);
    await waitFor(() => clientClosed, 5000, "the client sees the close");
    await loop.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

leakCheckAfterAll();
