// The public contract of /work/shared/API.md, checked through the package's entry point
// only: exported names, event numbers and names, and the Manager. Connection, messages,
// functions, adapters and the guide's HTTPS sections have their own files in this folder.
import { describe, it, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import * as api from "../../src/index.js";
import {
  Manager, eventName, MG_EV_ERROR, MG_EV_OPEN, MG_EV_POLL, MG_EV_RESOLVE, MG_EV_CONNECT,
  MG_EV_ACCEPT, MG_EV_READ, MG_EV_WRITE, MG_EV_CLOSE, MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG, MG_EV_WS_OPEN,
  MG_EV_WS_MSG, MG_EV_WAKEUP, MG_EV_USER, MG_EV_TLS_HS, MG_EV_MQTT_OPEN, MG_EV_SNTP_TIME,
  type Connection, type EventHandler, type HttpMessage, type WsMessage, type Timer,
} from "../../src/index.js";
import { curl, run, startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";

// ---- names -------------------------------------------------------------------------------

const EVENTS = [
  "MG_EV_ERROR", "MG_EV_OPEN", "MG_EV_POLL", "MG_EV_RESOLVE", "MG_EV_CONNECT", "MG_EV_ACCEPT",
  "MG_EV_TLS_HS", "MG_EV_READ", "MG_EV_WRITE", "MG_EV_CLOSE", "MG_EV_HTTP_HDRS", "MG_EV_HTTP_MSG",
  "MG_EV_WS_OPEN", "MG_EV_WS_MSG", "MG_EV_WS_CTL", "MG_EV_MQTT_CMD", "MG_EV_MQTT_MSG",
  "MG_EV_MQTT_OPEN", "MG_EV_SNTP_TIME", "MG_EV_WAKEUP", "MG_EV_USER",
] as const;

// Everything API.md names that exists today (MQTT and SNTP are later issues, see the todo below).
const FUNCTIONS = [
  "eventName", "httpParseMultipart", "httpVar", "urlEncode", "urlPort", "urlHost", "urlUser", "urlPass",
  "urlUri", "urlIsSsl", "match", "jsonGet", "jsonGetNum", "jsonGetBool", "jsonGetLong", "jsonGetStr",
  "md5", "sha1", "sha256", "hmacSha256", "base64Encode", "base64Decode", "crc32", "millis",
  "randomBytes", "randomStr", "logSet", "logGet", "fetchHandler", "nodeHandler",
] as const;
const CLASSES = ["Manager", "Connection", "HttpMessage", "WsMessage", "Rpc", "RpcReq"] as const;

describe("API.md: exported names", () => {
  const exported = api as unknown as Record<string, unknown>;

  it("the events are numbers in Mongoose's order, ERROR = 0 .. WAKEUP, then USER", () => {
    EVENTS.forEach((name, i) => assert.equal(exported[name], i, `${name} should be ${i}`));
  });

  it("every function and class API.md lists is exported", () => {
    for (const f of FUNCTIONS) assert.equal(typeof exported[f], "function", `export ${f}`);
    for (const c of CLASSES) assert.equal(typeof exported[c], "function", `export class ${c}`);
  });

  it("log levels MG_LL_NONE..MG_LL_VERBOSE are 0..4", () => {
    ["MG_LL_NONE", "MG_LL_ERROR", "MG_LL_INFO", "MG_LL_DEBUG", "MG_LL_VERBOSE"]
      .forEach((n, i) => assert.equal(exported[n], i, n));
  });

  it("WEBSOCKET_OP_* are the RFC 6455 opcodes", () => {
    const ops: Record<string, number> = { CONTINUE: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 };
    for (const [k, v] of Object.entries(ops)) assert.equal(exported[`WEBSOCKET_OP_${k}`], v, `WEBSOCKET_OP_${k}`);
  });

});

describe("API.md: eventName", () => {
  it("names built-in events, user events as MG_EV_USER+n, others as MG_EV_UNKNOWN(n)", () => {
    EVENTS.forEach((name, i) => assert.equal(eventName(i), name));
    assert.equal(eventName(MG_EV_HTTP_MSG), "MG_EV_HTTP_MSG");
    assert.equal(eventName(MG_EV_USER + 3), "MG_EV_USER+3");
    assert.equal(eventName(-1), "MG_EV_UNKNOWN(-1)");
    assert.equal(eventName(99), "MG_EV_UNKNOWN(99)", "API.md's example");
    assert.equal(eventName(1.5), "MG_EV_UNKNOWN(1.5)");
  });
});

// ---- types (compile-time: this file must build) -----------------------------------------

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<T extends true>(_v?: T): void { /* compile-time only */ }

// The handler of API.md's translated guide: comparing ev with a constant narrows data.
export const narrowing: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) {
    expectType<Equal<typeof data, HttpMessage>>();
    conn.reply(200, '{"status": "ok"}', { "Content-Type": "application/json" });
  } else if (ev === MG_EV_HTTP_HDRS || ev === MG_EV_WS_OPEN) {
    expectType<Equal<typeof data, HttpMessage>>();
  } else if (ev === MG_EV_WS_MSG) {
    expectType<Equal<typeof data, WsMessage>>();
  } else if (ev === MG_EV_ERROR) {
    expectType<Equal<typeof data, string>>();
  } else if (ev === MG_EV_OPEN || ev === MG_EV_RESOLVE || ev === MG_EV_CONNECT || ev === MG_EV_ACCEPT || ev === MG_EV_TLS_HS || ev === MG_EV_CLOSE) {
    expectType<Equal<typeof data, undefined>>();
  } else if (ev === MG_EV_POLL || ev === MG_EV_READ || ev === MG_EV_WRITE || ev === MG_EV_MQTT_OPEN || ev === MG_EV_SNTP_TIME) {
    expectType<Equal<typeof data, number>>();
  } else if (ev === MG_EV_WAKEUP) {
    expectType<Equal<typeof data, Buffer>>();
  }
};

