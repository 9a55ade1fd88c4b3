// The DNS codec (src/dns/codec.ts): queries as RFC 1035 section 4.1 lays them out, and a
// table of responses (bytes, verdict, fields) including compression pointers, loops,
// truncation and bad RDATA. Every row is also cut at every byte: a datagram that lost
// its tail must be refused (or, with TC set, give only the whole records), never read
// as a different answer.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  buildQuery, checkQueryName, findAddress, parseResponse, readName, sameName,
  DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_CNAME, type DnsResponse,
} from "../../src/dns/codec.js";
import { header, question, record, name, ip4, ip6, u16, QNAME_AT } from "./wire.js";
import { leakCheckAfterAll } from "../helpers.js";

test("a query: header with id and RD, one question, labels, type and class IN", () => {
  const q = buildQuery(0xbeef, "www.Example.com", DNS_TYPE_AAAA);
  assert.deepEqual([...q], [
    0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
    3, 0x77, 0x77, 0x77, 7, ...Buffer.from("Example"), 3, ...Buffer.from("com"), 0,
    0, 28, 0, 1,
  ]);
  // A trailing dot is the same absolute name.
  assert.deepEqual(buildQuery(1, "a.b.", DNS_TYPE_A), buildQuery(1, "a.b", DNS_TYPE_A));
});

