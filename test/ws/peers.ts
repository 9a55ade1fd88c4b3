// WebSocket test helpers: a recording echo server, a raw WebSocket client over a plain
// TCP socket that sends hand-made frames (for RFC 6455 edge cases), and a frame builder.
import * as net from "node:net";
import { createHash, randomBytes } from "node:crypto";
import {
  MG_EV_CLOSE, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_WS_CTL, MG_EV_WS_MSG, MG_EV_WS_OPEN,
  type ConnectionOptions, type EventHandler,
} from "../../src/index.js";
import { startServer, type TestServer } from "../helpers.js";

export interface Recorded { ev: string; op?: number; flags?: number; data?: Buffer; text?: string; conn: number }

/** A server that upgrades every request, echoes messages, and records what happened. */
export function echoServer(opts: ConnectionOptions = {}, extra?: (h: Parameters<EventHandler>) => void): TestServer & { events: Recorded[] } {
  const events: Recorded[] = [];
  const handler: EventHandler = (...args) => {
    const [c, ev, data] = args;
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
    else if (ev === MG_EV_WS_OPEN) events.push({ ev: "open", conn: c.id, text: data.uri });
    else if (ev === MG_EV_WS_MSG) {
      events.push({ ev: "msg", op: data.op, flags: data.flags, data: Buffer.from(data.data), conn: c.id });
      c.wsSend(data.data, data.op);
    } else if (ev === MG_EV_WS_CTL) events.push({ ev: "ctl", op: data.op, flags: data.flags, data: Buffer.from(data.data), conn: c.id });
    else if (ev === MG_EV_ERROR) events.push({ ev: "error", text: data, conn: c.id });
    else if (ev === MG_EV_CLOSE) events.push({ ev: "close", conn: c.id });
    extra?.(args);
  };
  const s = startServer(handler, opts);
  return Object.assign(s, { events });
}

export interface FrameSpec {
  op: number;
  payload?: Buffer | string;
  fin?: boolean;
  /** RSV bits as 0x40 / 0x20 / 0x10. */
  rsv?: number;
  mask?: boolean;
  /** Write a 64-bit length field with this high 32-bit word (to test the top bit). */
  len64High?: number;
}

/** Builds one frame by hand. Client frames are masked unless `mask: false`. */
export function frame(f: FrameSpec): Buffer {
  const payload = typeof f.payload === "string" ? Buffer.from(f.payload) : f.payload ?? Buffer.alloc(0);
  const mask = f.mask ?? true;
  const len = payload.length;
  const b0 = ((f.fin ?? true) ? 0x80 : 0) | (f.rsv ?? 0) | f.op;
  let head: Buffer;
  if (f.len64High !== undefined) {
    head = Buffer.alloc(10);
    head[1] = 127;
    head.writeUInt32BE(f.len64High, 2);
    head.writeUInt32BE(len, 6);
  } else if (len < 126) {
    head = Buffer.alloc(2); head[1] = len;
  } else if (len < 65536) {
    head = Buffer.alloc(4); head[1] = 126; head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(10); head[1] = 127; head.writeUInt32BE(0, 2); head.writeUInt32BE(len, 6);
  }
  head[0] = b0;
  if (!mask) return Buffer.concat([head, payload]);
  head[1] = head[1]! | 0x80;
  const key = randomBytes(4);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i]! ^ key[i & 3]!;
  return Buffer.concat([head, key, body]);
}

/** A close frame payload: 2-byte code and reason. */
export function closeBody(code: number, reason = ""): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2);
  return b;
}

export interface Frame { fin: boolean; rsv: number; op: number; masked: boolean; payload: Buffer }

/** Parses one frame from the front of `buf`: [frame, bytes used], or undefined when incomplete. */
export function parseFrame(buf: Buffer): [Frame, number] | undefined {
  if (buf.length < 2) return undefined;
  let len = buf[1]! & 0x7f, at = 2;
  if (len === 126) { if (buf.length < 4) return undefined; len = buf.readUInt16BE(2); at = 4; }
  else if (len === 127) { if (buf.length < 10) return undefined; len = buf.readUInt32BE(2) * 2 ** 32 + buf.readUInt32BE(6); at = 10; }
  const masked = (buf[1]! & 0x80) !== 0;
  const key = masked ? buf.subarray(at, at + 4) : undefined;
  if (masked) at += 4;
  if (buf.length < at + len) return undefined;
  const payload = Buffer.from(buf.subarray(at, at + len));
  if (key) for (let i = 0; i < len; i++) payload[i] = payload[i]! ^ key[i & 3]!;
  return [{ fin: (buf[0]! & 0x80) !== 0, rsv: buf[0]! & 0x70, op: buf[0]! & 0x0f, masked, payload }, at + len];
}

/** A WebSocket client on a raw socket: handshake done by hand, frames sent and read as bytes. */
export class RawWs {
  private buf = Buffer.alloc(0);
  closed = false;
  private waiters: (() => void)[] = [];
  /** The raw 101 response head. */
  response = "";