// Handlers written with explicit, wider parameter types (as ports of Python code are) fit too.
export const wide: EventHandler = (conn: Connection, ev: number, data: unknown) => { void conn; void ev; void data; };
export const viaManager = (): Manager => new Manager((conn: Connection, ev: number, _data: unknown) => { if (ev === MG_EV_HTTP_MSG) conn.drain(); });

// ---- Manager -------------------------------------------------------------------------------

/** Polls `m` until `cond()` or the deadline. */
async function pollUntil(m: Manager, cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await m.poll(10);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

describe("API.md: Manager", () => {
  it("new Manager() without arguments; handler and options are optional", async () => {
    const a = new Manager();
    const b = new Manager(undefined, { enableWakeup: true });
    const c = new Manager(() => {}, { errorHandler: () => {}, enableWakeup: false });
    for (const m of [a, b, c]) await m.close();
  });

  it("errorHandler gets what a handler throws; the loop and other connections go on", async () => {
    const errors: unknown[] = [];
    const m = new Manager((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) {
        if (data.uri === "/boom") throw new Error("boom");
        c.reply(200, "fine");
      }
    }, { errorHandler: (e) => errors.push(e) });
    const lsn = m.listen("http://127.0.0.1:0");
    const loop = startLoop(m);
    const boom = curl(["-m", "1", `http://127.0.0.1:${lsn.localAddr.port}/boom`], 3000);
    await waitFor(() => errors.length > 0, 5000, "errorHandler");
    assert.ok(errors[0] instanceof Error && errors[0].message === "boom");
    const r = await curl([`http://127.0.0.1:${lsn.localAddr.port}/ok`]);
    assert.equal(r.stdout, "fine");
    await boom;
    await loop.stop();
  });

  it("without errorHandler, a throwing handler's stack is printed and the loop goes on", async () => {
    const index = fileURLToPath(new URL("../../src/index.js", import.meta.url));
    const script = `
      import { Manager, MG_EV_OPEN, MG_EV_WAKEUP } from ${JSON.stringify(index)};
      const m = new Manager((c, ev, data) => {
        if (ev === MG_EV_OPEN) throw new Error("kaboom in handler");
        if (ev === MG_EV_WAKEUP) console.log("still alive: " + data.toString());
      });
      const l = m.listen("tcp://127.0.0.1:0");
      await m.poll(0);
      m.wakeup(l.id, "yes");
      await m.poll(0);
      await m.close();`;
    const r = await run(process.execPath, ["--input-type=module", "-e", script], { timeoutMs: 10_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /kaboom in handler/);
    assert.match(r.stderr, /\n\s+at /, "the stack is printed");
    assert.equal(r.stdout, "still alive: yes\n");
  });

  it("poll(timeoutMs) resolves; handlers run only inside it; MG_EV_POLL carries monotonic ms", async () => {
    const seen: number[] = [];
    const polls: number[] = [];
    const m = new Manager((_c, ev, data) => {
      if (ev === MG_EV_POLL) polls.push(data); else seen.push(ev);
    });
    const lsn = m.listen("tcp://127.0.0.1:0");
    assert.deepEqual(seen.slice(), [], "listen() dispatches nothing by itself");
    await m.poll(); // default timeout 0
    assert.deepEqual(seen.slice(), [MG_EV_OPEN]);
    const sock = net.connect(lsn.localAddr.port, "127.0.0.1");
    await new Promise((r) => sock.once("connect", r));
    sock.write("x");
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seen.slice(), [MG_EV_OPEN], "no event outside poll()");
    await pollUntil(m, () => seen.includes(MG_EV_READ), "MG_EV_READ");
    assert.deepEqual(seen.slice(0, 4), [MG_EV_OPEN, MG_EV_OPEN, MG_EV_ACCEPT, MG_EV_READ]);
    assert.ok(polls.length >= 2 && polls.every((p, i) => Number.isInteger(p) && (i === 0 || p >= polls[i - 1]!)));
    sock.destroy();
    await m.close();
  });

  it("poll() batches: data from many clients in one turn is dispatched in one poll", async () => {
    const reads = new Set<number>();
    const m = new Manager((c, ev, _d) => { if (ev === MG_EV_READ) reads.add(c.id); });
    const lsn = m.listen("tcp://127.0.0.1:0");
    const socks: net.Socket[] = [];
    for (let i = 0; i < 5; i++) socks.push(net.connect(lsn.localAddr.port, "127.0.0.1"));
    await Promise.all(socks.map((s) => new Promise((r) => s.once("connect", r))));
    await pollUntil(m, () => m.connections.length === 6, "5 accepted connections");
    for (const s of socks) s.write("hello");
    await new Promise((r) => setTimeout(r, 100)); // all data is in before the next poll
    await m.poll(0);
    assert.equal(reads.size, 5, "one poll dispatched every connection's data");
    for (const s of socks) s.destroy();
    await m.close();
  });

  it("run({ signal }) loops until the signal aborts, then closes gracefully", async () => {
    let closes = 0;
    const m = new Manager((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.reply(200, data.uri);
      if (ev === MG_EV_CLOSE) closes++;
    });
    const lsn = m.listen("http://127.0.0.1:0");
    const ac = new AbortController();
    const running = m.run({ pollMs: 20, signal: ac.signal });
    const r = await curl([`http://127.0.0.1:${lsn.localAddr.port}/run`]);
    assert.equal(r.stdout, "/run");
    ac.abort();
    await running;
    assert.ok(closes >= 1, "the listener got MG_EV_CLOSE");
    assert.equal(m.connections.length, 0);
    const refused = await curl([`http://127.0.0.1:${lsn.localAddr.port}/`]);
    assert.notEqual(refused.code, 0, "nothing listens after run() returns");
  });

  it("listen(): http inferred from http://, https://, ws://, wss://, not from tcp://; opts.http overrides", async () => {
    const got: string[] = [];
    const m = new Manager((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) { got.push(`http:${data.uri}`); c.reply(200, "ok"); }
    });
    const loop = startLoop(m);
    const http = m.listen("http://127.0.0.1:0");
    const ws = m.listen("ws://127.0.0.1:0");
    const raw: string[] = [];
    const tcp = m.listen("tcp://127.0.0.1:0", (c, ev, _d) => {
      if (ev === MG_EV_READ) { raw.push(c.recvData().toString()); c.recvConsume(); c.send("raw\n"); c.drain(); }
    });
    const forcedRaw: string[] = [];
    const notHttp = m.listen("http://127.0.0.1:0", (c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) forcedRaw.push("http");
      if (ev === MG_EV_READ) { forcedRaw.push(`read:${data}`); c.recvConsume(); c.send("no\n"); c.drain(); }
    }, { http: false });
    const forcedHttp = m.listen("tcp://127.0.0.1:0", { http: true });
    for (const l of [http, ws, forcedHttp]) {
      const r = await curl([`http://127.0.0.1:${l.localAddr.port}/p${l.id}`]);
      assert.equal(r.stdout, "ok", `listener ${l.id}`);
    }
    assert.deepEqual(got, [`http:/p${http.id}`, `http:/p${ws.id}`, `http:/p${forcedHttp.id}`]);
    const r1 = await curl(["--http0.9", `http://127.0.0.1:${tcp.localAddr.port}/`]);
    assert.equal(r1.stdout, "raw\n");
    assert.match(raw.join(""), /^GET \/ HTTP\/1\.1\r\n/);
    const r2 = await curl(["--http0.9", `http://127.0.0.1:${notHttp.localAddr.port}/`]);
    assert.equal(r2.stdout, "no\n");
    assert.ok(!forcedRaw.includes("http") && forcedRaw.some((x) => x.startsWith("read:")));
    await loop.stop();
  });

  it("listen(): port 0 gives the real port in localAddr as soon as listen() returns; binding a taken port throws", async () => {
    const m = new Manager();
    for (const scheme of ["tcp", "http", "ws", "udp"]) {
      const l = m.listen(`${scheme}://127.0.0.1:0`);
      assert.ok(l.localAddr.port > 0, scheme);
      assert.deepEqual(Object.keys(l.localAddr).sort(), ["ip", "isIp6", "port"]);
      assert.equal(l.localAddr.ip, "127.0.0.1");
      assert.equal(l.localAddr.isIp6, false);
      assert.equal(l.isListening, true);
      assert.throws(() => m.listen(`${scheme}://127.0.0.1:${l.localAddr.port}`), Error, `${scheme}: binding a taken port throws`);
    }
    // A port taken by another program, not this manager.
    const other = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => other.once("listening", r));
    assert.throws(() => m.listen(`http://127.0.0.1:${(other.address() as net.AddressInfo).port}`), /EADDRINUSE|in use|bind/i);
    other.close();
    assert.throws(() => m.listen("http://192.0.2.1:0"), Error, "an address that is not ours cannot be bound");
    await m.close();
  });

  it("listen(url, handler) gives the listener's connections their own handler; listen(url, opts) the manager's", async () => {
    const mine: string[] = [];
    const theirs: string[] = [];
    const m = new Manager((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) { theirs.push(data.uri); c.reply(200, "default"); } });
    const a = m.listen("http://127.0.0.1:0", (c, ev, data) => { if (ev === MG_EV_HTTP_MSG) { mine.push(data.uri); c.reply(200, "own"); } });
    const b = m.listen("http://127.0.0.1:0", {});
    const loop = startLoop(m);
    assert.equal((await curl([`http://127.0.0.1:${a.localAddr.port}/a`])).stdout, "own");
    assert.equal((await curl([`http://127.0.0.1:${b.localAddr.port}/b`])).stdout, "default");
    assert.deepEqual([mine, theirs], [["/a"], ["/b"]]);
    await loop.stop();
  });

  it("connect(): MG_EV_RESOLVE then MG_EV_CONNECT, to an IP and to a name (localhost)", async () => {
    const server = net.createServer((s) => s.end("hi")).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as net.AddressInfo).port;
    const m = new Manager();
    for (const host of ["127.0.0.1", "localhost"]) {
      const evs: number[] = [];
      let got = "";
      const c = m.connect(`tcp://${host}:${port}`, (conn, ev, _d) => {
        if (ev !== MG_EV_POLL) evs.push(ev);
        if (ev === MG_EV_READ) { got += conn.recvData().toString(); conn.recvConsume(); }
      });
      assert.equal(c.isClient, true);
      await pollUntil(m, () => evs.includes(MG_EV_CLOSE), `${host}: close`);
      const core = evs.filter((e) => e === MG_EV_OPEN || e === MG_EV_RESOLVE || e === MG_EV_CONNECT || e === MG_EV_ERROR);
      // "localhost" may resolve to ::1 first where nothing listens: then the error is the refusal.
      if (host === "127.0.0.1" || !core.includes(MG_EV_ERROR)) {
        assert.deepEqual(core, [MG_EV_OPEN, MG_EV_RESOLVE, MG_EV_CONNECT], `${host}: ${evs.map(eventName)}`);
        assert.equal(got, "hi");
      }
    }
    server.close();
    await m.close();
  });

  it("connect(): nothing listening gives MG_EV_RESOLVE then MG_EV_ERROR (with a message) and MG_EV_CLOSE", async () => {
    const port = await freePort();
    const m = new Manager();
    const evs: number[] = [];
    let msg = "";
    m.connect(`tcp://127.0.0.1:${port}`, (_c, ev, data) => {
      if (ev !== MG_EV_POLL) evs.push(ev);
      if (ev === MG_EV_ERROR) msg = data;
    });
    await pollUntil(m, () => evs.includes(MG_EV_CLOSE), "close");
    assert.deepEqual(evs, [MG_EV_OPEN, MG_EV_RESOLVE, MG_EV_ERROR, MG_EV_CLOSE], evs.map(eventName).join());
    assert.match(msg, /ECONNREFUSED|refused/i);
    await m.close();
  });

  it("connect(): a name that does not resolve gives MG_EV_ERROR naming it, then MG_EV_CLOSE, never MG_EV_CONNECT", async () => {
    const m = new Manager();
    const evs: number[] = [];
    let msg = "";
    m.connect("tcp://no-such-host.invalid:80", (_c, ev, data) => {
      if (ev !== MG_EV_POLL) evs.push(ev);
      if (ev === MG_EV_ERROR) msg = data;
    });
    await pollUntil(m, () => evs.includes(MG_EV_CLOSE), "close", 15_000);
    assert.ok(!evs.includes(MG_EV_CONNECT));
    assert.deepEqual(evs.slice(-2), [MG_EV_ERROR, MG_EV_CLOSE]);
    assert.match(msg, /no-such-host\.invalid/);
    await m.close();
  });

  it("connect(): http inferred from http:// (response as MG_EV_HTTP_MSG), raw for tcp://", async () => {
    const server = net.createServer((s) => s.once("data", () => s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"))).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as net.AddressInfo).port;
    const m = new Manager();
    let status: number | undefined;
    let body = "";
    let raw = "";
    m.connect(`http://127.0.0.1:${port}`, (c, ev, data) => {
      if (ev === MG_EV_CONNECT) c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      if (ev === MG_EV_HTTP_MSG) { status = data.status(); body = data.bodyText; }
    });
    m.connect(`tcp://127.0.0.1:${port}`, (c, ev, _d) => {
      if (ev === MG_EV_CONNECT) c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      if (ev === MG_EV_HTTP_MSG) raw += "(parsed!)";
      if (ev === MG_EV_READ) { raw += c.recvData().toString(); c.recvConsume(); }
    });
    await pollUntil(m, () => status !== undefined && raw.endsWith("hi"), "both responses");
    assert.equal(status, 200);
    assert.equal(body, "hi");
    assert.equal(raw, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    server.close();
    await m.close();
  });

  it("timerAdd(ms, cb, { repeat, runNow }) runs inside poll; timer.cancel() stops it", async () => {
    const m = new Manager();
    const log: string[] = [];
    let inPoll = false;
    m.timerAdd(20, () => log.push(`once:${inPoll}`));
    const rep: Timer = m.timerAdd(5, () => log.push("rep"), { repeat: true });
    m.timerAdd(60_000, () => log.push("now"), { runNow: true });
    const canc = m.timerAdd(1, () => log.push("cancelled"));
    canc.cancel();
    await new Promise((r) => setTimeout(r, 40));
    assert.deepEqual(log.slice(), [], "timers run only in poll");
    const deadline = Date.now() + 3000;
    while ((log.filter((x) => x === "rep").length < 3 || !log.some((x) => x.startsWith("once"))) && Date.now() < deadline) {
      inPoll = true;
      const p = m.poll(5);
      await p;
      inPoll = false;
    }
    assert.equal(log.filter((x) => x === "now").length, 1, "runNow ran once at the first poll");
    assert.deepEqual(log.filter((x) => x.startsWith("once")), ["once:true"]);
    assert.ok(log.filter((x) => x === "rep").length >= 3);
    assert.ok(!log.includes("cancelled"));
    rep.cancel();
    const n = log.length;
    for (let i = 0; i < 4; i++) await m.poll(10);
    assert.equal(log.length, n, "nothing runs after cancel()");
    await m.close();
  });

  it("wakeup(connId, data) delivers MG_EV_WAKEUP with a Buffer; false for an unknown id", async () => {
    const got: [number, Buffer][] = [];
    const m = new Manager((c, ev, data) => { if (ev === MG_EV_WAKEUP) got.push([c.id, data]); });
    const l = m.listen("tcp://127.0.0.1:0");
    assert.equal(m.wakeup(l.id, "text"), true);
    assert.equal(m.wakeup(l.id, new Uint8Array([1, 2, 3])), true);
    assert.equal(m.wakeup(l.id), true);
    assert.equal(m.wakeup(999_999, "x"), false);
    await pollUntil(m, () => got.length === 3, "3 wakeups");
    assert.ok(got.every(([id, d]) => id === l.id && Buffer.isBuffer(d)));
    assert.deepEqual(got.map(([, d]) => [...d]), [[...Buffer.from("text")], [1, 2, 3], []]);
    await m.close();
  });

  it("wakeupHandle(): a worker_threads Worker wakes a connection with wakeup(handle, connId, data)", async () => {
    const got: string[] = [];
    const m = new Manager((_c, ev, data) => { if (ev === MG_EV_WAKEUP) got.push(data.toString()); });
    const l = m.listen("tcp://127.0.0.1:0");
    const loop = startLoop(m);
    const handle = m.wakeupHandle();
    const index = new URL("../../src/index.js", import.meta.url).href;
    const code = `
      const { workerData } = require("node:worker_threads");
      import(workerData.index).then(({ wakeup }) => {
        for (const d of ["from", "worker"]) wakeup(workerData.handle, workerData.id, d);
        workerData.handle.close();
      });`;
    const w = new Worker(code, { eval: true, workerData: { handle, id: l.id, index }, transferList: [handle] });
    await new Promise((r) => w.once("exit", r));
    await waitFor(() => got.length === 2, 3000, "wakeups from the worker");
    assert.deepEqual(got, ["from", "worker"]);
    await loop.stop();
  });

  it("connections lists listeners, accepted and outgoing connections; close() closes them all", async () => {
    const closed: number[] = [];
    const m = new Manager((c, ev, _d) => { if (ev === MG_EV_CLOSE) closed.push(c.id); });
    const l = m.listen("tcp://127.0.0.1:0");
    const out = m.connect(`tcp://127.0.0.1:${l.localAddr.port}`);
    await pollUntil(m, () => m.connections.length === 3, "3 connections");
    const list: readonly Connection[] = m.connections;
    assert.ok(list.includes(l) && list.includes(out));
    assert.equal(list.filter((c) => !c.isListening && !c.isClient).length, 1, "one accepted");
    await m.close();
    assert.equal(m.connections.length, 0);
    assert.deepEqual([...closed].sort(), list.map((c) => c.id).sort(), "every connection got MG_EV_CLOSE");
  });

  it("Symbol.asyncDispose: `await using` closes the manager at the end of the block", async () => {
    let port = 0;
    let closed = false;
    {
      await using mgr = new Manager((_c, ev, _d) => { if (ev === MG_EV_CLOSE) closed = true; });
      port = mgr.listen("tcp://127.0.0.1:0").localAddr.port;
      assert.equal(typeof mgr[Symbol.asyncDispose], "function");
    }
    assert.equal(closed, true);
    await assert.rejects(new Promise<void>((resolve, reject) => {
      const s = net.connect(port, "127.0.0.1", () => { s.destroy(); resolve(); });
      s.once("error", reject);
    }), /ECONNREFUSED/);
  });

  it("wsConnect(url, handler, { headers }) sends the headers and opens a WebSocket", async () => {
    let seenHeader: string | undefined;
    const m = new Manager();
    const l = m.listen("http://127.0.0.1:0", (c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) { seenHeader = data.header("X-Token"); c.wsUpgrade(data); }
      if (ev === MG_EV_WS_MSG) c.wsSend(`echo:${data.text}`);
    });
    let reply = "";
    let clientIsWs = false;
    m.wsConnect(`ws://127.0.0.1:${l.localAddr.port}/ws`, (c, ev, data) => {
      if (ev === MG_EV_WS_OPEN) { clientIsWs = c.isWebsocket && c.isClient; c.wsSend("hi"); }
      if (ev === MG_EV_WS_MSG) reply = data.text;
    }, { headers: { "X-Token": "t1" } });
    await pollUntil(m, () => reply !== "", "echo");
    assert.equal(reply, "echo:hi");
    assert.equal(seenHeader, "t1");
    assert.equal(clientIsWs, true);
    await m.close();
  });
});

