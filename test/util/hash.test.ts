import { test } from "node:test";
import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { randomBytes as nodeRandomBytes } from "node:crypto";
import { md5, sha1, sha256, hmacSha256, crc32 } from "../../src/index.js";
import { leakCheckAfterAll } from "../helpers.js";

const hex = (b: Buffer): string => b.toString("hex");

test("md5, sha1 and sha256 match the published test vectors (RFC 1321, FIPS 180)", () => {
  assert.equal(hex(md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  assert.equal(hex(md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  assert.equal(hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert.equal(hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  assert.equal(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
});

test("digests return Buffers of the right size and treat strings as UTF-8", () => {
  assert.ok(Buffer.isBuffer(md5("x")) && md5("x").length === 16);
  assert.equal(sha1("x").length, 20);
  assert.equal(sha256("x").length, 32);
  assert.deepEqual(sha256("é"), sha256(Buffer.from([0xc3, 0xa9])));
  assert.deepEqual(md5(new Uint8Array([0x61, 0x62, 0x63])), md5("abc"));
  // A view hashes only its own bytes.
  const big = Buffer.from("xxabcxx");
  assert.deepEqual(sha1(new Uint8Array(big.buffer, big.byteOffset + 2, 3)), sha1("abc"));
});

test("hmacSha256 matches RFC 4231 test cases 1 and 2", () => {
  assert.equal(hex(hmacSha256(Buffer.alloc(20, 0x0b), "Hi There")), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  assert.equal(hex(hmacSha256("Jefe", "what do ya want for nothing?")), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
});

test("crc32 is CRC-32/ISO-HDLC", () => {
  assert.equal(crc32("123456789"), 0xcbf43926);
  assert.equal(crc32(""), 0);
  assert.equal(crc32("The quick brown fox jumps over the lazy dog"), 0x414fa339);
  assert.equal(crc32(new Uint8Array([0])), 0xd202ef8d);
  assert.equal(crc32(Buffer.alloc(32, 0xff)), 0xff6cab0b);
});

test("crc32 can be computed in pieces and agrees with zlib", () => {
  const data = nodeRandomBytes(10000);
  const whole = crc32(data);
  assert.equal(crc32(data.subarray(3000), crc32(data.subarray(0, 3000))), whole);
  assert.equal(crc32(data.subarray(1), crc32(data.subarray(0, 1))), whole);
  const zcrc = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
  if (zcrc) assert.equal(whole, zcrc(data));
  assert.ok(whole >= 0 && whole <= 0xffffffff && Number.isInteger(whole));
});

test("crc32 rejects an initial value that is not an unsigned 32-bit integer", () => {
  for (const bad of [-1, 2 ** 32, 1.5, NaN]) assert.throws(() => crc32("x", bad), RangeError);
});

test("inputs that are neither strings nor bytes throw a TypeError", () => {
  assert.throws(() => md5(42 as unknown as string), TypeError);
  assert.throws(() => crc32(null as unknown as string), TypeError);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