test("query names: labels of 1-63 octets, 255 octets on the wire (RFC 1035 section 2.3.4)", () => {
  assert.equal(checkQueryName("a".repeat(63) + ".com"), undefined);
  assert.match(checkQueryName("a".repeat(64) + ".com")!, /63/);
  assert.match(checkQueryName("a..b")!, /empty label/);
  assert.match(checkQueryName("")!, /empty/);
  assert.match(checkQueryName(".")!, /empty/);
  assert.match(checkQueryName("bü.de")!, /non-ASCII/);
  assert.match(checkQueryName("a b")!, /control|non-ASCII/);
  // 4 labels of 63 + 3 length bytes... 63*3+61 = 250 characters + 4 length bytes + 1 zero = 255 exactly.
  const max = ["a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61)].join(".");
  assert.equal(checkQueryName(max), undefined);
  assert.equal(buildQuery(1, max, DNS_TYPE_A).length, 12 + 255 + 4);
  assert.match(checkQueryName(max + "d")!, /255/);
  assert.throws(() => buildQuery(1, max + "d", DNS_TYPE_A), /255/);
});

interface Row {
  what: string;
  bytes: Buffer;
  /** "ok", or a pattern of the error with the offset where it is refused. */
  verdict: "ok" | { error: RegExp; offset: number };
  check?: (r: DnsResponse) => void;
}

const Q = question(name("host.example"));
const QPTR = name("", QNAME_AT); // a pointer to the question's name
const rows: Row[] = [
  {
    what: "one A record, name compressed to the question",
    bytes: Buffer.concat([header({ an: 1 }), Q, record(QPTR, 1, ip4("192.0.2.7"), 300)]),
    verdict: "ok",
    check: (r) => {
      assert.equal(r.id, 0x1234);
      assert.equal(r.rcode, 0);
      assert.equal(r.truncated, false);
      assert.deepEqual(r.question, { name: "host.example", type: 1, cls: 1 });
      assert.deepEqual(r.answers, [{ name: "host.example", type: 1, cls: 1, ttl: 300, data: "192.0.2.7" }]);
    },
  },
  {
    what: "AAAA with zero groups compressed as RFC 5952 says",
    bytes: Buffer.concat([header({ an: 2 }), question(name("h.x"), 28),
      record(QPTR, 28, ip6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])), record(QPTR, 28, ip6([0, 0, 0, 0, 0, 0, 0, 1]))]),
    verdict: "ok",
    check: (r) => assert.deepEqual(r.answers.map((a) => a.data), ["2001:db8::1:0:0:1", "::1"]),
  },
  {
    what: "CNAME chain: alias -> mid -> real, each compressed; a suffix pointer inside a name",
    // The question "alias.example" at 12: "alias" 12..17, "example" at 18.
    bytes: Buffer.concat([header({ an: 3 }), question(name("alias.example")),
      record(QPTR, 5, name("mid", 18)), // mid.example
      record(name("mid", 18), 5, name("real", 18)), // real.example
      record(name("real", 18), 1, ip4("198.51.100.1"), 30)]),
    verdict: "ok",
    check: (r) => {
      assert.deepEqual(r.answers.map((a) => [a.name, a.type, a.data]), [
        ["alias.example", 5, "mid.example"], ["mid.example", 5, "real.example"], ["real.example", 1, "198.51.100.1"]]);
      assert.deepEqual(findAddress(r, "ALIAS.example", DNS_TYPE_A), { address: "198.51.100.1", family: 4, ttl: 30 });
      assert.equal(findAddress(r, "alias.example", DNS_TYPE_AAAA), undefined);
    },
  },
  {
    what: "NXDOMAIN with no answers",
    bytes: Buffer.concat([header({ flags: 0x8183 }), Q]),
    verdict: "ok",
    check: (r) => { assert.equal(r.rcode, 3); assert.equal(r.answers.length, 0); },
  },
  {
    what: "records of other types are kept with empty data; authority records are not read",
    bytes: Buffer.concat([header({ an: 1, ns: 5 }), Q, record(QPTR, 16, Buffer.from("\x05hello", "latin1"))]),
    verdict: "ok",
    check: (r) => assert.deepEqual(r.answers, [{ name: "host.example", type: 16, cls: 1, ttl: 300, data: "" }]),
  },
  {
    what: "a TTL with the top bit set counts as 0 (RFC 2181 section 8)",
    bytes: Buffer.concat([header({ an: 1 }), Q, record(QPTR, 1, ip4("192.0.2.1"), 0x80000000)]),
    verdict: "ok",
    check: (r) => assert.equal(r.answers[0]!.ttl, 0),
  },
  {
    what: "a label with a dot inside is escaped and never equals two labels",
    bytes: Buffer.concat([header({ an: 0 }), question(Buffer.from("\x03a.b\x00", "latin1"))]),
    verdict: "ok",
    check: (r) => { assert.equal(r.question!.name, "a\\046b"); assert.equal(sameName(r.question!.name, "a.b"), false); },
  },
  {
    what: "truncated (TC) response cut inside its second record: the whole first record is kept",
    bytes: Buffer.concat([header({ flags: 0x8380, an: 2 }), Q, record(QPTR, 1, ip4("192.0.2.1")), record(QPTR, 1, ip4("192.0.2.2")).subarray(0, 7)]),
    verdict: "ok",
    check: (r) => { assert.equal(r.truncated, true); assert.deepEqual(r.answers.map((a) => a.data), ["192.0.2.1"]); },
  },
  { what: "shorter than a header", bytes: Buffer.from([0x12, 0x34, 0x81]), verdict: { error: /12-byte header/, offset: 3 } },
  { what: "a query, not a response (QR 0)", bytes: Buffer.concat([header({ flags: 0x0100 }), Q]), verdict: { error: /QR is 0/, offset: 2 } },
  { what: "opcode STATUS", bytes: Buffer.concat([header({ flags: 0x9180 }), Q]), verdict: { error: /opcode/, offset: 2 } },
  { what: "two questions", bytes: Buffer.concat([header({ qd: 2 }), Q, Q]), verdict: { error: /more than one question/, offset: 4 } },
  {
    what: "pointer to itself (a loop)",
    bytes: Buffer.concat([header(), name("", QNAME_AT), u16(1), u16(1)]),
    verdict: { error: /backwards/, offset: 12 },
  },
  {
    what: "pointer into its own labels (a loop through a label)",
    bytes: Buffer.concat([header(), name("ab", QNAME_AT), u16(1), u16(1)]),
    verdict: { error: /backwards/, offset: 15 },
  },
  {
    what: "two names pointing at each other",
    // The answer's name at 30 points forwards to 32, which would point back to 30.
    bytes: Buffer.concat([header({ an: 1 }), Q, Buffer.from([0xc0, 32, 0xc0, 30]), u16(1), u16(1), u16(0), u16(60), u16(4), ip4("1.2.3.4")]),
    verdict: { error: /backwards/, offset: 30 },
  },
  {
    what: "pointer into the header (allowed: backwards; it reads what is there and ends at a zero)",
    bytes: Buffer.concat([header({ id: 0x0000, ns: 0 }), Buffer.from([0xc0, 8]), u16(1), u16(1)]),
    verdict: "ok",
    check: (r) => assert.equal(r.question!.name, "."),
  },
  { what: "reserved label type 01", bytes: Buffer.concat([header(), Buffer.from([0x41, 0]), u16(1), u16(1)]), verdict: { error: /reserved label/, offset: 12 } },
  { what: "reserved label type 10", bytes: Buffer.concat([header(), Buffer.from([0x81, 0]), u16(1), u16(1)]), verdict: { error: /reserved label/, offset: 12 } },
  {
    what: "CNAME RDATA longer than its name",
    bytes: Buffer.concat([header({ an: 1 }), Q, record(QPTR, 5, Buffer.concat([name("a", 17), Buffer.from([0])]))]),
    verdict: { error: /CNAME RDATA length/, offset: 46 },
  },
  {
    what: "A record of 5 bytes",
    bytes: Buffer.concat([header({ an: 1 }), Q, record(QPTR, 1, Buffer.from([1, 2, 3, 4, 5]))]),
    verdict: { error: /not 4 bytes/, offset: 40 },
  },
  {
    what: "AAAA record of 4 bytes",
    bytes: Buffer.concat([header({ an: 1 }), Q, record(QPTR, 28, ip4("1.2.3.4"))]),
    verdict: { error: /not 16 bytes/, offset: 40 },
  },
  {
    what: "RDLENGTH past the end",
    bytes: Buffer.concat([header({ an: 1 }), Q, record(QPTR, 1, ip4("1.2.3.4"), 60, 1, 9)]),
    verdict: { error: /RDATA runs past/, offset: 46 },
  },
  {
    what: "answer count larger than the records sent (no TC)",
    bytes: Buffer.concat([header({ an: 2 }), Q, record(QPTR, 1, ip4("1.2.3.4"))]),
    verdict: { error: /runs past the end/, offset: 46 },
  },
];

