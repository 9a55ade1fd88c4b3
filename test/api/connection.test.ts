// API.md "Connection": properties, raw I/O (send, recvData, recvConsume, sendData, close,
// drain, error) and DNS (resolve, resolveCancel), with Node's net as the peer. The HTTP and
// WebSocket methods are in connection-http.test.ts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import {
  Manager, MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_OPEN, MG_EV_POLL,
  MG_EV_READ, MG_EV_RESOLVE, MG_EV_USER, MG_EV_WRITE,
  type Connection, type EventHandler,
} from "../../src/index.js";
import { startLoop, startServer, waitFor, leakCheckAfterAll } from "../helpers.js";

/** A Uint8Array that is not a Buffer: API.md accepts any string | Uint8Array. */
function u8(s: string): Uint8Array {
  return new Uint8Array(new TextEncoder().encode(s));
}

/** Connects with Node's net and resolves once connected. */
function dial(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}
/** Everything a socket receives until the peer ends it. */
function readAll(s: net.Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    s.on("data", (d) => chunks.push(d));
    s.once("close", () => resolve(Buffer.concat(chunks)));
  });
}

// ---- properties -----------------------------------------------------------------------------

describe("Connection: properties", () => {
  it("id, handler/setHandler, userdata, isListening, isClient, isUdp, localAddr/remoteAddr, sizes", async () => {
    const seen = new Map<string, unknown>();
    const defaultHandler: EventHandler = (c, ev, _d) => {
      if (ev === MG_EV_ACCEPT) {
        seen.set("accepted", c);
        seen.set("acceptedHandler", c.handler === defaultHandler);
        c.userdata = { n: 1 };
        seen.set("isClient", c.isClient);
        seen.set("isListening", c.isListening);
        seen.set("remote", { ...c.remoteAddr });
        seen.set("local", { ...c.localAddr });
      }
      if (ev === MG_EV_READ) {
        seen.set("userdata", c.userdata);
        seen.set("isReadable", c.isReadable);
        seen.set("recvLen", c.recvLen);
        // setHandler: the next event goes to the new handler.
        c.setHandler((c2, ev2, _d2) => { if (ev2 === MG_EV_READ) { seen.set("newHandler", c2.recvData().toString()); c2.recvConsume(); } });
        c.recvConsume();
      }
    };
    const m = new Manager(defaultHandler);
    const l = m.listen("tcp://127.0.0.1:0");
    const u = m.listen("udp://127.0.0.1:0");
    const loop = startLoop(m);
    assert.ok(Number.isInteger(l.id) && l.id > 0 && u.id > l.id, "ids are positive and increasing");
    assert.equal(l.isListening, true);
    assert.equal(l.isClient, false);
    assert.equal(u.isUdp, true);
    assert.equal(l.isUdp, false);
    assert.equal(l.handler, defaultHandler, "a connection without its own handler uses the manager's");
    const s = await dial(l.localAddr.port);
    s.write("one");
    await waitFor(() => seen.has("recvLen"), 3000, "read");
    s.write("two");
    await waitFor(() => seen.has("newHandler"), 3000, "read by the new handler");
    const c = seen.get("accepted") as Connection;
    assert.equal(seen.get("acceptedHandler"), true);
    assert.equal(seen.get("isClient"), false);
    assert.equal(seen.get("isListening"), false);
    assert.deepEqual(seen.get("userdata"), { n: 1 });
    assert.equal(seen.get("isReadable"), true);
    assert.equal(seen.get("recvLen"), 3);
    assert.equal(seen.get("newHandler"), "two");
    assert.deepEqual(seen.get("remote"), { ip: "127.0.0.1", port: s.localPort, isIp6: false });
    assert.deepEqual(seen.get("local"), { ip: "127.0.0.1", port: l.localAddr.port, isIp6: false });
    for (const k of ["recvSize", "sendSize", "recvLen", "sendLen"] as const) assert.equal(typeof c[k], "number", k);
    assert.ok(c.recvSize > 0 && c.sendSize > 0);
    for (const k of ["isTls", "isWebsocket", "isWritable", "isFull", "isDraining", "isClosing", "isReadable"] as const) {
      assert.equal(typeof c[k], "boolean", k);
    }
    assert.equal(c.isTls, false);
    assert.equal(c.isWebsocket, false);
    assert.equal(c.isFull, false);
    assert.equal(c.isWritable, true);
    s.destroy();
    await loop.stop();
  });

  it("handler can be assigned; isClient and remoteAddr on outgoing connections", async () => {
    const m = new Manager();
    const l = m.listen("tcp://127.0.0.1:0");
    const evs: number[] = [];
    const c = m.connect(`tcp://127.0.0.1:${l.localAddr.port}`);
    c.handler = (_c, ev, _d) => { if (ev !== MG_EV_POLL) evs.push(ev); };
    const loop = startLoop(m);
    await waitFor(() => evs.includes(MG_EV_CONNECT), 3000, "connect");
    assert.equal(c.isClient, true);
    assert.deepEqual(c.remoteAddr, { ip: "127.0.0.1", port: l.localAddr.port, isIp6: false });
    assert.ok(c.localAddr.port > 0);
    await loop.stop();
  });

  it("IPv6: localAddr/remoteAddr have isIp6 and the address without brackets", async () => {
    let remote: unknown;
    const m = new Manager((c, ev, _d) => { if (ev === MG_EV_ACCEPT) remote = { ...c.remoteAddr }; });
    const l = m.listen("tcp://[::1]:0");
    assert.deepEqual({ ...l.localAddr, port: 0 }, { ip: "::1", port: 0, isIp6: true });
    assert.ok(l.localAddr.port > 0);
    const out = m.connect(`tcp://[::1]:${l.localAddr.port}`);
    const loop = startLoop(m);
    await waitFor(() => remote !== undefined, 3000, "accept");
    assert.deepEqual(remote, { ip: "::1", port: out.localAddr.port, isIp6: true });
    assert.equal(out.remoteAddr.isIp6, true);
    await loop.stop();
  });

  it("isFull: a full receive buffer pauses reading until the handler consumes", async () => {
    let conn: Connection | undefined;
    let sawFull = false;
    const s0 = startServer((c, ev, _d) => {
      if (ev === MG_EV_ACCEPT) { conn = c; c.recvSize = 4096; }
      if (ev === MG_EV_READ && c.isFull) sawFull = true;
    }, {}, "tcp");
    const s = await dial(s0.port);
    const total0 = 1 << 20;
    s.write(Buffer.alloc(total0, 1));
    await waitFor(() => sawFull, 3000, "isFull");
    await new Promise((r) => setTimeout(r, 100));
    // Reading pauses: the buffer holds at most about one socket read past recvSize.
    assert.ok(conn!.recvLen >= 4096 && conn!.recvLen <= 4096 + 128 * 1024, `recvLen ${conn!.recvLen} is bounded`);
    assert.equal(conn!.isFull, true);
    let total = 0;
    conn!.setHandler((c, ev, _d) => { if (ev === MG_EV_READ) { total += c.recvLen; c.recvConsume(); } });
    total += conn!.recvLen;
    conn!.recvConsume();
    await waitFor(() => total === total0, 5000, "the rest after consuming");
    s.destroy();
    await s0.stop();
  });
});