// ---- options -------------------------------------------------------------------------

// API.md: "Options are checked where they are given: a wrong type or range throws naming
// the option." The entry points not covered by their layer's tests (listen/connect in
// test/core, wsConnect in test/ws/client, mqttConnect in test/mqtt/client, MqttBroker in
// test/mqtt/broker-options): [entry point and option, call, a fragment of the message].
describe("API.md: options are checked where they are given", () => {
  const m = new Manager();
  const app = (): Response => new Response("x");
  const BAD: [string, () => unknown, string][] = [
    ["Manager enableWakeup", () => new Manager(undefined, { enableWakeup: 1 as unknown as boolean }), "option enableWakeup must be true or false, got 1"],
    ["run pollMs", () => new Manager().run({ pollMs: "10" as unknown as number }), 'run: option pollMs must be a non-negative integer, got "10"'],
    ["run signal", () => new Manager().run({ signal: {} as AbortSignal }), "run: option signal must be an AbortSignal, got an object"],
    ["run options", () => new Manager().run(5 as unknown as object), "option run options must be an options object, got 5"],
    ["timerAdd repeat", () => m.timerAdd(10, () => {}, { repeat: "yes" as unknown as boolean }), 'timerAdd: option repeat must be true or false, got "yes"'],
    ["timerAdd runNow", () => m.timerAdd(10, () => {}, { runNow: 1 as unknown as boolean }), "timerAdd: option runNow must be true or false, got 1"],
    ["timerAdd options", () => m.timerAdd(10, () => {}, 5 as unknown as object), "option timerAdd options must be an options object, got 5"],
    ["httpRequest method", () => m.httpRequest("http://127.0.0.1:1/", { method: 5 as unknown as string }), "httpRequest: option method must be a string, got 5"],
    ["httpRequest headers", () => m.httpRequest("http://127.0.0.1:1/", { headers: 5 as unknown as string }), "httpRequest: option headers must be an object { name: value }"],
    ["httpRequest body", () => m.httpRequest("http://127.0.0.1:1/", { body: 5 as unknown as string }), "httpRequest: option body must be a string or a Uint8Array, got 5"],
    ["httpRequest timeoutMs", () => m.httpRequest("http://127.0.0.1:1/", { timeoutMs: -1 }), "httpRequest: option timeoutMs must be a positive integer, got -1"],
    ["httpRequest tls", () => m.httpRequest("https://127.0.0.1:1/", { tls: "yes" as unknown as object }), 'httpRequest: option tls must be an object, got "yes"'],
    ["httpRequest maxBodySize", () => m.httpRequest("http://127.0.0.1:1/", { maxBodySize: -1 }), "option maxBodySize must be a non-negative integer, got -1"],
    ["httpRequest options", () => m.httpRequest("http://127.0.0.1:1/", 5 as unknown as object), "option httpRequest options must be an options object, got 5"],
    ["nodeHandler onError", () => api.nodeHandler(() => {}, { onError: 5 as unknown as () => void }), "nodeHandler: option onError must be a function, got 5"],
    ["nodeHandler options", () => api.nodeHandler(() => {}, 5 as unknown as object), "option nodeHandler options must be an options object, got 5"],
    ["fetchHandler onError", () => api.fetchHandler(app, { onError: "x" as unknown as () => void }), 'fetchHandler: option onError must be a function, got "x"'],
    ["fetchHandler bufferLimit", () => api.fetchHandler(app, { bufferLimit: -1 }), "fetchHandler: option bufferLimit must be a non-negative integer, got -1"],
  ];

  it("each wrong option throws (or rejects, for promises) ERR_INVALID_OPTION naming it", async () => {
    for (const [what, call, fragment] of BAD) {
      let err: (Error & { code?: string }) | undefined;
      try { await call(); } catch (e) { err = e as Error & { code?: string }; }
      assert.ok(err !== undefined, `${what}: accepted`);
      assert.equal(err.code, "ERR_INVALID_OPTION", `${what}: ${err.message}`);
      assert.ok(err.message.includes(fragment), `${what}: ${JSON.stringify(err.message)} lacks ${JSON.stringify(fragment)}`);
    }
    assert.equal(m.connections.length, 0, "no connection is left behind");
    await m.close();
  });

  it("full, valid options objects are still accepted", async () => {
    const mm = new Manager(undefined, { errorHandler: () => {}, enableWakeup: true, pollIntervalMs: 500 });
    const t = mm.timerAdd(10, () => {}, { repeat: true, runNow: false });
    t.cancel();
    api.nodeHandler(() => {}, { onError: () => {} });
    api.fetchHandler(app, { onError: () => new Response("e"), bufferLimit: 0 });
    const l = mm.listen("http://127.0.0.1:0", (c, ev, data) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, data.bodyText); });
    const ac = new AbortController();
    const running = mm.run({ pollMs: 10, signal: ac.signal });
    try {
      const r = await mm.httpRequest(`http://127.0.0.1:${l.localAddr.port}/`, {
        method: "POST", headers: { "X-A": "1" }, body: "hello", timeoutMs: 5000, tls: {}, maxBodySize: 1024,
      });
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), "hello");
    } finally {
      ac.abort();
      await running;
    }
  });

  it("serveDir/serveFile options: a wrong one answers 500 and throws ERR_INVALID_OPTION naming it; valid ones serve", async () => {
    const cases: [Record<string, unknown> | number, string | undefined][] = [
      [{ extraHeaders: 5 }, "serveDir/serveFile: option extraHeaders must be an object { name: value }"],
      [{ page404: 5 }, "serveDir/serveFile: option page404 must be a string, got 5"],
      [{ dirListing: "no" }, 'serveDir/serveFile: option dirListing must be true or false, got "no"'],
      [5, "option serveDir/serveFile options must be an options object, got 5"],
      [{ extraHeaders: { "X-A": "1" }, mimeTypes: { md: "text/markdown" }, page404: "/nonexistent", dirListing: true }, undefined],
    ];
    let opts: unknown;
    const seen: { err?: Error & { code?: string } } = {};
    const srv = (await import("../helpers.js")).startServer((c, ev, data) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      try { c.serveFile(data, fileURLToPath(import.meta.url), opts as object); } catch (e) { seen.err = e as Error & { code?: string }; }
    });
    try {
      for (const [o, fragment] of cases) {
        opts = o;
        seen.err = undefined;
        const r = await fetch(`${srv.url}/`);
        await r.arrayBuffer();
        const what = JSON.stringify(o);
        if (fragment === undefined) {
          assert.equal(r.status, 200, what);
          assert.equal(r.headers.get("x-a"), "1", what);
          assert.equal(seen.err, undefined, what);
        } else {
          assert.equal(r.status, 500, what);
          const e = seen.err as (Error & { code?: string }) | undefined;
          assert.equal(e?.code, "ERR_INVALID_OPTION", `${what}: ${e?.message}`);
          assert.ok(e.message.includes(fragment), `${what}: ${JSON.stringify(e.message)} lacks ${JSON.stringify(fragment)}`);
        }
      }
    } finally { await srv.stop(); }
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