// The longest-name row as intended: a question whose name exceeds 255 octets by pointer.
{
  const l = "x".repeat(63) + "." + "y".repeat(63);
  const first = name(l); // 12..140
  const m = Buffer.concat([header({ qd: 1, an: 1 }), first, u16(1), u16(1), record(name(l, 12), 1, ip4("1.2.3.4"))]);
    // The answer's name: 128 octets of labels, then a pointer to the question's 129: the
  // second label reached through the pointer (at 12 + 64) makes it 256.
  rows.push({ what: "an answer name over 255 octets through a pointer", bytes: m, verdict: { error: /255 octets/, offset: 76 } });
}

function verdictOf(bytes: Buffer): { ok: true; r: DnsResponse } | { ok: false; error: string; offset: number } {
  const r = parseResponse(bytes);
  return "error" in r ? { ok: false, error: r.error, offset: r.offset } : { ok: true, r };
}

for (const row of rows) {
  test(`response: ${row.what}`, () => {
    const v = verdictOf(row.bytes);
    if (row.verdict === "ok") {
      assert.ok(v.ok, v.ok ? "" : `refused: ${v.error} at ${v.offset}`);
      row.check?.(v.r);
    } else {
      assert.ok(!v.ok, "accepted");
      assert.match(v.error, row.verdict.error);
      assert.equal(v.offset, row.verdict.offset, v.error);
    }
    // Cut at every byte: a prefix is refused at a byte inside it (at most its length),
    // unless TC is set and the prefix still has a whole header and question.
    for (let n = 0; n < row.bytes.length; n++) {
      const p = verdictOf(row.bytes.subarray(0, n));
      if (p.ok) {
        const r = p.r;
        const full = v.ok ? v.r : undefined;
        // A prefix may parse only when nothing after it was needed: a message whose
        // counts were all satisfied earlier (trailing bytes are ignored), or TC.
        assert.ok(r.truncated || (full !== undefined && r.answers.length === full.answers.length),
          `${row.what}: prefix of ${n} bytes accepted`);
        if (full !== undefined) assert.deepEqual(r.answers, full.answers.slice(0, r.answers.length));
      } else {
        assert.ok(p.offset <= n, `${row.what}: prefix of ${n} refused at ${p.offset}, past its end`);
      }
    }
  });
}

test("readName: a long chain of backward pointers ends; each pointer must go further back", () => {
  // 200 pointers, each to the one before, ending at a root at offset 0.
  const buf = Buffer.alloc(2 + 200 * 2);
  buf[0] = 0; // root name at 0
  buf[1] = 0;
  for (let i = 1; i <= 200; i++) { buf[2 * i] = 0xc0; buf[2 * i + 1] = 2 * (i - 1); }
  const r = readName(buf, 400);
  assert.ok(!("error" in r));
  assert.equal(r.name, ".");
  assert.equal(r.next, 402);
  // a -> b -> a: the pointer at 2 goes back to 0, the one at 0 would go forward again.
  const loop = Buffer.from([0xc0, 2, 0xc0, 0]);
  const l = readName(loop, 2);
  assert.ok("error" in l);
  assert.equal(l.offset, 0);
});

test("findAddress: the question's name, case-insensitive; a CNAME loop gives nothing", () => {
  const r: DnsResponse = {
    id: 1, flags: 0x8180, rcode: 0, truncated: false, question: { name: "a.x", type: 1, cls: 1 },
    answers: [
      { name: "a.x", type: DNS_TYPE_CNAME, cls: 1, ttl: 10, data: "b.x" },
      { name: "b.x", type: DNS_TYPE_CNAME, cls: 1, ttl: 10, data: "a.x" },
      { name: "other.x", type: DNS_TYPE_A, cls: 1, ttl: 10, data: "192.0.2.9" },
    ],
  };
  assert.equal(findAddress(r, "a.x", DNS_TYPE_A), undefined);
  // An address for another name is not an answer (a poisoning attempt).
  assert.equal(findAddress(r, "b.x", DNS_TYPE_A), undefined);
  r.answers.push({ name: "B.X.", type: DNS_TYPE_A, cls: 1, ttl: 5, data: "192.0.2.10" });
  assert.deepEqual(findAddress(r, "a.x", DNS_TYPE_A), { address: "192.0.2.10", family: 4, ttl: 5 });
});

leakCheckAfterAll();
