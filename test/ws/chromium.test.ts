// Headless Chromium's WebSocket against our server, with and without permessage-deflate.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { MG_EV_CLOSE, MG_EV_HTTP_MSG, MG_EV_WS_CTL, MG_EV_WS_MSG, MG_EV_WS_OPEN, WEBSOCKET_OP_CLOSE, wsCloseCode, wsCloseReason } from "../../src/index.js";
import { startServer, type TestServer, leakCheckAfterAll } from "../helpers.js";
import { Browser } from "../examples/chromium.js";

const PAGE = `<!doctype html><meta charset="utf-8"><title>ws test</title>
<script>
window.results = null;
const got = [];
const ws = new WebSocket("ws://" + location.host + "/ws");
ws.binaryType = "arraybuffer";
ws.onopen = () => {
  ws.send("hello from chromium \u20ac");
  ws.send(new Uint8Array([1, 2, 3, 255]));
  ws.send("z".repeat(100000));
};
ws.onmessage = (e) => {
  got.push(typeof e.data === "string" ? e.data.length + ":" + e.data.slice(0, 22) : "bin:" + Array.from(new Uint8Array(e.data)).join(","));
  if (got.length === 4) ws.close(4000, "page done");
};
ws.onclose = (e) => { window.results = { got, code: e.code, reason: e.reason, clean: e.wasClean, ext: ws.extensions }; };
</script>`;

for (const deflate of [true, false]) {
  describe(`chromium WebSocket client (server deflate ${deflate ? "on" : "off"})`, () => {
    let srv: TestServer;
    let browser: Browser | undefined;
    const log: string[] = [];
    before(() => {
      srv = startServer((c, ev, data) => {
        if (ev === MG_EV_HTTP_MSG) {
          if (data.uri === "/ws") c.wsUpgrade(data);
          else c.reply(200, PAGE, { "Content-Type": "text/html; charset=utf-8" });
        } else if (ev === MG_EV_WS_OPEN) {
          log.push(`open ${data.header("Sec-WebSocket-Extensions") ?? ""}`);
          c.wsSend("welcome");
        } else if (ev === MG_EV_WS_MSG) {
          log.push(`msg ${data.op} ${data.data.length} ${data.flags.toString(16)}`);
          c.wsSend(data.data, data.op);
        } else if (ev === MG_EV_WS_CTL && data.op === WEBSOCKET_OP_CLOSE) {
          log.push(`close ${wsCloseCode(data)} ${wsCloseReason(data)}`);
        } else if (ev === MG_EV_CLOSE && c.isWebsocket) {
          log.push("closed");
        }
      }, { wsDeflate: deflate });
    });
    after(async () => { await browser?.close(); await srv.stop(); });

    it("exchanges text and binary messages and closes cleanly with the page's code", async () => {
      browser = await Browser.open(`${srv.url}/`);
      const r = await browser.waitFor<{ got: string[]; code: number; reason: string; clean: boolean; ext: string }>("window.results", 20_000);
      assert.deepEqual(r.got, ["7:welcome", "21:hello from chromium €", "bin:1,2,3,255", "100000:zzzzzzzzzzzzzzzzzzzzzz"]);
      assert.equal(r.code, 4000);
      assert.equal(r.clean, true);
      if (deflate) assert.match(r.ext, /^permessage-deflate/); else assert.equal(r.ext, "");
      assert.match(log[0]!, /^open permessage-deflate/, "Chromium offers deflate either way");
      // Chromium compresses what it sends when deflate was agreed: RSV1 in the flags.
      const flags = log.filter((l) => l.startsWith("msg")).map((l) => l.split(" ")[3]);
      assert.deepEqual(flags, deflate ? ["c1", "c2", "c1"] : ["81", "82", "81"]);
      assert.ok(log.includes("close 4000 page done"), log.join("\n"));
    });
  });
}

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
