// Logging (issue 11): logSet(level, sink), the connection trace at MG_LL_DEBUG, the
// traffic hexdump at MG_LL_VERBOSE, silence at the default level, TSMONGOOSE_LOG.
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import {
  MG_EV_HTTP_MSG, MG_LL_NONE, MG_LL_ERROR, MG_LL_INFO, MG_LL_DEBUG, MG_LL_VERBOSE, hexdump, logGet, logSet, logStderr, selfSignedCert,
  type EventHandler,
} from "../../src/index.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { levelFromEnv, logDebug, logError, logInfo } from "../../src/util/log.js";
import { leakCheckAfterAll, rawExchange, run, startServer, waitFor } from "../helpers.js";

const REQUEST = "GET /log-me HTTP/1.1\r\nHost: a\r\n\r\n";
const ok: EventHandler = (c, ev, data) => { if (ev === MG_EV_HTTP_MSG) { c.reply(200, `hi ${data.uri}`); c.drain(); } };

/** Runs one request against a fresh server with `level` and a collecting sink; returns the lines. */
async function traced(level: number): Promise<{ lines: [number, string][]; listenerId: number; reply: string }> {
  const lines: [number, string][] = [];
  logSet(level, (l, m) => { lines.push([l, m]); });
  const srv = startServer(ok);
  try {
    const r = await rawExchange(srv.port, REQUEST);
    await waitFor(() => srv.manager.connections.length === 1, 5000, "the accepted connection to close");
    return { lines, listenerId: srv.listener.id, reply: r.data.toString() };
  } finally {
    await srv.stop();
  }
}

afterEach(() => { logSet(MG_LL_ERROR, logStderr); });

test("MG_LL_DEBUG traces listen, accept and close with connection ids", async () => {
  const { lines, listenerId, reply } = await traced(MG_LL_DEBUG);
  assert.match(reply, /^HTTP\/1\.1 200 /);
  const text = lines.map(([, m]) => m);
  assert.ok(lines.every(([l]) => l === MG_LL_DEBUG), text.join("\n"));
  assert.ok(text.some((m) => m.startsWith(`conn ${listenerId}: listening on http://127.0.0.1:0`)), text.join("\n"));
  const accepted = text.map((m) => /^conn (\d+): accepted from 127\.0\.0\.1:\d+$/.exec(m)).find((m) => m !== null);
  assert.ok(accepted, text.join("\n"));
  const id = Number(accepted[1]);
  assert.notEqual(id, listenerId);
  assert.ok(text.some((m) => m === `conn ${id}: closed`), text.join("\n"));
  // No traffic below verbose.
  assert.ok(!text.some((m) => m.includes("0000  ")), text.join("\n"));
});

test("MG_LL_VERBOSE adds a hexdump of what is read and written, with direction and connection id", async () => {
  const { lines } = await traced(MG_LL_VERBOSE);
  const dumps = lines.filter(([l]) => l === MG_LL_VERBOSE).map(([, m]) => m);
  const read = dumps.find((m) => /^conn \d+ <- 33 bytes from 127\.0\.0\.1:\d+\n/.test(m));
  assert.ok(read, dumps.join("\n---\n"));
  assert.equal(read.split("\n").slice(1).join("\n"), [
    "0000  47 45 54 20 2f 6c 6f 67 2d 6d 65 20 48 54 54 50  GET /log-me HTTP",
    "0010  2f 31 2e 31 0d 0a 48 6f 73 74 3a 20 61 0d 0a 0d  /1.1..Host: a...",
    "0020  0a                                               .",
  ].join("\n"));
  const written = dumps.find((m) => /^conn \d+ -> \d+ bytes to 127\.0\.0\.1:\d+\n0000  48 54 54 50 2f 31 2e 31 20 32 30 30/.test(m));
  assert.ok(written, dumps.join("\n---\n"));
  assert.ok(written.includes("hi /log-me"), written);
});

test("MG_LL_DEBUG traces the TLS handshake, and a failed one with its error code", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsmongoose-log-"));
  const lines: string[] = [];
  logSet(MG_LL_DEBUG, (_l, m) => { lines.push(m); });
  const { cert, key } = selfSignedCert({ dir });
  const srv = startServer(ok, { tls: { cert, key } }, "https");
  try {
    const res = await srv.manager.httpRequest(`https://localhost:${srv.port}/tls`, { tls: { ca: cert } });
    assert.equal(res.status, 200);
    const done = lines.filter((m) => /^conn \d+: TLS handshake done$/.test(m));
    assert.equal(done.length, 2, lines.join("\n"));                  // the server's side and the client's
    lines.length = 0;
    await rawExchange(srv.port, "this is not a TLS ClientHello\r\n\r\n");
    await waitFor(() => lines.some((m) => / closed \(last error ERR_TLS\)$/.test(m)), 5000, "the failed handshake's close");
    assert.ok(lines.some((m) => /^conn \d+: ERR_TLS: TLS handshake failed/.test(m)), lines.join("\n"));
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the default level prints nothing for a normal request", async () => {
  const { lines, reply } = await traced(MG_LL_ERROR);
  assert.match(reply, /^HTTP\/1\.1 200 /);
  assert.deepEqual(lines, []);
});

test("logSet checks its arguments; the sink stays until replaced", () => {
  assert.throws(() => logSet(5), { code: "ERR_INVALID_ARG" });
  assert.throws(() => logSet(MG_LL_INFO, "stderr" as unknown as () => void), { code: "ERR_INVALID_ARG" });
  const got: [number, string][] = [];
  logSet(MG_LL_INFO, (l, m) => { got.push([l, m]); });
  logSet(MG_LL_NONE);
  assert.equal(logGet(), MG_LL_NONE);
  logError("not shown");
  logSet(MG_LL_INFO);
  logInfo("shown", 42);
  logDebug("below the level");
  assert.deepEqual(got, [[MG_LL_INFO, "shown 42"]]);
});

test("hexdump: offset, 16 hex bytes, printable ASCII", () => {
  assert.equal(hexdump(Buffer.alloc(0)), "");
  assert.equal(hexdump(Buffer.from([0, 0x41, 0x7f, 0x20])), `0000  00 41 7f 20 ${"   ".repeat(12)} .A. `);
  assert.equal(hexdump(Buffer.alloc(17, 0x61)).split("\n")[1], `0010  61 ${"   ".repeat(15)} a`);
});

test("TSMONGOOSE_LOG and DEBUG select the level", async () => {
  assert.equal(levelFromEnv({ TSMONGOOSE_LOG: "debug" }), MG_LL_DEBUG);
  assert.equal(levelFromEnv({ TSMONGOOSE_LOG: "VERBOSE" }), MG_LL_VERBOSE);
  assert.equal(levelFromEnv({ TSMONGOOSE_LOG: "0" }), MG_LL_NONE);
  assert.equal(levelFromEnv({ DEBUG: "express:*,tsmongoose" }), MG_LL_DEBUG);
  assert.equal(levelFromEnv({ DEBUG: "express" }), undefined);
  assert.equal(levelFromEnv({}), undefined);
  // Read at startup, in a process of its own.
  const index = new URL("../../src/index.js", import.meta.url).href;
  const script = `import { Manager } from ${JSON.stringify(index)}; const m = new Manager(); m.listen("tcp://127.0.0.1:0"); await m.poll(0); await m.close();`;
  const r = await run(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, TSMONGOOSE_LOG: "debug" } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^\d{4}-\d\d-\d\dT[\d:.]+Z D conn \d+: listening on tcp:\/\/127\.0\.0\.1:0 \(127\.0\.0\.1:\d+\)$/m);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
