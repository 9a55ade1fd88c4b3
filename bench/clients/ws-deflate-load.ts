// WebSocket echo load with permessage-deflate (RFC 7692), run in its own process, the same
// client for both servers. `conns` raw-socket clients each keep one message in flight.
// The offer asks for no context takeover in both directions, so every message is
// compressed on its own, as distinct messages of real traffic would be (with context
// takeover, echoing one message again and again would compress to a back-reference to the
// previous one, which no real traffic does): the client compresses its message once and
// sends that frame every time; the server inflates each message and deflates each echo.
// Every echo is checked: a frame whose payload equals one already verified passes at the
// cost of a compare; anything else is inflated and must equal the message sent (a server
// may send a message uncompressed, too). Prints RESULT {json} (see load-report.ts).
import * as net from "node:net";
import { constants, deflateRawSync, inflateRawSync } from "node:zlib";
import { maskedTextFrames } from "./ws-frame-check.js";
import { checkUpgradeResponse, MAX_UPGRADE_HEAD, newKey, upgradeRequest } from "./ws-upgrade.js";
import { problem, finish, measure, clientNote } from "./load-report.js";
import { realisticText } from "./ws-load-types.js";

interface Config { url: string; conns: number; seconds: number; payload: number }

const cfg = JSON.parse(process.argv[2] ?? "{}") as Config;
const CONNECT_TIMEOUT_MS = 30_000;
const OFFER = "permessage-deflate; client_no_context_takeover; server_no_context_takeover";
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const payload = Buffer.from(realisticText(cfg.payload));
// Section 7.2.1: compress, flush, and drop the final 00 00 ff ff.
const compressed = deflateRawSync(payload, { finishFlush: constants.Z_SYNC_FLUSH });
const wire = compressed.subarray(0, compressed.length - (compressed.subarray(-4).equals(TAIL) ? 4 : 0));
const frame = maskedTextFrames(wire, 1, 0xc1); // FIN, RSV1 (compressed), text
let running = false;
let count = 0;
let inflated = 0;

class Client {
  socket!: net.Socket;
  private key = newKey();
  private open = false;
  private head: Buffer | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private known: Buffer | undefined;
  failed = false;

  connect(url: URL): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket = net.connect({ host: url.hostname, port: Number(url.port), noDelay: true });
      this.socket.write(upgradeRequest(url, this.key, OFFER));
      this.socket.on("data", (d: Buffer) => {
        if (this.open) { this.frames(d); return; }
        this.head = this.head === undefined ? d : Buffer.concat([this.head, d]);
        const end = this.head.indexOf("\r\n\r\n");
        if (end < 0) { if (this.head.length > MAX_UPGRADE_HEAD) reject(new Error("response head too long")); return; }
        const err = checkUpgradeResponse(this.head.toString("latin1", 0, end), this.key, true);
        if (err !== undefined) { reject(new Error(err)); this.socket.destroy(); return; }
        this.open = true;
        const rest = this.head.subarray(end + 4);
        this.head = undefined;
        resolve();
        if (rest.length > 0) this.frames(rest);
      });
      this.socket.on("error", (e) => { if (!this.open) reject(e); else if (!this.failed) problem(`socket error: ${e.message}`); });
      this.socket.once("close", () => { if (!this.open) reject(new Error("closed during the upgrade")); else if (running && !this.failed) problem("connection closed by the server"); });
    });
  }

  send(): void { this.socket.write(frame); }

  private fail(why: string): void { this.failed = true; problem(why); this.socket.destroy(); }

  /** Whole server frames out of what came; one frame in flight, so rarely more than one. */
  private frames(d: Buffer): void {
    if (this.failed) return;
    this.pending = this.pending.length === 0 ? d : Buffer.concat([this.pending, d]);
    for (;;) {
      const b = this.pending;
      if (b.length < 2) return;
      const b0 = b[0]!, b1 = b[1]!;
      if (b0 !== 0xc1 && b0 !== 0x81) { this.fail(`unexpected frame: first byte 0x${b0.toString(16)} (expected a final text frame)`); return; }
      if ((b1 & 0x80) !== 0) { this.fail("masked frame from the server"); return; }
      let len = b1 & 0x7f, at = 2;
      if (len === 126) { if (b.length < 4) return; len = b.readUInt16BE(2); at = 4; }
      else if (len === 127) { if (b.length < 10) return; len = Number(b.readBigUInt64BE(2)); at = 10; }
      if (b.length < at + len) return;
      const body = b.subarray(at, at + len);
      this.pending = b.subarray(at + len);
      if (this.pending.length > 0) { this.fail("an echo arrived with no message in flight"); return; }
      if (b0 === 0x81 ? !body.equals(payload) : !(this.known?.equals(body) ?? false) && !this.verify(body)) return;
      count++;
      if (running) this.send();
      return;
    }
  }

  /** Inflates a compressed echo; true when it is the message sent (then remembered). */
  private verify(body: Buffer): boolean {
    let plain: Buffer;
    try { plain = inflateRawSync(Buffer.concat([body, TAIL]), { finishFlush: constants.Z_SYNC_FLUSH }); } catch (e) { this.fail(`echo does not inflate: ${(e as Error).message}`); return false; }
    inflated++;
    if (!plain.equals(payload)) { this.fail(`echo inflates to ${plain.length} bytes that differ from the ${payload.length} sent`); return false; }
    this.known = Buffer.from(body);
    return true;
  }
}

try {
  const url = new URL(cfg.url);
  const clients = Array.from({ length: cfg.conns }, () => new Client());
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(clients.map((c) => c.connect(url))),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`not all ${cfg.conns} connections opened in time`)), CONNECT_TIMEOUT_MS); }),
  ]).finally(() => clearTimeout(timer));
  running = true;
  for (const c of clients) c.send();
  const c0 = count;
  const { s, cpuPct } = await measure(cfg.seconds);
  const n = count - c0;
  running = false;
  if (n === 0) problem("no echo came back");
  finish({
    value: n / s, count: n, seconds: s, clientCpuPct: cpuPct,
    detail: `${cfg.conns} clients, ${cfg.payload} B text (${wire.length} B compressed), permessage-deflate without context takeover, ${inflated} echoes inflated to check, ${clientNote(cpuPct)}`,
  });
} catch (e) {
  problem((e as Error).message);
  finish({ value: 0, count: 0, seconds: 0, detail: "" });
}