  private constructor(readonly sock: net.Socket) {
    sock.on("data", (d) => { this.buf = Buffer.concat([this.buf, d]); this.wake(); });
    sock.on("close", () => { this.closed = true; this.wake(); });
    sock.on("error", () => { /* seen as close */ });
  }

  private wake(): void { for (const w of this.waiters.splice(0)) w(); }

  private async until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`RawWs: timed out waiting for ${what}`);
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.waiters.push(() => { clearTimeout(t); r(); }); });
    }
  }

  /** Connects and upgrades (`headers` replaces the default request headers when given). */
  static async connect(port: number, opts: { path?: string; headers?: string; extensions?: string } = {}): Promise<RawWs> {
    const sock = net.connect(port, "127.0.0.1");
    const ws = new RawWs(sock);
    await new Promise<void>((resolve, reject) => { sock.once("connect", resolve); sock.once("error", reject); });
    const key = randomBytes(16).toString("base64");
    const headers = opts.headers ?? `Host: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
      (opts.extensions ? `Sec-WebSocket-Extensions: ${opts.extensions}\r\n` : "");
    sock.write(`GET ${opts.path ?? "/"} HTTP/1.1\r\n${headers}\r\n`);
    await ws.until(() => ws.buf.includes("\r\n\r\n") || ws.closed, 5000, "the handshake response");
    const end = ws.buf.indexOf("\r\n\r\n");
    if (end < 0) throw new Error("RawWs: connection closed during the handshake");
    ws.response = ws.buf.subarray(0, end).toString("latin1");
    ws.buf = ws.buf.subarray(end + 4);
    if (opts.headers === undefined) {
      const accept = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
      if (!ws.response.startsWith("HTTP/1.1 101") || !ws.response.includes(`Sec-WebSocket-Accept: ${accept}`)) {
        throw new Error(`RawWs: bad handshake response:\n${ws.response}`);
      }
    }
    return ws;
  }

  send(...parts: Buffer[]): void { for (const p of parts) this.sock.write(p); }

  /** The next frame from the server, or undefined when the connection closed first. */
  async readFrame(timeoutMs = 5000): Promise<Frame | undefined> {
    let r: [Frame, number] | undefined;
    await this.until(() => (r = parseFrame(this.buf)) !== undefined || this.closed, timeoutMs, "a frame");
    if (r === undefined) r = parseFrame(this.buf);
    if (r === undefined) return undefined;
    this.buf = this.buf.subarray(r[1]);
    return r[0];
  }

  /** Reads frames until a close frame; returns its code (1005 when empty) and reason, and the frames before it. */
  async readClose(timeoutMs = 5000): Promise<{ code: number; reason: string; before: Frame[] }> {
    const before: Frame[] = [];
    for (;;) {
      const f = await this.readFrame(timeoutMs);
      if (f === undefined) throw new Error(`RawWs: closed without a close frame (after ${before.length} frames)`);
      if (f.op === 8) {
        return { code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005, reason: f.payload.subarray(2).toString(), before };
      }
      before.push(f);
    }
  }

  /** Resolves once the server closed the TCP connection. */
  async waitClosed(timeoutMs = 5000): Promise<void> { await this.until(() => this.closed, timeoutMs, "the connection to close"); }

  destroy(): void { this.sock.destroy(); }
}

/** Our client, recording its events; `next(kind)` waits for the next event of a kind. */
export class RecordingClient {
  readonly events: Recorded[] = [];
  conn: import("../../src/index.js").Connection;
  private seen = new Map<string, number>();

  constructor(manager: import("../../src/index.js").Manager, url: string, opts: import("../../src/index.js").WsConnectOptions = {}, onEvent?: EventHandler) {
    this.conn = manager.wsConnect(url, (...args) => {
      const [c, ev, data] = args;
      if (ev === MG_EV_WS_OPEN) this.events.push({ ev: "open", conn: c.id, text: data.header("Sec-WebSocket-Extensions") ?? "" });
      else if (ev === MG_EV_WS_MSG) this.events.push({ ev: "msg", op: data.op, flags: data.flags, data: Buffer.from(data.data), conn: c.id });
      else if (ev === MG_EV_WS_CTL) this.events.push({ ev: "ctl", op: data.op, flags: data.flags, data: Buffer.from(data.data), conn: c.id });
      else if (ev === MG_EV_ERROR) this.events.push({ ev: "error", text: data, conn: c.id });
      else if (ev === MG_EV_CLOSE) this.events.push({ ev: "close", conn: c.id });
      onEvent?.(...args);
    }, opts);
  }

  /** Waits for the next not-yet-returned event of `kind` ("open", "msg", "ctl", "error", "close"). */
  async next(kind: string, timeoutMs = 5000): Promise<Recorded> {
    const deadline = Date.now() + timeoutMs;
    const from = this.seen.get(kind) ?? 0;
    for (;;) {
      const list = this.events.filter((e) => e.ev === kind);
      if (list.length > from) { this.seen.set(kind, from + 1); return list[from]!; }
      if (Date.now() > deadline) throw new Error(`timed out waiting for client event "${kind}"; events: ${JSON.stringify(this.events.map((e) => [e.ev, e.text ?? e.op]))}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  has(kind: string): boolean { return this.events.some((e) => e.ev === kind); }
}
