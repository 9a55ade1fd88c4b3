// Fragmented messages over real sockets, from the `ws` package as client: many
// fragments reassembled, the fragment cap (1008), and invalid UTF-8 detected at the
// fragment that carries it (1007 before the message is finished).
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { Manager } from "../../src/index.js";
import { echoServer } from "./peers.js";
import { waitFor, leakCheckAfterAll } from "../helpers.js";

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => { ws.once("open", () => resolve(ws)); ws.once("error", reject); });
}

/** Resolves with the close code the server sends. */
function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once("close", (code) => resolve(code)));
}

/** Sends `parts` as the fragments of one message (the last with FIN). */
function sendFragments(ws: WebSocket, parts: (string | Buffer)[], binary: boolean): void {
  parts.forEach((p, i) => ws.send(p, { binary, fin: i === parts.length - 1, compress: false }));
}

describe("fragmented messages from a ws client", () => {
  const srv = echoServer({ wsDeflate: false, wsMaxFragments: 50_000 });
  const capped = echoServer({ wsDeflate: false }); // default cap: 16384 fragments
  after(async () => { await srv.stop(); await capped.stop(); });

  it("reassembles a text message sent in 20,000 fragments and echoes it whole", async () => {
    const ws = await open(`ws://127.0.0.1:${srv.port}/`);
    const got = new Promise<{ data: Buffer; binary: boolean }>((resolve) => ws.once("message", (d, binary) => resolve({ data: d as Buffer, binary })));
    const parts = Array.from({ length: 20_000 }, (_, i) => String.fromCharCode(0x61 + (i % 26)) + (i % 100 === 0 ? "é" : ""));
    sendFragments(ws, parts, false);
    const m = await got;
    assert.equal(m.binary, false);
    assert.equal(m.data.toString("utf8"), parts.join(""));
    const closed = closeCode(ws);
    ws.close(1000);
    assert.equal(await closed, 1000);
  });

  it("closes with 1008 past the default 16,384 fragments", async () => {
    const ws = await open(`ws://127.0.0.1:${capped.port}/`);
    const closed = closeCode(ws);
    sendFragments(ws, Array.from({ length: 16_400 }, () => Buffer.from([7])), true);
    assert.equal(await closed, 1008);
    await waitFor(() => capped.events.some((e) => e.ev === "error" && /16384 fragments/.test(e.text!)), 5000, "MG_EV_ERROR naming the cap");
    assert.ok(!capped.events.some((e) => e.ev === "msg"), "no message delivered");
  });

  it("closes with 1007 at invalid UTF-8 in the 2nd of 3 fragments, before the 3rd is sent", async () => {
    srv.events.length = 0;
    const ws = await open(`ws://127.0.0.1:${srv.port}/`);
    let code = 0;
    ws.once("close", (c) => { code = c; });
    ws.send("valid start ", { fin: false, compress: false });
    ws.send(Buffer.from([0x61, 0xc3, 0x28]), { binary: false, fin: false, compress: false }); // C3 28: bad continuation
    // The final fragment is held back: the close must come without it.
    await waitFor(() => code !== 0, 5000, "the server's close");
    assert.equal(code, 1007);
    assert.ok(!srv.events.some((e) => e.ev === "msg"), "no message delivered");
    assert.ok(srv.events.some((e) => e.ev === "error" && /UTF-8/.test(e.text!)));
  });

  it("rejects a bad wsMaxFragments option", async () => {
    const m = new Manager();
    try {
      assert.throws(() => m.wsConnect(`ws://127.0.0.1:${srv.port}/`, { wsMaxFragments: 0 }), /wsMaxFragments must be a positive integer/);
      assert.throws(() => m.wsConnect(`ws://127.0.0.1:${srv.port}/`, { wsMaxFragments: 1.5 }), /wsMaxFragments/);
    } finally { await m.close(); }
  });
});

// Leak check: nothing of this file's servers and clients is left open.
it("leaves no sockets or timers behind", async () => {
  const live = (): string[] => process.getActiveResourcesInfo().filter((r) => /TCP|Timeout/.test(r));
  await waitFor(() => live().length === 0, 5000, `no live resources (${live().join(", ")})`);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
