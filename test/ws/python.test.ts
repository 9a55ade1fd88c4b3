// Interoperability with python3-websockets (Debian's package, run by /usr/bin/python3)
// as a client of our server and as a server for our client, with and without deflate.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Manager, WEBSOCKET_OP_BINARY, WEBSOCKET_OP_CLOSE } from "../../src/index.js";
import { run, startLoop, type Loop, leakCheckAfterAll } from "../helpers.js";
import { Child } from "../examples/spawn.js";
import { echoServer, RecordingClient } from "./peers.js";

const PY = "/usr/bin/python3";

const CLIENT = String.raw`
import asyncio, json, sys, websockets
async def main(uri, compression):
    out = {}
    async with websockets.connect(uri, compression=compression, max_size=2**24) as ws:
        out["ext"] = ws.response_headers.get("Sec-WebSocket-Extensions", "")
        msgs = ["hello", "\u00e9\u20ac\U0001F600" * 100, b"\x00\x01" * 50000, "x" * 100000, ""]
        res = []
        for m in msgs:
            await ws.send(m)
            res.append((await ws.recv()) == m)
        out["echo"] = res
        pong = await ws.ping(b"py")
        await asyncio.wait_for(pong, 5)
        out["pong"] = True
        await ws.send(["frag1 ", "frag2 ", "frag3"])
        out["frag"] = await ws.recv()
        await ws.close(code=4010, reason="py bye")
        out["close_code"] = ws.close_code
    print(json.dumps(out))
asyncio.run(main(sys.argv[1], None if sys.argv[2] == "none" else "deflate"))
`;

const SERVER = String.raw`
import asyncio, sys, websockets
async def handler(ws, *args):
    async for m in ws:
        if m == "close-please":
            await ws.close(4020, "py server bye")
            return
        await ws.send(m)
async def main(compression):
    async with websockets.serve(handler, "127.0.0.1", 0, compression=compression, max_size=2**24) as server:
        print("port %d" % server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main(None if sys.argv[1] == "none" else "deflate"))
`;

for (const compression of ["deflate", "none"]) {
  describe(`python3-websockets client (${compression}) against our server`, () => {
    let srv: ReturnType<typeof echoServer>;
    before(() => { srv = echoServer({}); });
    after(() => srv.stop());

    it("echoes, answers pings, reassembles fragments, and completes the closing handshake", async () => {
      const r = await run(PY, ["-c", CLIENT, `ws://127.0.0.1:${srv.port}/py`, compression], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { ext: string; echo: boolean[]; pong: boolean; frag: string; close_code: number };
      if (compression === "deflate") assert.match(out.ext, /^permessage-deflate/); else assert.equal(out.ext, "");
      assert.deepEqual(out.echo, [true, true, true, true, true]);
      assert.equal(out.pong, true);
      assert.equal(out.frag, "frag1 frag2 frag3");
      assert.equal(out.close_code, 4010);
      const ctl = srv.events.find((e) => e.ev === "ctl" && e.op === WEBSOCKET_OP_CLOSE)!;
      assert.equal(ctl.data!.subarray(2).toString(), "py bye");
      assert.ok(!srv.events.some((e) => e.ev === "error"), JSON.stringify(srv.events.filter((e) => e.ev === "error")));
    });
  });

  describe(`our client against a python3-websockets server (${compression})`, () => {
    let py: Child;
    let port = 0;
    let loop: Loop;
    before(async () => {
      py = new Child(PY, ["-c", SERVER, compression]);
      port = Number((await py.waitFor(/port (\d+)/, 15_000))[1]);
      loop = startLoop(new Manager());
    });
    after(async () => { await loop.stop(); await py.stop(); });

    it("round trips messages and receives the server's close", async () => {
      const cl = new RecordingClient(loop.manager, `ws://127.0.0.1:${port}/`, compression === "none" ? { wsDeflate: false } : {});
      const open = await cl.next("open");
      if (compression === "deflate") assert.match(open.text!, /^permessage-deflate/); else assert.equal(open.text, "");
      const bin = Buffer.alloc(200_000, 3);
      cl.conn.wsSend("bonjour"); cl.conn.wsSend(bin, WEBSOCKET_OP_BINARY); cl.conn.wsSend("🙂".repeat(3000));
      assert.equal((await cl.next("msg")).data!.toString(), "bonjour");
      assert.ok((await cl.next("msg")).data!.equals(bin));
      assert.equal((await cl.next("msg")).data!.toString(), "🙂".repeat(3000));
      cl.conn.wsSend("close-please");
      const ctl = await cl.next("ctl");
      assert.equal(ctl.op, WEBSOCKET_OP_CLOSE);
      assert.equal(ctl.data!.readUInt16BE(0), 4020);
      assert.equal(ctl.data!.subarray(2).toString(), "py server bye");
      await cl.next("close");
      assert.ok(!cl.has("error"), JSON.stringify(cl.events.filter((e) => e.ev === "error")));
    });
  });
}

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
