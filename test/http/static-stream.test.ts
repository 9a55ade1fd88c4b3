// serveDir streaming: backpressure with a slow reader, clients that go away mid-file
// (the file descriptor is closed), pipelined requests, drain() after serveDir(), and a
// file that shrinks while it is being sent.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as crypto from "node:crypto";
import { MG_EV_HTTP_MSG, type Connection, type Manager } from "../../src/index.js";
import { startServer, rawExchange, waitFor, curl, leakCheckAfterAll } from "../helpers.js";
import { makeSite, parseResponses, sha256, openFiles, BIG_SIZE } from "./static-fixture.js";
import { chunkStats } from "../../src/http/static-chunks.js";

const site = makeSite();
const HUGE = 20 * 1024 * 1024;
const hugePath = path.join(site.root, "huge.bin");
const huge = crypto.randomBytes(HUGE);
fs.writeFileSync(hugePath, huge);
after(() => site.cleanup());

function serverConn(m: Manager): Connection | undefined {
  return m.connections.find((c) => !c.isListening);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A raw client whose reading can be paused; collects what it reads. */
function rawClient(port: number) {
  const sock = net.connect(port, "127.0.0.1");
  const chunks: Buffer[] = [];
  let received = 0;
  let closed = false;
  sock.on("data", (d) => { chunks.push(d); received += d.length; });
  sock.on("close", () => { closed = true; });
  sock.on("error", () => { /* the test asserts on what arrived */ });
  return {
    sock,
    get received() { return received; },
    get closed() { return closed; },
    data: () => Buffer.concat(chunks),
    connected: new Promise<void>((r) => sock.once("connect", () => r())),
  };
}

test("slow reader: the server's send queue stays bounded while a 20 MB file waits, then every byte arrives", async () => {
  const srv = startServer((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) c.serveDir(data, site.root); });
  const cl = rawClient(srv.port);
  try {
    await cl.connected;
    cl.sock.pause();
    cl.sock.write("GET /huge.bin HTTP/1.1\r\nHost: x\r\n\r\n");
    await waitFor(() => serverConn(srv.manager) !== undefined, 5000, "server connection");
    const conn = serverConn(srv.manager)!;
    // Watch the server while the client does not read: the kernel buffers fill, then
    // the stream must wait instead of queueing the file in memory.
    let maxSend = 0;
    for (let i = 0; i < 60; i++) {
      await sleep(10);
      maxSend = Math.max(maxSend, conn.sendLen);
    }
    assert.ok(maxSend < 8 * 1024 * 1024, `send queue reached ${maxSend} bytes`);
    assert.ok(conn._onWritable !== undefined, "the stream is waiting for the socket to drain");
    assert.ok(!conn.isClosing);
    cl.sock.resume();
    const total = HUGE;
    await waitFor(() => {
      const d = cl.data();
      const e = d.indexOf("\r\n\r\n");
      return e >= 0 && d.length >= e + 4 + total;
    }, 20000, "the whole file");
    const [res] = parseResponses(cl.data());
    assert.equal(res!.status, 200);
    assert.equal(res!.body.length, HUGE);
    assert.equal(sha256(res!.body), sha256(huge));
    // The response is complete: the hook is gone and the connection takes the next request.
    await waitFor(() => conn._onWritable === undefined, 2000, "stream finished");
    assert.ok(!openFiles().includes(hugePath), "file closed after the response");
  } finally {
    cl.sock.destroy();
    await srv.stop();
  }
});

