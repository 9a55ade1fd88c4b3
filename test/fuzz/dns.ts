// Fuzz target for the DNS codec (src/dns/codec.ts): random responses built by the
// tests' own writer (test/dns/wire.ts), with random labels, compression pointers to
// earlier names, A/AAAA/CNAME/other records, then mutated. Properties: parseResponse
// never throws and always ends (pointer loops cannot hang it); a refusal names an
// offset inside the input; an unmutated message reads back as written; every name read
// fits in 255 octets; a prefix of a message without TC is never accepted with fewer
// answers than it claims.
import { parseResponse, type DnsRecord } from "../../src/dns/codec.js";
import { header, name, question, record, ip4, ip6 } from "../dns/wire.js";
import { failure, mutate, Rng } from "./mutate.js";

interface Built { bytes: Buffer; answers: DnsRecord[]; qname: string }

// Labels of up to 40 octets: four of them plus a prefix label stay within 255 octets.
function label(r: Rng): string {
  const n = 1 + r.int(r.chance(0.1) ? 40 : 8);
  let s = "";
  for (let i = 0; i < n; i++) s += "abcdefghijklmnopqrstuvwxyz0123456789-"[r.int(37)];
  return s;
}

/** A random valid response: names either written out or ending in a pointer to the question's suffixes. */
function build(r: Rng): Built {
  const labels: string[] = [];
  const nl = 1 + r.int(4);
  for (let i = 0; i < nl; i++) labels.push(label(r));
  const qname = labels.join(".");
  // Offsets of each suffix of the question name (pointer targets).
  const suffixAt: { at: number; name: string }[] = [];
  let at = 12;
  for (let i = 0; i < labels.length; i++) { suffixAt.push({ at, name: labels.slice(i).join(".") }); at += labels[i]!.length + 1; }
  const type = r.chance(0.5) ? 1 : 28;
  const parts = [question(name(qname), type)];
  const answers: DnsRecord[] = [];
  const nameOf = (): [Buffer, string] => {
    const s = suffixAt[r.int(suffixAt.length)]!;
    if (r.chance(0.3)) { const l = label(r); return [name(l, s.at), `${l}.${s.name}`]; }
    if (r.chance(0.5)) return [name("", s.at), s.name];
    const l = label(r);
    return [name(l), l];
  };
  const na = r.int(5);
  for (let i = 0; i < na; i++) {
    const [nb, nn] = nameOf();
    const ttl = r.int(0x7fffffff);
    const k = r.int(4);
    if (k === 0) {
      const a = [r.int(256), r.int(256), r.int(256), r.int(256)];
      parts.push(record(nb, 1, ip4(a.join(".")), ttl));
      answers.push({ name: nn, type: 1, cls: 1, ttl, data: a.join(".") });
    } else if (k === 1) {
      const g = [0x2001, 0xdb8, r.int(2), 0, 0, r.int(0x10000), 0, 1];
      parts.push(record(nb, 28, ip6(g), ttl));
      answers.push({ name: nn, type: 28, cls: 1, ttl, data: "" }); // text form checked by the codec tests
    } else if (k === 2) {
      const [cb, cn] = nameOf();
      parts.push(record(nb, 5, cb, ttl));
      answers.push({ name: nn, type: 5, cls: 1, ttl, data: cn });
    } else {
      const rd = Buffer.alloc(r.int(20), 7);
      parts.push(record(nb, 16, rd, ttl));
      answers.push({ name: nn, type: 16, cls: 1, ttl, data: "" });
    }
  }
  const flags = 0x8180 | (r.chance(0.1) ? 3 : 0);
  return { bytes: Buffer.concat([header({ id: r.int(0x10000), flags, an: na }), ...parts]), answers, qname };
}

export function fuzzDns(iterations: number, seed: number): void {
  const r = new Rng(seed);
  for (let i = 0; i < iterations; i++) {
    const b = build(r);
    const mutated = r.chance(0.7);
    let input = mutated ? mutate(r, b.bytes, 4) : b.bytes;
    if (!mutated && r.chance(0.3)) input = input.subarray(0, r.int(input.length)); // a cut datagram
    let got;
    try {
      got = parseResponse(input);
    } catch (e) {
      throw failure("dns", i, `parseResponse threw ${e instanceof Error ? e.message : String(e)}`, input, e);
    }
    if ("error" in got) {
      if (!(got.offset >= 0 && got.offset <= input.length)) throw failure("dns", i, `refused at ${got.offset}, outside the input`, input);
      if (input === b.bytes) throw failure("dns", i, `a valid message refused: ${got.error} at ${got.offset}`, input);
      continue;
    }
    for (const a of got.answers) {
      if (wireLength(a.name) > 255) throw failure("dns", i, `name over 255 octets accepted: ${a.name}`, input);
    }
    if (input === b.bytes) {
      if (got.question?.name !== b.qname) throw failure("dns", i, `question ${got.question?.name}, wrote ${b.qname}`, input);
      if (got.answers.length !== b.answers.length) throw failure("dns", i, `${got.answers.length} answers, wrote ${b.answers.length}`, input);
      got.answers.forEach((a, k) => {
        const w = b.answers[k]!;
        if (a.name !== w.name || a.type !== w.type || a.ttl !== w.ttl || (w.type !== 28 && a.data !== w.data)) {
          throw failure("dns", i, `answer ${k} read as ${JSON.stringify(a)}, wrote ${JSON.stringify(w)}`, input);
        }
      });
    } else if (!mutated && !got.truncated && got.answers.length < b.answers.length) {
      throw failure("dns", i, `a cut message accepted with ${got.answers.length} of ${b.answers.length} answers`, input);
    }
  }
}

/** Octets of a dotted name on the wire (escaped bytes count one). */
function wireLength(n: string): number {
  if (n === ".") return 1;
  const unescaped = n.replace(/\\\d{3}/g, "x");
  return unescaped.length + 2;
}


