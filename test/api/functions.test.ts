// API.md "Functions": known answers, and "any string | Uint8Array is accepted as input;
// strings are UTF-8" with Uint8Arrays that are not Buffers.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  httpParseMultipart, httpVar, urlEncode, urlPort, urlHost, urlUser, urlPass, urlUri, urlIsSsl, match,
  jsonGet, jsonGetNum, jsonGetBool, jsonGetLong, jsonGetStr, md5, sha1, sha256, hmacSha256,
  base64Encode, base64Decode, crc32, millis, randomBytes, randomStr, logSet, logGet,
  MG_LL_NONE, MG_LL_ERROR, MG_LL_INFO, MG_LL_DEBUG, MG_LL_VERBOSE, Rpc, RpcReq,
} from "../../src/index.js";
import { leakCheckAfterAll } from "../helpers.js";

/** A Uint8Array that is not a Buffer, sliced from a larger buffer so its offset is not 0. */
function u8(s: string): Uint8Array {
  const bytes = new TextEncoder().encode(s);
  const big = new Uint8Array(bytes.length + 8);
  big.set(bytes, 5);
  const view = big.subarray(5, 5 + bytes.length);
  assert.equal(Buffer.isBuffer(view), false);
  return view;
}
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("hashes, base64, crc32", () => {
  it("md5, sha1, sha256 give Buffers with the known digests, from strings and Uint8Arrays", () => {
    const cases: [(d: string | Uint8Array) => Buffer, string, string, number][] = [
      [md5, "", "d41d8cd98f00b204e9800998ecf8427e", 16],
      [md5, "abc", "900150983cd24fb0d6963f7d28e17f72", 16],
      [sha1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d", 20],
      [sha256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 32],
    ];
    for (const [f, input, want, len] of cases) {
      const a = f(input);
      assert.ok(Buffer.isBuffer(a));
      assert.equal(a.length, len);
      assert.equal(hex(a), want, `${f.name}(${JSON.stringify(input)})`);
      assert.equal(hex(f(u8(input))), want, `${f.name}(Uint8Array)`);
    }
    // Strings are UTF-8.
    assert.equal(hex(sha256("é")), hex(sha256(Buffer.from([0xc3, 0xa9]))));
  });

  it("hmacSha256(key, data): RFC 4231 test case 2, any mix of string and Uint8Array", () => {
    const want = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    const data = "what do ya want for nothing?";
    assert.equal(hex(hmacSha256("Jefe", data)), want);
    assert.equal(hex(hmacSha256(u8("Jefe"), u8(data))), want);
    assert.equal(hex(hmacSha256(u8("Jefe"), data)), want);
    assert.equal(hmacSha256("k", "d").length, 32);
  });

  it("base64Encode / base64Decode round trip; Uint8Array input", () => {
    assert.equal(base64Encode("hello"), "aGVsbG8=");
    assert.equal(base64Encode(u8("hello")), "aGVsbG8=");
    assert.equal(base64Encode(""), "");
    assert.equal(base64Encode("é"), "w6k=");
    const d = base64Decode("aGVsbG8=");
    assert.ok(Buffer.isBuffer(d));
    assert.equal(d.toString(), "hello");
    const bin = new Uint8Array([0, 255, 128, 1, 2]);
    assert.deepEqual([...base64Decode(base64Encode(bin))], [...bin]);
    assert.equal(base64Decode(u8("aGVsbG8=")).toString(), "hello", "base64 text as bytes");
  });

  it("crc32: the CRC-32 check value, strings and Uint8Arrays, incremental", () => {
    assert.equal(crc32("123456789"), 0xcbf43926);
    assert.equal(crc32(u8("123456789")), 0xcbf43926);
    assert.equal(crc32(""), 0);
    assert.equal(crc32("6789", crc32("12345")), 0xcbf43926);
  });
});

describe("URLs", () => {
  it("urlEncode percent-encodes UTF-8 (strings and Uint8Arrays)", () => {
    assert.equal(urlEncode("hello world"), "hello%20world");
    assert.equal(urlEncode("user@example.com"), "user%40example.com");
    assert.equal(urlEncode(u8("a b/é")), "a%20b%2F%C3%A9");
    assert.equal(urlEncode("AZaz09-._~"), "AZaz09-._~");
  });

  it("urlPort, urlHost, urlUser, urlPass, urlUri, urlIsSsl", () => {
    const u = "https://alice:s3cret@example.com:8443/api/v1?x=1";
    assert.equal(urlPort(u), 8443);
    assert.equal(urlHost(u), "example.com");
    assert.equal(urlUser(u), "alice");
    assert.equal(urlPass(u), "s3cret");
    assert.equal(urlUri(u), "/api/v1?x=1");
    assert.equal(urlIsSsl(u), true);
    assert.equal(urlPort("http://a"), 80);
    assert.equal(urlPort("https://a"), 443);
    assert.equal(urlPort("ws://a"), 80);
    assert.equal(urlPort("wss://a"), 443);
    assert.equal(urlPort("mqtt://a"), 1883);
    assert.equal(urlPort("mqtts://a"), 8883);
    assert.equal(urlUri("http://a"), "/");
    assert.equal(urlUser("http://a"), "");
    assert.equal(urlPass("http://a"), "");
    assert.equal(urlHost("http://[::1]:8000/"), "::1");
    assert.equal(urlPort("http://[::1]:8000/"), 8000);
    for (const s of ["https://x", "wss://x", "mqtts://x"]) assert.equal(urlIsSsl(s), true, s);
    for (const s of ["http://x", "ws://x", "mqtt://x", "tcp://x", "udp://x"]) assert.equal(urlIsSsl(s), false, s);
  });

  it("httpVar(buf, name) from strings and Uint8Arrays, URL-decoded", () => {
    assert.equal(httpVar("a=1&b=two%20words&c=x+y", "b"), "two words");
    assert.equal(httpVar("a=1&b=two%20words&c=x+y", "c"), "x y");
    assert.equal(httpVar(u8("name=J%C3%BCrgen&a=1"), "name"), "Jürgen");
    assert.equal(httpVar("a=1", "missing"), undefined);
  });
});

describe("match", () => {
  it("Mongoose globs: ? one character, * anything but /, # anything; captures", () => {
    assert.deepEqual(match("/api/v1", "/api/*"), [true, ["v1"]]);
    assert.deepEqual(match("/api/v1/users", "/api/*")[0], false, "* stops at /");
    assert.deepEqual(match("/api/v1/users", "/api/#"), [true, ["v1/users"]]);
    assert.deepEqual(match("/api/v1/users", "/api/*/#"), [true, ["v1", "users"]]);
    assert.deepEqual(match("cat", "c?t"), [true, ["a"]]);
    assert.deepEqual(match("ct", "c?t")[0], false);
    assert.deepEqual(match("/exact", "/exact"), [true, []]);
    assert.deepEqual(match("/other", "/exact"), [false, []]);
  });
});

describe("JSON", () => {
  const doc = '{"a":{"b":[10,{"c":"x\\u00e9\\n"}],"t":true,"f":false,"n":null,"big":12345678901,"pi":3.5},"s":"str"}';

  it("jsonGet returns raw JSON text at $.a.b[0]-style paths", () => {
    assert.equal(jsonGet(doc, "$.a.b[0]"), "10");
    assert.equal(jsonGet(doc, "$.a.b[1]"), '{"c":"x\\u00e9\\n"}');
    assert.equal(jsonGet(doc, "$.s"), '"str"');
    assert.equal(jsonGet(doc, "$.nope"), undefined);
    assert.equal(jsonGet(u8(doc), "$.a.b[0]"), "10");
    assert.equal(jsonGet(doc, "$"), doc);
  });

  it("jsonGetNum, jsonGetBool, jsonGetLong, jsonGetStr, with defaults; Uint8Array input", () => {
    assert.equal(jsonGetNum(doc, "$.a.pi"), 3.5);
    assert.equal(jsonGetNum(doc, "$.a.b[0]"), 10);
    assert.equal(jsonGetNum(doc, "$.s"), undefined, "not a number");
    assert.equal(jsonGetNum(doc, "$.missing", 0), 0);
    assert.equal(jsonGetBool(doc, "$.a.t"), true);
    assert.equal(jsonGetBool(doc, "$.a.f"), false);
    assert.equal(jsonGetBool(doc, "$.a.n"), undefined);
    assert.equal(jsonGetBool(doc, "$.missing", false), false);
    assert.equal(jsonGetLong(doc, "$.a.big"), 12345678901);
    assert.equal(jsonGetLong(doc, "$.missing", 7), 7);
    assert.equal(jsonGetStr(doc, "$.a.b[1].c"), "xé\n", "escapes decoded");
    assert.equal(jsonGetStr(doc, "$.a.b[0]"), undefined, "not a string");
    const b = u8(doc);
    assert.equal(jsonGetNum(b, "$.a.pi"), 3.5);
    assert.equal(jsonGetBool(b, "$.a.t"), true);
    assert.equal(jsonGetLong(b, "$.a.big"), 12345678901);
    assert.equal(jsonGetStr(b, "$.s"), "str");
  });
});

describe("millis, randomBytes, randomStr, logSet/logGet", () => {
  it("millis() is a non-decreasing integer", async () => {
    const a = millis();
    await new Promise((r) => setTimeout(r, 15));
    const b = millis();
    assert.ok(Number.isInteger(a) && Number.isInteger(b) && b >= a + 10);
  });

  it("randomBytes(n) gives n bytes as a Buffer; randomStr(n) n alphanumerics", () => {
    const a = randomBytes(32);
    assert.ok(Buffer.isBuffer(a));
    assert.equal(a.length, 32);
    assert.notEqual(hex(a), hex(randomBytes(32)));
    assert.equal(randomBytes(0).length, 0);
    const s = randomStr(40);
    assert.equal(s.length, 40);
    assert.match(s, /^[A-Za-z0-9]{40}$/);
    assert.notEqual(s, randomStr(40));
  });

  it("logSet(level) / logGet() with MG_LL_NONE..MG_LL_VERBOSE", () => {
    const before = logGet();
    for (const l of [MG_LL_NONE, MG_LL_ERROR, MG_LL_INFO, MG_LL_DEBUG, MG_LL_VERBOSE]) {
      logSet(l);
      assert.equal(logGet(), l);
    }
    logSet(before);
  });
});

describe("httpParseMultipart", () => {
  const body = "--XyZ\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nvalue 1\r\n" +
    "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nfile\r\nbody\r\n" +
    "--XyZ--\r\n";

  function parts(input: string | Uint8Array): { name: string; filename: string; body: string }[] {
    const out: { name: string; filename: string; body: string }[] = [];
    // The guide's loop.
    let offset = 0;
    for (;;) {
      const [next, part] = httpParseMultipart(input, offset);
      if (part === undefined) break;
      out.push({ name: part.name, filename: part.filename, body: Buffer.from(part.body).toString() });
      offset = next;
    }
    return out;
  }

  it("walks the parts with the guide's loop: name, filename, body; string, Buffer and Uint8Array bodies", () => {
    const want = [{ name: "field", filename: "", body: "value 1" }, { name: "file", filename: "a.txt", body: "file\r\nbody" }];
    assert.deepEqual(parts(body), want);
    assert.deepEqual(parts(Buffer.from(body)), want);
    assert.deepEqual(parts(u8(body)), want);
    const [, first] = httpParseMultipart(Buffer.from(body));
    assert.ok(first && Buffer.isBuffer(first.body), "part.body is a Buffer");
  });

  it("the default offset is 0; garbage gives [offset, undefined]", () => {
    assert.equal(httpParseMultipart(body)[1]?.name, "field");
    assert.deepEqual(httpParseMultipart("not multipart at all"), [0, undefined]);
    assert.equal(httpParseMultipart(body.slice(0, 40))[1], undefined, "truncated");
  });
});

describe("Rpc and RpcReq", () => {
  it("add(method, fn), process(frame) returns the response text, methods lists the names", () => {
    const rpc = new Rpc();
    const frames: string[] = [];
    rpc.add("sum", (req) => {
      assert.ok(req instanceof RpcReq);
      frames.push(req.frame);
      const a = jsonGetNum(req.frame, "$.params[0]") ?? 0;
      const b = jsonGetNum(req.frame, "$.params[1]") ?? 0;
      req.ok(String(a + b));
    });
    rpc.add("fail", (req) => req.err(-32000, "it failed"));
    assert.deepEqual(rpc.methods, ["sum", "fail"]);
    const frame = '{"id":1,"method":"sum","params":[2,3]}';
    const r = JSON.parse(rpc.process(frame)) as { id: number; result: number };
    assert.equal(r.id, 1);
    assert.equal(r.result, 5);
    assert.equal(frames[0], frame, "req.frame is the request");
    const e = JSON.parse(rpc.process(u8('{"id":"x","method":"fail"}'))) as { id: string; error: { code: number; message: string } };
    assert.equal(e.id, "x");
    assert.deepEqual([e.error.code, e.error.message], [-32000, "it failed"]);
    const nf = JSON.parse(rpc.process('{"id":2,"method":"nope"}')) as { error: { code: number } };
    assert.equal(nf.error.code, -32601, "method not found");
    assert.equal(rpc.process('{"method":"sum","params":[1,1]}'), "", "a notification gets no response");
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