test("a client that disconnects mid-file (reading, or paused) causes no crash and the file is closed", async () => {
  const errors: unknown[] = [];
  const srv = startServer((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) c.serveDir(data, site.root); });
  srv.manager.errorHandler = (e) => errors.push(e);
  try {
    const before = openFiles().filter((p) => p === hugePath).length;
    assert.equal(before, 0);
    for (const mode of ["reading", "paused"]) {
      const fdsBefore = fs.readdirSync("/proc/self/fd").length;
      const cl = rawClient(srv.port);
      await cl.connected;
      cl.sock.write("GET /huge.bin HTTP/1.1\r\nHost: x\r\n\r\n");
      await waitFor(() => cl.received > 256 * 1024, 5000, "some of the file");
      if (mode === "paused") {
        cl.sock.pause();
        const conn = serverConn(srv.manager)!;
        // Wait until the stream has stopped reading the file for want of room.
        await waitFor(() => conn.sendLen > 0 && conn._onWritable !== undefined, 5000, "server waiting to write");
        await sleep(100);
      }
      assert.ok(openFiles().includes(hugePath), "the file is open while it is being sent");
      cl.sock.destroy();
      await waitFor(() => serverConn(srv.manager) === undefined, 5000, "server connection closed");
      await waitFor(() => !openFiles().includes(hugePath), 5000, `file descriptor closed (${mode})`);
      await waitFor(() => fs.readdirSync("/proc/self/fd").length <= fdsBefore, 5000, "no descriptor leaked");
    }
    // The server is fine afterwards.
    const r = await curl([`${srv.url}/small.txt`]);
    assert.equal(r.stdout, "small file\n");
    assert.deepEqual(errors, []);
  } finally { await srv.stop(); }
});

