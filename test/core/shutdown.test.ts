// Graceful shutdown loses nothing: close() and run() + SIGTERM answer every request
// already received (in flight, pipelined), finish every response being sent (large
// downloads), close idle keep-alive connections at once and refuse new connects.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Manager, MG_EV_HTTP_MSG, type Connection, type HttpMessage } from "../../src/index.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";

/** A raw HTTP client: sends `req`, collects everything until the server closes. */
function client(port: number, req: string): { done: Promise<Buffer>; sock: net.Socket; got(): number } {
  const sock = net.connect(port, "127.0.0.1");
  const chunks: Buffer[] = [];
  let n = 0;
  const done = new Promise<Buffer>((resolve, reject) => {
    sock.on("data", (d: Buffer) => { chunks.push(d); n += d.length; });
    sock.on("close", () => resolve(Buffer.concat(chunks)));
    sock.on("error", reject);
  });
  sock.write(req);
  return { done, sock, got: () => n };
}

/** Splits a buffer holding HTTP responses with Content-Length into [head, body] pairs. */
function responses(b: Buffer): { head: string; body: Buffer }[] {
  const out: { head: string; body: Buffer }[] = [];
  let pos = 0;
  while (pos < b.length) {
    const end = b.indexOf("\r\n\r\n", pos);
    if (end < 0) throw new Error(`incomplete head at ${pos}: ${JSON.stringify(b.subarray(pos, pos + 80).toString())}`);
    const head = b.subarray(pos, end).toString("latin1");
    const m = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (m === null) throw new Error(`no Content-Length in ${JSON.stringify(head)}`);
    const len = Number(m[1]);
    out.push({ head, body: b.subarray(end + 4, end + 4 + len) });
    pos = end + 4 + len;
  }
  return out;
}

test("close(): 200 requests in flight (answered 200 ms later) are all answered", async () => {
  const held: Connection[] = [];
  const m = new Manager((c, ev, d) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    held.push(c);
    const uri = (d as HttpMessage).uri;
    setTimeout(() => { if (closeStarted) afterClose++; c.reply(200, `answer ${uri}`); }, 200);
  });
  let closeStarted = false;
  let afterClose = 0;
  const l = m.listen("http://127.0.0.1:0");
  const loop = startLoop(m);
  const clients = Array.from({ length: 200 }, (_, i) => client(l.localAddr.port, `GET /r${i} HTTP/1.1\r\nHost: x\r\n\r\n`));
  await waitFor(() => held.length === 200, 20000, "200 requests received");
  closeStarted = true;
  const closing = loop.stop(); // close() right after they arrived
  const got = await Promise.all(clients.map((c) => c.done));
  await closing;
  let ok = 0;
  got.forEach((b, i) => {
    const r = responses(b);
    if (r.length === 1 && r[0]!.head.startsWith("HTTP/1.1 200 ") && r[0]!.body.toString() === `answer /r${i}`) ok++;
  });
  assert.equal(ok, 200);
  // (On a loaded machine the first ones may be answered before close() starts; the last ones never are.)
  assert.ok(afterClose > 0, "some answers were given while close() waited");
});

