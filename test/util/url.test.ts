import { test } from "node:test";
import assert from "node:assert/strict";
import {
  urlPort, urlHost, urlUser, urlPass, urlUri, urlIsSsl, urlScheme, urlEncode, urlDecode, base64Encode, base64Decode,
} from "../../src/index.js";
import { leakCheckAfterAll } from "../helpers.js";

test("URL parts of a full URL", () => {
  const u = "https://alice:s3cret@example.com:8443/path/to?x=1&y=2#frag";
  assert.equal(urlScheme(u), "https");
  assert.equal(urlUser(u), "alice");
  assert.equal(urlPass(u), "s3cret");
  assert.equal(urlHost(u), "example.com");
  assert.equal(urlPort(u), 8443);
  assert.equal(urlUri(u), "/path/to?x=1&y=2#frag");
  assert.equal(urlIsSsl(u), true);
});

test("default ports by scheme, and explicit port 0", () => {
  assert.equal(urlPort("http://h"), 80);
  assert.equal(urlPort("ws://h/x"), 80);
  assert.equal(urlPort("https://h"), 443);
  assert.equal(urlPort("wss://h"), 443);
  assert.equal(urlPort("mqtt://h"), 1883);
  assert.equal(urlPort("mqtts://h"), 8883);
  assert.equal(urlPort("udp://h"), 0);
  assert.equal(urlPort("tcp://h:0"), 0);
  assert.equal(urlPort("http://h:0"), 0, "explicit 0 is kept");
  assert.equal(urlPort("http://h:"), 80, "empty port means the default (RFC 3986 section 6.2.3)");
  assert.equal(urlPort("HTTP://h"), 80, "scheme is case-insensitive");
  assert.equal(urlPort("h:1234"), 1234, "no scheme");
  assert.equal(urlPort("h"), 0);
});

test("malformed ports are -1, never a misread number", () => {
  for (const u of ["http://h:abc", "http://h:65536", "http://h:-1", "http://h:0x50", "http://h:1e2", "http://h: 80", "http://h:8080x", "http://[::1]x"]) {
    assert.equal(urlPort(u), -1, u);
  }
  assert.equal(urlPort("http://h:65535"), 65535);
  assert.equal(urlPort("http://h:080"), 80);
});

test("IPv6 hosts", () => {
  assert.equal(urlHost("http://[::1]:8000/"), "::1");
  assert.equal(urlPort("http://[::1]:8000/"), 8000);
  assert.equal(urlHost("http://[::]"), "::");
  assert.equal(urlPort("http://[::]"), 80, "a host ending in ':' is not an empty port");
  assert.equal(urlPort("https://[fe80::1]"), 443);
  assert.equal(urlHost("udp://::1"), "::1", "bare IPv6 without brackets");
  assert.equal(urlPort("udp://::1"), 0);
});

test("uri is the path and query, / when absent", () => {
  assert.equal(urlUri("http://h"), "/");
  assert.equal(urlUri("http://h:80"), "/");
  assert.equal(urlUri("http://h/"), "/");
  assert.equal(urlUri("http://h?q=1"), "/?q=1");
  assert.equal(urlHost("http://h?q=1"), "h");
  assert.equal(urlHost("http://h#x"), "h");
  assert.equal(urlUri("http://h/a@b"), "/a@b");
  assert.equal(urlHost("http://h/a@b"), "h", "@ in the path is not userinfo");
});

test("user and password are percent-decoded; malformed escapes never throw", () => {
  assert.equal(urlUser("mqtt://us%40er:p%3Ass@h"), "us@er");
  assert.equal(urlPass("mqtt://us%40er:p%3Ass@h"), "p:ss");
  assert.equal(urlUser("http://a%zz@h"), "a%zz");
  assert.equal(urlPass("http://u:100%@h"), "100%");
  assert.equal(urlUser("http://u@h"), "u");
  assert.equal(urlPass("http://u@h"), "");
  assert.equal(urlUser("http://h"), "");
  assert.equal(urlPass("http://u:p:q@h"), "p:q", "the first colon separates");
  assert.equal(urlHost("http://u:p@q@h:1"), "h", "the last @ ends the userinfo");
});

test("urlIsSsl knows the TLS schemes", () => {
  for (const u of ["https://h", "wss://h", "mqtts://h", "tls://h", "ssl://h", "tcps://h", "HTTPS://h"]) assert.equal(urlIsSsl(u), true, u);
  for (const u of ["http://h", "ws://h", "mqtt://h", "tcp://h", "udp://h", "h:443", ""]) assert.equal(urlIsSsl(u), false, u);
});

test("non-string URLs do not throw", () => {
  assert.equal(urlPort(undefined as unknown as string), 0);
  assert.equal(urlHost(null as unknown as string), "");
});

test("urlEncode encodes everything but RFC 3986 unreserved characters", () => {
  assert.equal(urlEncode("hello world"), "hello%20world");
  assert.equal(urlEncode("user@example.com"), "user%40example.com");
  assert.equal(urlEncode("AZaz09-._~"), "AZaz09-._~");
  assert.equal(urlEncode("a/b?c=d&e+f"), "a%2Fb%3Fc%3Dd%26e%2Bf");
  assert.equal(urlEncode("é😀"), "%C3%A9%F0%9F%98%80");
  assert.equal(urlEncode(new Uint8Array([0, 255])), "%00%FF");
  assert.equal(urlEncode(""), "");
});

test("urlDecode reverses urlEncode and handles form encoding", () => {
  for (const s of ["hello world", "a/b?c=d&e+f", "é😀", "100%", ""]) assert.equal(urlDecode(urlEncode(s)), s);
  assert.equal(urlDecode("a+b"), "a b");
  assert.equal(urlDecode("a+b", false), "a+b");
  assert.equal(urlDecode("%e2%82%ac"), "€", "lower-case hex");
  assert.equal(urlDecode("plain"), "plain");
});

test("urlDecode returns undefined for malformed escapes", () => {
  for (const s of ["%", "%4", "a%zz", "%g0", "abc%2"]) assert.equal(urlDecode(s), undefined, s);
});

test("base64Encode and base64Decode round-trip (RFC 4648 test vectors)", () => {
  const vectors: [string, string][] = [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"]];
  for (const [plain, enc] of vectors) {
    assert.equal(base64Encode(plain), enc);
    assert.equal(base64Decode(enc).toString(), plain);
  }
  assert.equal(base64Encode(new Uint8Array([0xfb, 0xff])), "+/8=");
});

test("base64Decode accepts URL-safe and unpadded input, and surrounding whitespace", () => {
  assert.deepEqual(base64Decode("-_8"), Buffer.from([0xfb, 0xff]));
  assert.deepEqual(base64Decode("+/8"), Buffer.from([0xfb, 0xff]));
  assert.equal(base64Decode("Zm9vYg").toString(), "foob");
  assert.equal(base64Decode("  Zm9v\r\n").toString(), "foo");
});

test("base64Decode throws on input no encoder produces", () => {
  for (const bad of ["Zm9v!", "Zm=9v", "Z", "Zm9vY", "Zg===", "Zg=", "Zm9=v", "Zm 9v", "====", "Zm9vYg=="+"x"]) {
    assert.throws(() => base64Decode(bad), /not base64/, bad);
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
