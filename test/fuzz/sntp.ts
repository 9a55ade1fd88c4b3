// Fuzz target for the SNTP packet code (src/sntp/packet.ts): random replies, valid and
// mutated, checked by parseReply() against the rules of RFC 4330 section 5 written out
// again here; it must never throw, and its verdict (accepted with which times, or which
// reason) must agree. Timestamps must survive write/read anywhere in 1968-2104 (section 3).
import { buildRequest, parseReply, readTimestamp, requestTransmit, writeTimestamp, SNTP_PACKET_SIZE } from "../../src/sntp/packet.js";
import { failure, mutate, Rng } from "./mutate.js";

// 1968-01-20T03:14:08Z (NTP seconds 2^31, era 0) up to 2104-02-26T09:42:24Z (2^31 in era 1).
const FIRST_MS = Date.parse("1968-01-20T03:14:08Z");
const END_MS = Date.parse("2104-02-26T09:42:24Z");
const NTP_UNIX_DELTA = 2_208_988_800;

/** RFC 4330 section 3, independently: the top bit of the seconds picks the era. */
function expectedMs(b: Buffer, off: number): number {
  const sec = b.readUInt32BE(off), frac = b.readUInt32BE(off + 4);
  const era = sec >= 0x8000_0000 ? 0 : 0x1_0000_0000;
  return (sec + era - NTP_UNIX_DELTA) * 1000 + (frac / 0x1_0000_0000) * 1000;
}

/** What RFC 4330 section 5 says of `b` as a reply to a request with transmit `orig`, in parseReply's order. */
function expectedVerdict(b: Buffer, orig: Uint8Array): string {
  if (b.length !== SNTP_PACKET_SIZE) return "size";
  const leap = b[0]! >> 6, version = (b[0]! >> 3) & 7, mode = b[0]! & 7, stratum = b[1]!;
  if (mode !== 4) return "mode";
  if (version !== 3 && version !== 4) return "version";
  if (!b.subarray(24, 32).equals(orig)) return "originate";
  if (stratum === 0) return "kiss";
  if (leap === 3 || stratum >= 16) return "unsynchronized";
  if (b.subarray(40, 48).every((x) => x === 0)) return "zero transmit";
  return "ok";
}

/** parseReply's reason, mapped to the same words. */
function category(reason: string): string {
  if (/^bad packet size \d+/.test(reason)) return "size";
  if (/^not a server reply \(mode \d\)/.test(reason)) return "mode";
  if (/^unsupported version \d/.test(reason)) return "version";
  if (/^originate timestamp does not match/.test(reason)) return "originate";
  if (/^kiss-o'-death /.test(reason)) return "kiss";
  if (/^server clock not synchronized/.test(reason)) return "unsynchronized";
  if (/^zero transmit timestamp/.test(reason)) return "zero transmit";
  return `unknown reason ${JSON.stringify(reason)}`;
}

function randomReply(r: Rng, transmit: Uint8Array): Buffer {
  const b = Buffer.alloc(SNTP_PACKET_SIZE);
  b[0] = (r.int(3) << 6) | (r.pick([3, 4]) << 3) | 4;
  b[1] = r.range(1, 15);
  b[2] = r.int(18);
  b[3] = r.u32() & 0xff;
  r.bytes(12).copy(b, 4); // root delay, root dispersion, reference id
  writeTimestamp(b, 16, r.range(FIRST_MS, END_MS - 1));
  b.set(transmit, 24);
  writeTimestamp(b, 32, r.range(FIRST_MS, END_MS - 1));
  writeTimestamp(b, 40, r.range(FIRST_MS, END_MS - 1));
  if (b.subarray(40, 48).every((x) => x === 0)) b[47] = 1;
  return b;
}

export function fuzz(iterations: number, seed: number): void {
  const r = new Rng(seed);
  const ts = Buffer.alloc(8);
  for (let i = 0; i < iterations; i++) {
    // Timestamps: any instant of the two eras, to the millisecond and below.
    const ms = r.range(FIRST_MS, END_MS - 1) + r.float();
    writeTimestamp(ts, 0, ms);
    const back = readTimestamp(ts, 0);
    // 0.01 ms: far below NTP's use, and above the rounding of a double near 4e12 ms.
    if (!(Math.abs(back - ms) < 0.01)) throw failure("sntp", i, `timestamp ${ms} reads back as ${back}`, ts);

    const now = r.range(FIRST_MS, END_MS - 1), rand16 = r.int(65536);
    const req = buildRequest(now, rand16);
    if (req.length !== 48 || req[0] !== 0x23 || req.readUInt16BE(46) !== rand16 || !(Math.abs(readTimestamp(req, 40) - now) < 1)) {
      throw failure("sntp", i, `bad request for ${now}/${rand16}`, req);
    }
    const orig = requestTransmit(req);
    const good = randomReply(r, orig);
    const input = r.chance(0.2) ? good : mutate(r, good, 3);
    let got;
    try {
      got = parseReply(input, orig);
    } catch (e) {
      throw failure("sntp", i, `parseReply threw ${e instanceof Error ? e.message : String(e)}`, input, e);
    }
    const want = expectedVerdict(input, orig);
    if ("reason" in got) {
      const cat = category(got.reason);
      if (cat !== want) throw failure("sntp", i, `rejected as "${got.reason}", RFC 4330 says ${want}`, input);
      if (cat === "kiss" && (got.kiss === undefined || !/^([\x20-\x7e]{1,4}|\(none\))$/.test(got.kiss) || got.reason !== `kiss-o'-death ${got.kiss}`)) {
        throw failure("sntp", i, `bad kiss code ${JSON.stringify(got.kiss)}`, input);
      }
      if (cat !== "kiss" && got.kiss !== undefined) throw failure("sntp", i, `kiss code on a ${cat} reject`, input);
    } else {
      if (want !== "ok") throw failure("sntp", i, `accepted, RFC 4330 says ${want}`, input);
      const fields = [got.leap, got.version, got.stratum, got.receiveMs, got.transmitMs];
      const wanted = [input[0]! >> 6, (input[0]! >> 3) & 7, input[1]!, expectedMs(input, 32), expectedMs(input, 40)];
      if (fields.some((f, k) => f !== wanted[k])) throw failure("sntp", i, `fields ${fields.join(",")}, expected ${wanted.join(",")}`, input);
    }
  }
}
