// Packet building and parsing: the NTP era rule of RFC 4330 section 3 and the reply checks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildRequest, ntpToEpochMs, parseReply, readTimestamp, requestTransmit, writeTimestamp } from "../../src/sntp/packet.js";
import { buildReply } from "./fake-server.js";
import { leakCheckAfterAll } from "../helpers.js";

const ERA1_START = Date.parse("2036-02-07T06:28:16Z");

test("NTP seconds: top bit set is era 0 (from 1900), clear is era 1 (from 2036-02-07T06:28:16Z)", () => {
  assert.equal(ntpToEpochMs(2_208_988_800, 0), 0); // 1970-01-01
  assert.equal(ntpToEpochMs(0x8000_0000, 0), Date.parse("1968-01-20T03:14:08Z"));
  assert.equal(ntpToEpochMs(0xffff_ffff, 0), ERA1_START - 1000);
  assert.equal(ntpToEpochMs(0, 0), ERA1_START);
  assert.equal(ntpToEpochMs(0, 0x8000_0000), ERA1_START + 500);
  assert.equal(ntpToEpochMs(0x7fff_ffff, 0), Date.parse("2104-02-26T09:42:23Z"));
});

test("timestamps round-trip on both sides of the 2036 rollover", () => {
  const buf = Buffer.alloc(8);
  for (const iso of ["2026-11-25T03:30:00.250Z", "2036-02-07T06:28:15.999Z", "2036-02-07T06:28:16.000Z", "2040-01-01T00:00:00.125Z"]) {
    const ms = Date.parse(iso);
    writeTimestamp(buf, 0, ms);
    assert.ok(Math.abs(readTimestamp(buf, 0) - ms) < 0.001, iso);
  }
  writeTimestamp(buf, 0, ERA1_START);
  assert.deepEqual([...buf.subarray(0, 4)], [0, 0, 0, 0]);
});

test("a request: 48 bytes, LI 0, version 4, mode 3, only the transmit timestamp set", () => {
  const now = Date.parse("2026-11-25T03:30:00Z");
  const req = buildRequest(now, 0xabcd);
  assert.equal(req.length, 48);
  assert.equal(req[0], 0x23);
  assert.ok(req.subarray(1, 40).every((b) => b === 0));
  assert.equal(req.readUInt16BE(46), 0xabcd);
  assert.ok(Math.abs(readTimestamp(req, 40) - now) < 1);
  assert.equal(requestTransmit(req).length, 8);
});

test("parseReply accepts a good reply and names what is wrong with bad ones", () => {
  const req = buildRequest(Date.now(), 1);
  const orig = requestTransmit(req);
  const t = Date.parse("2030-01-01T00:00:00Z");
  const ok = parseReply(buildReply(req, { receiveMs: t - 1, transmitMs: t }), orig);
  assert.ok(!("reason" in ok));
  assert.ok(Math.abs(ok.transmitMs - t) < 0.001 && Math.abs(ok.receiveMs - (t - 1)) < 0.001);
  const bad = (r: Parameters<typeof buildReply>[1]): string => {
    const x = parseReply(buildReply(req, r), orig);
    assert.ok("reason" in x);
    return x.reason;
  };
  assert.match(bad({ size: 47 }), /bad packet size 47/);
  assert.match(bad({ size: 68 }), /bad packet size 68/);
  assert.match(bad({ mode: 3 }), /mode 3/);
  assert.match(bad({ version: 2 }), /unsupported version 2/);
  assert.match(bad({ version: 5 }), /unsupported version 5/);
  assert.match(bad({ stratum: 0, refId: "RATE" }), /kiss-o'-death RATE/);
  assert.match(bad({ stratum: 0, refId: "DENY", originate: Buffer.alloc(8, 7) }), /originate timestamp does not match/);
  assert.match(bad({ leap: 3 }), /not synchronized/);
  assert.match(bad({ stratum: 16 }), /not synchronized/);
  assert.match(bad({ transmitMs: "zero" }), /zero transmit timestamp/);
  const v3 = parseReply(buildReply(req, { version: 3 }), orig);
  assert.ok(!("reason" in v3));
  const kod = parseReply(buildReply(req, { stratum: 0, refId: "RSTR" }), orig);
  assert.ok("reason" in kod && kod.kiss === "RSTR");
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
