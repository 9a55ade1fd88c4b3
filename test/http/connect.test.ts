// CONNECT (RFC 9110 §9.3.6): the request reaches the handler; a 2xx answer turns the
// connection into a raw tunnel, any other answer ends it; nothing after the head is
// ever parsed as HTTP.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MG_EV_HTTP_MSG, MG_EV_READ } from "../../src/index.js";
import { rawExchange, startServer, leakCheckAfterAll } from "../helpers.js";

test("a 2xx answer to CONNECT makes a tunnel: the bytes after the head arrive raw", async () => {
  const events: string[] = [];
  const s = startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) {
      events.push(`${data.method} ${data.uri}`);
      c.reply(200, "", { "Content-Length": "0" });
    } else if (ev === MG_EV_READ && !c.isListening) {
      const b = c.recvData().toString();
      events.push(`raw ${b}`);
      c.send(`echo ${b}`);
      c.recvConsume();
    }
  });
  // The tunnel bytes come in the same packet as the request, and look like a request.
  const { data } = await rawExchange(s.port, "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\nGET /inner HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 500 });
  await s.stop();
  assert.deepEqual(events, ["CONNECT example.test:443", "raw GET /inner HTTP/1.1\r\nHost: x\r\n\r\n"]);
  assert.match(data.toString(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\necho GET \/inner/);
});

test("a refused CONNECT closes the connection; the bytes after it are not requests", async () => {
  const uris: string[] = [];
  const s = startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) { uris.push(data.uri); c.reply(403, "no tunnels"); }
  });
  const { data, closed } = await rawExchange(s.port, "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\nContent-Length: 5\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", { idleMs: 1000 });
  await s.stop();
  assert.deepEqual(uris, ["example.test:443"]);
  assert.equal(data.toString().split("HTTP/1.1 ").length - 1, 1, "one response only");
  assert.match(data.toString(), /^HTTP\/1\.1 403 /);
  assert.equal(closed, true);
});

leakCheckAfterAll();