// ---- raw I/O --------------------------------------------------------------------------------

describe("Connection: raw I/O", () => {
  it("recvData() peeks, recvData(n) the first n, recvConsume(n) drops from the front; send(string | Uint8Array) is true", async () => {
    const log: Record<string, unknown> = {};
    const s0 = startServer((c, ev, _d) => {
      if (ev !== MG_EV_READ || c.recvLen < 10) return;
      log.all = c.recvData().toString();
      log.again = c.recvData().toString(); // peeking twice gives the same
      log.first3 = c.recvData(3).toString();
      log.isBuffer = Buffer.isBuffer(c.recvData());
      c.recvConsume(4);
      log.afterConsume = [c.recvLen, c.recvData().toString()];
      c.recvConsume();
      log.empty = [c.recvLen, c.recvData().length, c.isReadable];
      log.sendStr = c.send("héllo ");
      log.sendU8 = c.send(u8("wörld"));
      log.queued = c.sendData().toString();
      log.queued2 = c.sendData(2).toString("latin1");
      log.sendLen = c.sendLen;
      c.drain();
    }, {}, "tcp");
    const s = await dial(s0.port);
    const got = readAll(s);
    s.write("0123456789");
    assert.equal((await got).toString(), "héllo wörld");
    assert.equal(log.all, "0123456789");
    assert.equal(log.again, "0123456789");
    assert.equal(log.first3, "012");
    assert.equal(log.isBuffer, true);
    assert.deepEqual(log.afterConsume, [6, "456789"]);
    assert.deepEqual(log.empty, [0, 0, false]);
    assert.equal(log.sendStr, true);
    assert.equal(log.sendU8, true);
    assert.equal(log.queued, "héllo wörld", "sendData() shows what is queued and not yet written");
    assert.equal(log.queued2, "h\xc3");
    assert.ok((log.sendLen as number) >= Buffer.byteLength("héllo wörld"));
    await s0.stop();
  });

  it("a view from recvData() stays valid after recvConsume() and more reads", async () => {
    let kept: Buffer | undefined;
    let reads = 0;
    const s0 = startServer((c, ev, _d) => {
      if (ev !== MG_EV_READ) return;
      reads++;
      if (!kept) kept = c.recvData();
      c.recvConsume();
    }, {}, "tcp");
    const s = await dial(s0.port);
    s.write("first");
    await waitFor(() => kept !== undefined, 3000, "first read");
    s.write("SECOND-SECOND");
    await waitFor(() => reads >= 2, 3000, "second read");
    assert.equal(kept!.toString(), "first");
    s.destroy();
    await s0.stop();
  });

  it("send() is false on a TCP listener, throws after close(); true while draining", async () => {
    const res: boolean[] = [];
    const s0 = startServer((c, ev, _d) => {
      if (ev === MG_EV_READ) {
        c.recvConsume();
        res.push(c.send("a"));
        c.drain();
        res.push(c.isDraining, c.send("b"));
      }
    }, {}, "tcp");
    assert.equal(s0.listener.send("x"), false);
    const s = await dial(s0.port);
    const got = readAll(s);
    s.write("go");
    assert.equal((await got).toString(), "ab");
    assert.deepEqual(res, [true, true, true]);
    const m = new Manager();
    const l = m.listen("tcp://127.0.0.1:0");
    const out: boolean[] = [];
    m.connect(`tcp://127.0.0.1:${l.localAddr.port}`, (c, ev, _d) => {
      if (ev === MG_EV_CONNECT) {
        c.close();
        let code = "";
        try { c.send("late"); } catch (e) { code = (e as { code: string }).code; }
        out.push(c.isClosing, code === "ERR_CONN_CLOSED");
      }
    });
    const loop = startLoop(m);
    await waitFor(() => out.length === 2, 3000, "connect");
    assert.deepEqual(out, [true, true]);
    await loop.stop();
    await s0.stop();
  });

  it("close() closes now: the peer sees the end and MG_EV_CLOSE follows", async () => {
    const evs: number[] = [];
    const s0 = startServer((c, ev, _d) => {
      if (ev !== MG_EV_POLL) evs.push(ev);
      if (ev === MG_EV_READ) { c.recvConsume(); c.close(); }
    }, {}, "tcp");
    const s = await dial(s0.port);
    const got = readAll(s);
    s.write("x");
    await got;
    await waitFor(() => evs.includes(MG_EV_CLOSE), 3000, "MG_EV_CLOSE");
    await s0.stop();
  });

  it("drain() closes only after everything queued is written (4 MiB to a slow reader)", async () => {
    const big = Buffer.alloc(4 << 20);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    const s0 = startServer((c, ev, _d) => {
      if (ev === MG_EV_READ) { c.recvConsume(); c.send(big); c.drain(); }
    }, {}, "tcp");
    const s = await dial(s0.port);
    const chunks: Buffer[] = [];
    const done = new Promise<void>((resolve) => s.once("close", () => resolve()));
    s.on("data", (d) => { chunks.push(d); s.pause(); setTimeout(() => s.resume(), 1); });
    s.write("go");
    await done;
    assert.ok(Buffer.concat(chunks).equals(big), "every byte arrived before the close");
    await s0.stop();
  });

  it("error(msg): MG_EV_ERROR with the message, then the connection closes", async () => {
    const evs: [number, unknown][] = [];
    const s0 = startServer((c, ev, data) => {
      if (ev === MG_EV_ERROR || ev === MG_EV_CLOSE) evs.push([ev, data]);
      if (ev === MG_EV_READ) { c.recvConsume(); c.error("custom failure"); }
    }, {}, "tcp");
    const s = await dial(s0.port);
    const got = readAll(s);
    s.write("x");
    await got;
    await waitFor(() => evs.some(([e]) => e === MG_EV_CLOSE), 3000, "close");
    assert.deepEqual(evs, [[MG_EV_ERROR, "custom failure"], [MG_EV_CLOSE, undefined]]);
    await s0.stop();
  });

  it("MG_EV_READ and MG_EV_WRITE carry byte counts; conn.call() delivers user events", async () => {
    let read = 0, written = 0;
    const user: unknown[] = [];
    const s0 = startServer((c, ev, data) => {
      if (ev === MG_EV_READ) { read += data; c.recvConsume(); if (read === 5) { c.send("12345678"); c.call(MG_EV_USER + 1, { x: 1 }); } }
      if (ev === MG_EV_WRITE) written += data;
      if (ev === MG_EV_USER + 1) user.push(data);
    }, {}, "tcp");
    const s = await dial(s0.port);
    s.write("hello");
    await waitFor(() => written === 8, 3000, "write event");
    assert.equal(read, 5);
    assert.deepEqual(user, [{ x: 1 }]);
    s.destroy();
    await s0.stop();
  });

  it("UDP: one MG_EV_READ per datagram, and send() answers the sender", async () => {
    const s0 = startServer((c, ev, _d) => {
      if (ev === MG_EV_READ) { c.send(`got:${c.recvData().toString()}`); }
    }, {}, "udp");
    const m = new Manager();
    const replies: string[] = [];
    m.connect(`udp://127.0.0.1:${s0.port}`, (c, ev, _d) => {
      if (ev === MG_EV_CONNECT) { c.send("a"); c.send(u8("bb")); }
      if (ev === MG_EV_READ) { replies.push(c.recvData().toString()); c.recvConsume(); }
    });
    const loop = startLoop(m);
    await waitFor(() => replies.length === 2, 3000, "udp replies");
    assert.deepEqual(replies.sort(), ["got:a", "got:bb"]);
    await loop.stop();
    await s0.stop();
  });
});

