// A scripted SNTP server for the reject cases: a Node UDP socket on 127.0.0.1 that
// answers each request with whatever the test builds from it.
import * as dgram from "node:dgram";
import { writeTimestamp } from "../../src/sntp/packet.js";

export interface FakeReply {
  size?: number;
  leap?: number;
  version?: number;
  mode?: number;
  stratum?: number;
  refId?: string;
  /** Originate timestamp: the request's transmit timestamp unless given. */
  originate?: Buffer;
  receiveMs?: number;
  /** Epoch ms, or "zero" for an all-zero transmit timestamp. */
  transmitMs?: number | "zero";
}

/** Builds a reply to `req` (a valid one unless `r` says otherwise). */
export function buildReply(req: Buffer, r: FakeReply = {}): Buffer {
  const buf = Buffer.alloc(r.size ?? 48);
  const head = Buffer.alloc(48);
  head[0] = ((r.leap ?? 0) << 6) | ((r.version ?? 4) << 3) | (r.mode ?? 4);
  head[1] = r.stratum ?? 2;
  head[2] = 6;
  head[3] = 0xec;
  Buffer.from((r.refId ?? "LOCL").padEnd(4, "\0")).copy(head, 12);
  (r.originate ?? req.subarray(40, 48)).copy(head, 24);
  const now = Date.now();
  writeTimestamp(head, 32, r.receiveMs ?? now);
  if (r.transmitMs !== "zero") writeTimestamp(head, 40, r.transmitMs ?? now);
  head.copy(buf, 0, 0, Math.min(48, buf.length));
  return buf;
}

export interface FakeServer {
  port: number;
  requests: Buffer[];
  close(): Promise<void>;
}

/** Answers the n-th request (0-based) with the datagrams `answer(req, n)` returns (none: silence). */
export function fakeServer(answer: (req: Buffer, n: number) => Buffer[]): Promise<FakeServer> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket("udp4");
    const requests: Buffer[] = [];
    sock.on("message", (msg, rinfo) => {
      const n = requests.length;
      requests.push(msg);
      for (const d of answer(msg, n)) sock.send(d, rinfo.port, rinfo.address);
    });
    sock.bind(0, "127.0.0.1", () => {
      resolve({
        port: sock.address().port,
        requests,
        close: () => new Promise<void>((r) => sock.close(() => r())),
      });
    });
  });
}
