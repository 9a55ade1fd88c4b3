// serveDir with several ranges: 206 multipart/byteranges (RFC 9110 section 14.6,
// section 15.3.7), read back by a parser of the multipart body written here (RFC 2046
// section 5.1.1), through curl -r and raw requests.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { MG_EV_HTTP_MSG } from "../../src/index.js";
import { coalesce, MAX_RANGES } from "../../src/http/static-conditional.js";
import { startServer, curl, rawExchange, type TestServer, leakCheckAfterAll } from "../helpers.js";
import { makeSite, parseResponses, BIG_SIZE, type RawResponse } from "./static-fixture.js";

const site = makeSite();
let srv: TestServer;
before(() => {
  srv = startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    if (data.uri === "/typed") c.serveFile(data, `${site.root}/small.txt`, { extraHeaders: "Content-Type: application/x-mine" });
    else c.serveDir(data, site.root);
  });
});
after(async () => { await srv.stop(); site.cleanup(); });

interface Part { type: string | undefined; range: string | undefined; body: Buffer }

/** Splits a multipart/byteranges body at its boundary; checks the delimiter grammar as it goes. */
function parseMultipart(body: Buffer, contentType: string): Part[] {
  const m = /^multipart\/byteranges; boundary=([0-9A-Za-z'()+_,./:=?-]{1,70})$/.exec(contentType);
  assert.ok(m, `content type ${contentType}`);
  const delim = Buffer.from(`--${m[1]}`);
  const parts: Part[] = [];
  // The body starts with the first delimiter (empty preamble).
  assert.ok(body.subarray(0, delim.length).equals(delim), "starts with the delimiter");
  let pos = 0;
  for (;;) {
    pos += delim.length;
    if (body.subarray(pos, pos + 2).toString() === "--") {
      assert.equal(body.subarray(pos).toString(), "--\r\n", "close delimiter ends the body");
      return parts;
    }
    assert.equal(body.subarray(pos, pos + 2).toString(), "\r\n");
    pos += 2;
    const headEnd = body.indexOf("\r\n\r\n", pos);
    assert.ok(headEnd > 0);
    const headers = new Map<string, string>();
    for (const line of body.subarray(pos, headEnd).toString("latin1").split("\r\n")) {
      const c = line.indexOf(":");
      headers.set(line.slice(0, c).toLowerCase(), line.slice(c + 1).trim());
    }
    pos = headEnd + 4;
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delim]), pos);
    assert.ok(next >= 0, "a delimiter follows each part");
    parts.push({ type: headers.get("content-type"), range: headers.get("content-range"), body: body.subarray(pos, next) });
    pos = next + 2;
  }
}

async function get(uri: string, range: string): Promise<RawResponse> {
  const raw = await rawExchange(srv.port, `GET ${uri} HTTP/1.1\r\nHost: x\r\nRange: ${range}\r\nConnection: close\r\n\r\n`, { idleMs: 3000 });
  const rs = parseResponses(raw.data, [false]);
  assert.equal(rs.length, 1);
  return rs[0]!;
}

test("curl -r 0-9,20-29: 206 multipart/byteranges with two parts, each with Content-Type and Content-Range", async () => {
  const r = await curl(["-i", "-r", "0-9,20-29", `${srv.url}/big.bin`]);
  const [res] = parseResponses(r.stdoutBytes);
  assert.equal(res!.status, 206);
  assert.equal(res!.headers.get("content-range"), undefined, "no Content-Range on the whole multipart response");
  assert.equal(Number(res!.headers.get("content-length")), res!.body.length);
  const parts = parseMultipart(res!.body, res!.headers.get("content-type")!);
  assert.deepEqual(parts.map((p) => [p.type, p.range]), [
    ["application/octet-stream", `bytes 0-9/${BIG_SIZE}`], ["application/octet-stream", `bytes 20-29/${BIG_SIZE}`]]);
  assert.ok(parts[0]!.body.equals(site.big.subarray(0, 10)));
  assert.ok(parts[1]!.body.equals(site.big.subarray(20, 30)));
  // A text file: the part's type is the file's.
  const t = await curl(["-i", "-r", "0-1,6-9", `${srv.url}/small.txt`]);
  const [tr] = parseResponses(t.stdoutBytes);
  const tp = parseMultipart(tr!.body, tr!.headers.get("content-type")!);
  assert.deepEqual(tp.map((p) => [p.type, p.range, p.body.toString()]), [
    ["text/plain; charset=utf-8", "bytes 0-1/11", "sm"], ["text/plain; charset=utf-8", "bytes 6-9/11", "file"]]);
});