test("close(): 10 large downloads in progress complete byte-exact", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mg-shutdown-"));
  try {
    const file = join(dir, "big.bin");
    const data = randomBytes(20 * 1024 * 1024);
    writeFileSync(file, data);
    const sha = createHash("sha256").update(data).digest("hex");
    const m = new Manager((c, ev, d) => { if (ev === MG_EV_HTTP_MSG) c.serveFile(d as HttpMessage, file); });
    const l = m.listen("http://127.0.0.1:0");
    const loop = startLoop(m);
    const clients = Array.from({ length: 10 }, () => client(l.localAddr.port, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
    // Each download has started; the clients stop reading so that none can finish before close().
    for (const c of clients) c.sock.once("data", () => c.sock.pause());
    await waitFor(() => clients.every((c) => c.got() > 0), 10000, "every download started");
    const closing = loop.stop();
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(clients.every((c) => c.got() < data.length), "no download was complete when close() started");
    for (const c of clients) c.sock.resume();
    const got = await Promise.all(clients.map((c) => c.done));
    await closing;
    const exact = got.filter((b) => {
      const r = responses(b);
      return r.length === 1 && r[0]!.head.startsWith("HTTP/1.1 200 ") && createHash("sha256").update(r[0]!.body).digest("hex") === sha;
    }).length;
    assert.equal(exact, 10);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("close(): pipelined requests already received are answered; the last response says Connection: close", async () => {
  let arrived = 0;
  const m = new Manager((c, ev, d) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    arrived++;
    const uri = (d as HttpMessage).uri;
    setTimeout(() => c.reply(200, `p${uri}`), 100);
  });
  const l = m.listen("http://127.0.0.1:0");
  const loop = startLoop(m);
  const req = (p: string): string => `GET /${p} HTTP/1.1\r\nHost: x\r\n\r\n`;
  const c = client(l.localAddr.port, req("a") + req("b") + req("c"));
  await waitFor(() => arrived === 1, 5000, "the first request");
  await loop.stop();
  const r = responses(await c.done);
  assert.deepEqual(r.map((x) => x.body.toString()), ["p/a", "p/b", "p/c"]);
  assert.ok(!/Connection: close/i.test(r[0]!.head) && !/Connection: close/i.test(r[1]!.head));
  assert.match(r[2]!.head, /\r\nConnection: close/i);
});

test("close(): idle keep-alive connections close at once; a new connect is refused", async () => {
  let hold: Connection | undefined;
  const m = new Manager((c, ev, d) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    if ((d as HttpMessage).uri === "/hold") hold = c; else c.reply(200, "quick");
  });
  const l = m.listen("http://127.0.0.1:0");
  const port = l.localAddr.port;
  const loop = startLoop(m);
  // An idle keep-alive connection: one request answered, then nothing.
  const idle = client(port, "GET /quick HTTP/1.1\r\nHost: x\r\n\r\n");
  await waitFor(() => idle.got() > 0, 5000, "the quick answer");
  const busy = client(port, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
  await waitFor(() => hold !== undefined, 5000, "the held request");
  const closing = loop.stop();
  // The idle one closes while the held request is still unanswered.
  const idleData = await idle.done;
  assert.equal(responses(idleData).length, 1);
  assert.equal(busy.got(), 0, "the held request is not answered yet");
  const refused = await new Promise<string>((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("connect", () => { s.destroy(); resolve("connected"); });
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
  });
  assert.equal(refused, "ECONNREFUSED");
  hold!.reply(200, "held");
  const r = responses(await busy.done);
  assert.equal(r[0]!.body.toString(), "held");
  await closing;
});

test("run() + SIGTERM in a child process: every request in flight is answered, exit code 0", async () => {
  const script = join(dirname(fileURLToPath(import.meta.url)), "shutdown-server.js");
  const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => { out += d; });
  child.stderr.setEncoding("utf8").on("data", (d: string) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    await waitFor(() => /PORT \d+\n/.test(out), 10000, "the child's port");
    const port = Number(/PORT (\d+)/.exec(out)![1]);
    const N = 50;
    const clients = Array.from({ length: N }, (_, i) => client(port, `GET /s${i} HTTP/1.1\r\nHost: x\r\n\r\n`));
    await waitFor(() => out.includes(`GOT ${N}\n`), 10000, "every request received by the child");
    child.kill("SIGTERM");
    const got = await Promise.all(clients.map((c) => c.done));
    const answered = got.filter((b) => { const r = responses(b); return r.length === 1 && /^HTTP\/1\.1 200 /.test(r[0]!.head) && /^answer \d+$/.test(r[0]!.body.toString()); }).length;
    assert.equal(answered, N);
    assert.equal(await exited, 0, err);
    assert.match(out, /DONE\n$/);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await exited;
  }
});

leakCheckAfterAll();
