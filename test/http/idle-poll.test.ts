// An idle keep-alive HTTP connection: the MG_EV_POLL round skips its HTTP layer until a
// deadline can be due (CoreConnection._layerPollAt), yet the user's handler gets every
// MG_EV_POLL, and the idle timeout still closes the connection.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { MG_EV_CLOSE, MG_EV_HTTP_MSG, MG_EV_POLL, type Connection } from "../../src/index.js";
import { startServer, waitFor, leakCheckAfterAll } from "../helpers.js";

test("idle keep-alive connection: the handler gets every MG_EV_POLL, the layer only when due, the idle timeout fires", async () => {
  const polls = new Map<number, number>();
  let closedByServer = 0;
  let skipped = false;
  const srv = startServer((c: Connection, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.reply(200, data.uri);
    else if (ev === MG_EV_POLL && !c.isListening) {
      polls.set(c.id, (polls.get(c.id) ?? 0) + 1);
      // Between requests the layer has told the round it needs no POLL before its idle deadline.
      if (c._layerPollAt > data) skipped = true;
    } else if (ev === MG_EV_CLOSE && !c.isListening) closedByServer++;
  }, { idleTimeoutMs: 300 });
  const s = net.connect(srv.port, "127.0.0.1");
  let got = "";
  s.setEncoding("latin1");
  s.on("data", (d: string) => { got += d; });
  const ended = new Promise<void>((r) => s.once("close", () => r()));
  await new Promise((r) => s.once("connect", r));
  s.write("GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
  await waitFor(() => got.endsWith("/first"), 5000, "first answer");
  const before = [...polls.values()][0] ?? 0;
  // Idle: the connection is closed by the idle timeout (the layer was called when it was due).
  await ended;
  const after = [...polls.values()][0] ?? 0;
  assert.equal(closedByServer, 1, "closed by the server's idle timeout");
  assert.ok(after > before, `the handler kept getting MG_EV_POLL while idle (${before} -> ${after})`);
  assert.equal(skipped, true, "the round skipped the HTTP layer while nothing was due");
  await srv.stop();
});

test("a keep-alive connection that goes idle again after a second request gets its new idle deadline", async () => {
  const srv = startServer((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, data.uri); }, { idleTimeoutMs: 60_000, headersTimeoutMs: 200 });
  const s = net.connect(srv.port, "127.0.0.1");
  let got = "";
  s.setEncoding("latin1");
  s.on("data", (d: string) => { got += d; });
  const ended = new Promise<void>((r) => s.once("close", () => r()));
  await new Promise((r) => s.once("connect", r));
  s.write("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  await waitFor(() => got.endsWith("/a"), 5000, "first answer");
  // A request head that never completes: its (earlier) head deadline must be honoured
  // although the layer had told the round it needed nothing before the idle deadline.
  s.write("GET /b HTTP/1.1\r\nHost: x\r\n");
  const conn = srv.manager.connections.find((c) => !c.isListening)!;
  await waitFor(() => conn.recvLen > 0 || conn.isClosed, 5000, "partial head received");
  assert.ok(conn.isClosed || conn._layerPollAt <= performance.now() + 200, `round gate ${conn._layerPollAt} no later than the head deadline`);
  await ended;
  assert.match(got, /HTTP\/1\.1 408 /, "the incomplete head was answered 408");
  await srv.stop();
});

leakCheckAfterAll();
