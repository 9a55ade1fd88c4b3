// listen() without process.binding("tcp_wrap") (src/core/bind.ts): the asynchronous
// fallback that cluster workers, host names and a Node without the binding take. What a
// user sees then, as the README says: listen() returns with the port as given (0 for
// port 0) and the real one once the bind is done; a bind failure is MG_EV_ERROR with
// code ERR_BIND and then MG_EV_CLOSE, not a throw. And on the normal path the DEP0111
// warning that the binding costs under --pending-deprecation is not silenced.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { fileURLToPath } from "node:url";
import { Manager, MG_EV_CLOSE, MG_EV_ERROR, MG_EV_READ } from "../../src/index.js";
import { setTcpWrapAvailableForTest } from "../../src/core/bind.js";
import { run, startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";

after(() => setTcpWrapAvailableForTest(true));

test("without the binding, port 0's real port is known after the bind, and the listener works", async () => {
  setTcpWrapAvailableForTest(false);
  try {
    const m = new Manager((c, ev) => {
      if (ev === MG_EV_READ) { c.send(c.recvData()); c.recvConsume(); }
    });
    const lsn = m.listen("tcp://127.0.0.1:0");
    assert.equal(lsn.localAddr.port, 0, "not known yet when listen() returns");
    const loop = startLoop(m);
    await waitFor(() => lsn.localAddr.port !== 0, 5000, "the real port");
    assert.equal(lsn.localAddr.ip, "127.0.0.1");
    const echoed = await new Promise<string>((resolve, reject) => {
      const s = net.connect(lsn.localAddr.port, "127.0.0.1");
      s.on("data", (d) => { s.destroy(); resolve(d.toString()); });
      s.on("error", reject);
      s.write("ping");
    });
    assert.equal(echoed, "ping");
    await loop.stop();
  } finally {
    setTcpWrapAvailableForTest(true);
  }
});

test("without the binding, a port in use is MG_EV_ERROR (ERR_BIND) then MG_EV_CLOSE, not a throw; with it, listen() throws", async () => {
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
  const port = (busy.address() as net.AddressInfo).port;
  try {
    const events: string[] = [];
    const m = new Manager((c, ev, data) => {
      if (ev === MG_EV_ERROR) events.push(`error ${c.lastError?.code} ${data}`);
      if (ev === MG_EV_CLOSE) events.push("close");
    });
    setTcpWrapAvailableForTest(false);
    let lsn;
    try {
      lsn = m.listen(`tcp://127.0.0.1:${port}`); // does not throw on this path
    } finally {
      setTcpWrapAvailableForTest(true);
    }
    assert.equal(lsn.localAddr.port, port);
    const loop = startLoop(m);
    await waitFor(() => events.includes("close"), 5000, "MG_EV_CLOSE");
    assert.equal(events.length, 2, events.join("; "));
    assert.match(events[0]!, /^error ERR_BIND listen: .*EADDRINUSE/);
    assert.equal(events[1], "close");
    assert.equal(m.connections.includes(lsn), false);
    // The normal path: the same failure is thrown by listen() itself.
    assert.throws(() => m.listen(`tcp://127.0.0.1:${port}`), { code: "ERR_BIND", message: /EADDRINUSE/ });
    await loop.stop();
  } finally {
    await new Promise<void>((r) => busy.close(() => r()));
  }
});

test("the normal path still warns DEP0111 under --pending-deprecation (nothing silences it)", async () => {
  const index = fileURLToPath(new URL("../../src/index.js", import.meta.url));
  const program = `const { Manager } = await import(${JSON.stringify(index)});
const m = new Manager();
const l = m.listen("tcp://127.0.0.1:0");
console.log("port " + l.localAddr.port);
await m.close();`;
  const r = await run(process.execPath, ["--pending-deprecation", "--input-type=module", "-e", program], { timeoutMs: 30000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^port [1-9]\d*$/m, "port 0's real port known when listen() returned");
  assert.match(r.stderr, /\[DEP0111\]/);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