test("large parts stream from the file (several MiB), in the order asked, with a suffix range", async () => {
  const r = await get("/big.bin", `bytes=3000000-4999999, 0-999999, -5`);
  assert.equal(r.status, 206);
  const parts = parseMultipart(r.body, r.headers.get("content-type")!);
  assert.deepEqual(parts.map((p) => p.range), [
    `bytes 3000000-4999999/${BIG_SIZE}`, `bytes 0-999999/${BIG_SIZE}`, `bytes ${BIG_SIZE - 5}-${BIG_SIZE - 1}/${BIG_SIZE}`]);
  assert.ok(parts[0]!.body.equals(site.big.subarray(3000000, 5000000)));
  assert.ok(parts[1]!.body.equals(site.big.subarray(0, 1000000)));
  assert.ok(parts[2]!.body.equals(site.big.subarray(BIG_SIZE - 5)));
});

test("overlapping and adjacent ranges are coalesced: one range left gives a plain 206", async () => {
  const one = await get("/big.bin", "bytes=0-99, 50-149, 150-199");
  assert.equal(one.status, 206);
  assert.equal(one.headers.get("content-range"), `bytes 0-199/${BIG_SIZE}`);
  assert.ok(one.body.equals(site.big.subarray(0, 200)));
  // Overlaps out of order: sorted and merged, each byte sent once.
  const two = await get("/big.bin", "bytes=5000-5999, 0-9, 5500-6999");
  const parts = parseMultipart(two.body, two.headers.get("content-type")!);
  assert.deepEqual(parts.map((p) => p.range), [`bytes 0-9/${BIG_SIZE}`, `bytes 5000-6999/${BIG_SIZE}`]);
  assert.deepEqual(coalesce([{ start: 10, end: 20 }, { start: 0, end: 12 }]), [{ start: 0, end: 20 }], "overlap out of order");
  assert.deepEqual(coalesce([{ start: 10, end: 20 }, { start: 21, end: 30 }]), [{ start: 10, end: 30 }], "touching");
  assert.deepEqual(coalesce([{ start: 10, end: 20 }, { start: 0, end: 8 }]), [{ start: 10, end: 20 }, { start: 0, end: 8 }], "a gap: the order asked");
});

test("unsatisfiable ranges are dropped; none satisfiable is 416; an invalid one or too many ignore Range (200)", async () => {
  const r = await get("/small.txt", `bytes=0-1, 500-600, 9-`);
  const parts = parseMultipart(r.body, r.headers.get("content-type")!);
  assert.deepEqual(parts.map((p) => p.body.toString()), ["sm", "e\n"]);
  const none = await get("/small.txt", "bytes=100-200, 300-");
  assert.equal(none.status, 416);
  assert.equal(none.headers.get("content-range"), "bytes */11");
  const bad = await get("/small.txt", "bytes=0-1, x-2");
  assert.equal(bad.status, 200);
  const many = Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i * 200}-${i * 200 + 1}`).join(",");
  const m = await get("/big.bin", `bytes=${many}`);
  assert.equal(m.status, 200);
  assert.equal(m.body.length, BIG_SIZE);
  const ok = Array.from({ length: MAX_RANGES }, (_, i) => `${i * 200}-${i * 200 + 1}`).join(",");
  const k = await get("/big.bin", `bytes=${ok}`);
  assert.equal(parseMultipart(k.body, k.headers.get("content-type")!).length, MAX_RANGES);
});

test("extraHeaders with a Content-Type: several ranges get the whole file (200); one range still 206", async () => {
  const r = await get("/typed", "bytes=0-1, 6-9");
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "application/x-mine");
  assert.equal(r.body.toString(), "small file\n");
  const one = await get("/typed", "bytes=6-9");
  assert.equal(one.status, 206);
  assert.equal(one.body.toString(), "file");
});

leakCheckAfterAll();