// ---- DNS -------------------------------------------------------------------------------------

describe("Connection: resolve and resolveCancel", () => {
  it("resolveCancel() stops a pending lookup; resolve(url) then connects the connection (RESOLVE, CONNECT)", async () => {
    let accepted = 0;
    const s = startServer((c, ev, _d) => {
      if (ev === MG_EV_ACCEPT) accepted++;
      if (ev === MG_EV_READ) { c.send(c.recvData()); c.recvConsume(); }
    }, {}, "tcp");
    const m = new Manager();
    const evs: number[] = [];
    let echo = "";
    const c = m.connect(`tcp://localhost:${s.port}`, (conn, ev, _d) => {
      if (ev !== MG_EV_POLL) evs.push(ev);
      if (ev === MG_EV_CONNECT) conn.send("ping");
      if (ev === MG_EV_READ) { echo += conn.recvData().toString(); conn.recvConsume(); }
    });
    c.resolveCancel();
    for (let i = 0; i < 10; i++) await m.poll(10);
    assert.deepEqual(evs, [MG_EV_OPEN], "no RESOLVE or CONNECT after resolveCancel()");
    assert.equal(accepted, 0);
    c.resolve(`tcp://127.0.0.1:${s.port}`);
    const loop = startLoop(m);
    await waitFor(() => echo === "ping", 3000, "echo");
    assert.deepEqual(evs.slice(0, 3), [MG_EV_OPEN, MG_EV_RESOLVE, MG_EV_CONNECT]);
    await loop.stop();
    await s.stop();
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
