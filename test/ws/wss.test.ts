// WebSocket over TLS: wss:// with our server and our client, and with `ws` on each side.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket, { WebSocketServer } from "ws";
import * as https from "node:https";
import { Manager } from "../../src/index.js";
import { startLoop, type Loop, leakCheckAfterAll } from "../helpers.js";
import { makeTestCerts, type TestCerts } from "../tls/certs.js";
import { echoServer, RecordingClient } from "./peers.js";

describe("wss://", () => {
  let certs: TestCerts;
  let srv: ReturnType<typeof echoServer>;
  let loop: Loop;
  before(() => {
    certs = makeTestCerts();
    srv = echoServer({ tls: { cert: certs.server.cert, key: certs.server.key } });
    loop = startLoop(new Manager());
  });
  after(async () => { await loop.stop(); await srv.stop(); certs.cleanup(); });

  it("our client and our server, verified against the test CA", async () => {
    const cl = new RecordingClient(loop.manager, `wss://localhost:${srv.port}/secure`, { tls: { ca: certs.ca } });
    await cl.next("open");
    assert.ok(cl.conn.isTls && cl.conn.isWebsocket);
    cl.conn.wsSend("over tls ".repeat(500));
    assert.equal((await cl.next("msg")).data!.toString(), "over tls ".repeat(500));
    cl.conn.wsClose();
    await cl.next("close");
  });

  it("our client refuses a server whose certificate it cannot verify", async () => {
    const cl = new RecordingClient(loop.manager, `wss://localhost:${srv.port}/`);
    assert.match((await cl.next("error")).text!, /certificate|TLS/i);
    await cl.next("close");
    assert.ok(!cl.has("open"));
  });

  it("ws client against our wss server", async () => {
    const ws = new WebSocket(`wss://localhost:${srv.port}/`, { ca: certs.ca });
    await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
    const got = new Promise<string>((r) => ws.once("message", (d) => r(d.toString())));
    ws.send("hello tls");
    assert.equal(await got, "hello tls");
    ws.close();
  });

  it("our client against a ws server over https", async () => {
    const server = https.createServer({ cert: certs.server.cert, key: certs.server.key });
    const wss = new WebSocketServer({ server });
    wss.on("connection", (s) => s.on("message", (m, binary) => s.send(m as Buffer, { binary })));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as { port: number }).port;
      const cl = new RecordingClient(loop.manager, `wss://127.0.0.1:${port}/`, { tls: { ca: certs.ca } });
      await cl.next("open");
      cl.conn.wsSend("to ws over tls");
      assert.equal((await cl.next("msg")).data!.toString(), "to ws over tls");
      cl.conn.wsClose();
      await cl.next("close");
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => server.close(r));
    }
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