test("pipelined requests on one connection: a streamed file first, responses in order", async () => {
  const srv = startServer((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) c.serveDir(data, site.root); });
  try {
    const req = (m: string, u: string, extra = "") => `${m} ${u} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
    const raw = await rawExchange(srv.port,
      req("GET", "/big.bin") + req("GET", "/small.txt") + req("HEAD", "/big.bin") + req("GET", "/missing") +
      req("GET", "/big.bin", "Range: bytes=10-19\r\n") + req("GET", "/sub") + req("GET", "/sub/a.txt", "Connection: close\r\n"),
      { idleMs: 5000 });
    assert.ok(raw.closed);
    const rs = parseResponses(raw.data, [false, false, true]);
    assert.deepEqual(rs.map((r) => r.status), [200, 200, 200, 404, 206, 301, 200]);
    assert.equal(sha256(rs[0]!.body), sha256(site.big));
    assert.equal(rs[1]!.body.toString(), "small file\n");
    assert.equal(rs[2]!.headers.get("content-length"), String(BIG_SIZE));
    assert.deepEqual(rs[4]!.body, site.big.subarray(10, 20));
    assert.equal(rs[6]!.body.toString(), "a in sub\n");
  } finally { await srv.stop(); }
});

test("read buffers are reused only once written: 8 connections, two files each, paused readers, every body intact", async () => {
  // Two files with different content, so a read buffer reused while a socket still held
  // it would show as bytes of the other file.
  const other = crypto.randomBytes(3 * 1024 * 1024 + 77);
  const otherPath = path.join(site.root, "other.bin");
  fs.writeFileSync(otherPath, other);
  const srv = startServer((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) c.serveDir(data, site.root); });
  try {
    const one = async (k: number): Promise<void> => {
      const cl = rawClient(srv.port);
      await cl.connected;
      const names = ["/big.bin", "/other.bin", "/big.bin", "/other.bin"];
      cl.sock.write(names.map((u, i) => `GET ${u} HTTP/1.1\r\nHost: x\r\n${i === names.length - 1 ? "Connection: close\r\n" : ""}\r\n`).join(""));
      // Odd clients stop reading now and then, so chunks wait in the socket for a while.
      if (k % 2 === 1) {
        for (let i = 0; i < 5 && !cl.closed; i++) { cl.sock.pause(); await sleep(15); cl.sock.resume(); await sleep(5); }
      }
      await waitFor(() => cl.closed, 20000, `client ${k} done`);
      const rs = parseResponses(cl.data());
      assert.deepEqual(rs.map((r) => r.status), [200, 200, 200, 200]);
      for (let i = 0; i < names.length; i++) {
        assert.equal(sha256(rs[i]!.body), sha256(i % 2 === 0 ? site.big : other), `client ${k} response ${i}`);
      }
    };
    await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(one));
    // Keep-alive requests one after another: each response starts with the previous one
    // written, so its read buffers are taken again instead of allocated.
    const before = chunkStats();
    const cl = rawClient(srv.port);
    await cl.connected;
    for (let i = 0; i < 6; i++) {
      const want = cl.received + BIG_SIZE;
      cl.sock.write("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
      await waitFor(() => cl.received > want, 10000, `sequential response ${i}`);
    }
    cl.sock.end();
    await waitFor(() => cl.closed, 5000, "sequential client closed");
    const rs = parseResponses(cl.data());
    assert.equal(rs.length, 6);
    for (const r of rs) assert.equal(sha256(r.body), sha256(site.big));
    const after = chunkStats();
    assert.ok(after.reused - before.reused > 0, `no read buffer reused (${JSON.stringify(before)} -> ${JSON.stringify(after)})`);
  } finally { await srv.stop(); fs.unlinkSync(otherPath); }
});

test("pipelined requests arriving in pieces while a large file is streamed", async () => {
  const srv = startServer((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) c.serveDir(data, site.root); });
  try {
    const raw = await rawExchange(srv.port, [
      "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /sm", "all.txt HTTP/1.1\r\nHost: x\r\n", "\r\nGET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ], { gapMs: 30, idleMs: 5000 });
    const rs = parseResponses(raw.data);
    assert.deepEqual(rs.map((r) => r.status), [200, 200, 200]);
    assert.equal(sha256(rs[0]!.body), sha256(site.big));
    assert.equal(rs[1]!.body.toString(), "small file\n");
    assert.equal(sha256(rs[2]!.body), sha256(site.big));
  } finally { await srv.stop(); }
});

test("drain() right after serveDir() waits for the whole file, then closes", async () => {
  const srv = startServer((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) { c.serveDir(data, site.root); c.drain(); } });
  try {
    for (const p of ["/big.bin", "/small.txt", "/sub/", "/missing"]) {
      const raw = await rawExchange(srv.port, `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`, { idleMs: 5000 });
      assert.ok(raw.closed, p);
      const [res] = parseResponses(raw.data);
      assert.equal(res!.body.length, Number(res!.headers.get("content-length")), p);
      if (p === "/big.bin") assert.equal(sha256(res!.body), sha256(site.big));
    }
  } finally { await srv.stop(); }
});

test("a file that shrinks while it is sent: the connection is closed (the promised length cannot be kept)", async () => {
  const p = path.join(site.root, "shrinking.bin");
  // Large enough that loopback socket buffers cannot take it all while the client pauses.
  fs.writeFileSync(p, huge);
  const srv = startServer((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) c.serveDir(data, site.root); });
  const cl = rawClient(srv.port);
  try {
    await cl.connected;
    cl.sock.write("GET /shrinking.bin HTTP/1.1\r\nHost: x\r\n\r\n");
    await waitFor(() => cl.received > 0, 5000, "first bytes");
    cl.sock.pause();
    const conn = serverConn(srv.manager)!;
    await waitFor(() => conn._onWritable !== undefined && conn.sendLen > 0, 5000, "server waiting");
    fs.truncateSync(p, 1024 * 1024);
    cl.sock.resume();
    await waitFor(() => cl.closed, 10000, "connection closed");
    const d = cl.data();
    const [res] = parseResponses(d);
    assert.equal(res!.headers.get("content-length"), String(HUGE));
    assert.ok(res!.body.length < HUGE, "fewer bytes than promised, then the close");
    await waitFor(() => !openFiles().includes(p), 5000, "file closed");
  } finally {
    cl.sock.destroy();
    await srv.stop();
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
