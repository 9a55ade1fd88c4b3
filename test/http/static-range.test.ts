// serveDir: byte ranges (RFC 9110 section 14) and conditional requests (section 13).
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { MG_EV_HTTP_MSG } from "../../src/index.js";
import { startServer, curl, rawExchange, type TestServer, leakCheckAfterAll } from "../helpers.js";
import { makeSite, parseResponses, BIG_SIZE, type RawResponse } from "./static-fixture.js";

const site = makeSite();
let srv: TestServer;
before(() => {
  srv = startServer((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) c.serveDir(data, site.root); });
});
after(async () => { await srv.stop(); site.cleanup(); });

async function get(uri: string, headers: string[] = [], method = "GET"): Promise<RawResponse> {
  const raw = await rawExchange(srv.port, `${method} ${uri} HTTP/1.1\r\nHost: x\r\n${headers.map((h) => h + "\r\n").join("")}Connection: close\r\n\r\n`, { idleMs: 3000 });
  const rs = parseResponses(raw.data, [method === "HEAD"]);
  assert.equal(rs.length, 1);
  return rs[0]!;
}

test("single ranges with curl: first bytes, middle, open-ended, suffix, end clamped to the size", async () => {
  const cases: [string, number, number][] = [
    ["0-9", 0, 9], ["1000-1999", 1000, 1999], [`${BIG_SIZE - 10}-`, BIG_SIZE - 10, BIG_SIZE - 1],
    ["-100", BIG_SIZE - 100, BIG_SIZE - 1], ["5-99999999", 5, BIG_SIZE - 1], [`-${BIG_SIZE + 5}`, 0, BIG_SIZE - 1],
    ["300000-", 300000, BIG_SIZE - 1],
  ];
  for (const [spec, a, b] of cases) {
    const r = await curl(["-i", "-r", spec, `${srv.url}/big.bin`]);
    const [res] = parseResponses(r.stdoutBytes);
    assert.equal(res!.status, 206, spec);
    assert.equal(res!.headers.get("content-range"), `bytes ${a}-${b}/${BIG_SIZE}`, spec);
    assert.equal(res!.headers.get("content-length"), String(b - a + 1), spec);
    assert.ok(res!.body.equals(site.big.subarray(a, b + 1)), `body of ${spec}`);
  }
  // Ranges of a small file (read in one go).
  const s = await get("/small.txt", ["Range: bytes=6-"]);
  assert.equal(s.status, 206);
  assert.equal(s.body.toString(), "file\n");
});

test("unsatisfiable ranges: 416 with Content-Range: bytes */size", async () => {
  for (const spec of [`bytes=${BIG_SIZE}-`, `bytes=${BIG_SIZE + 100}-${BIG_SIZE + 200}`, "bytes=-0"]) {
    const r = await get("/big.bin", [`Range: ${spec}`]);
    assert.equal(r.status, 416, spec);
    assert.equal(r.headers.get("content-range"), `bytes */${BIG_SIZE}`, spec);
  }
  const e = await get("/empty.txt", ["Range: bytes=0-"]);
  assert.equal(e.status, 416);
  assert.equal(e.headers.get("content-range"), "bytes */0");
  const c = await curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-r", `${BIG_SIZE}-`, `${srv.url}/big.bin`]);
  assert.equal(c.stdout, "416");
});

test("ranges that do not apply: invalid, other units, HEAD -> the whole file with 200", async () => {
  for (const spec of ["bytes=abc", "bytes=5-2", "items=0-5", "bytes=--5", "bytes=1-2-3", "bytes=99999999999999999999-"]) {
    const r = await get("/big.bin", [`Range: ${spec}`]);
    assert.equal(r.status, 200, spec);
    assert.equal(r.body.length, BIG_SIZE, spec);
    assert.equal(r.headers.get("content-range"), undefined, spec);
  }
  const one = await get("/big.bin", ["Range: bytes=0-1, "]);
  assert.equal(one.status, 206, "one range and an empty list element");
  const h = await get("/big.bin", ["Range: bytes=0-9"], "HEAD");
  assert.equal(h.status, 200);
  assert.equal(h.headers.get("content-length"), String(BIG_SIZE));
});

test("If-Range: a matching ETag or date keeps the range, anything else gets the whole file", async () => {
  const first = await get("/small.txt");
  const etag = first.headers.get("etag")!, lm = first.headers.get("last-modified")!;
  assert.equal((await get("/small.txt", ["Range: bytes=0-4", `If-Range: ${etag}`])).status, 206);
  assert.equal((await get("/small.txt", ["Range: bytes=0-4", `If-Range: ${lm}`])).status, 206);
  assert.equal((await get("/small.txt", ["Range: bytes=0-4", 'If-Range: "other"'])).status, 200);
  assert.equal((await get("/small.txt", ["Range: bytes=0-4", `If-Range: W/${etag}`])).status, 200, "weak tags never match If-Range");
  assert.equal((await get("/small.txt", ["Range: bytes=0-4", "If-Range: Tue, 01 Jan 1980 00:00:00 GMT"])).status, 200);
});

test("If-None-Match / If-Modified-Since give 304 with validators and no body; If-Match / If-Unmodified-Since give 412", async () => {
  const first = await get("/big.bin");
  const etag = first.headers.get("etag")!, lm = first.headers.get("last-modified")!;
  assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+"$/);
  const nm = await get("/big.bin", [`If-None-Match: ${etag}`]);
  assert.equal(nm.status, 304);
  assert.equal(nm.headers.get("etag"), etag);
  assert.equal(nm.headers.get("last-modified"), lm);
  assert.equal(nm.body.length, 0);
  assert.equal((await get("/big.bin", [`If-None-Match: "x", W/${etag}`])).status, 304, "weak comparison, lists");
  assert.equal((await get("/big.bin", ["If-None-Match: *"])).status, 304);
  assert.equal((await get("/big.bin", ['If-None-Match: "nope"'])).status, 200);
  assert.equal((await get("/big.bin", [`If-None-Match: ${etag}`], "HEAD")).status, 304);
  assert.equal((await get("/big.bin", [`If-Modified-Since: ${lm}`])).status, 304);
  assert.equal((await get("/big.bin", ["If-Modified-Since: Tue, 01 Jan 2999 00:00:00 GMT"])).status, 304);
  assert.equal((await get("/big.bin", ["If-Modified-Since: Tue, 01 Jan 1980 00:00:00 GMT"])).status, 200);
  assert.equal((await get("/big.bin", ["If-Modified-Since: garbage"])).status, 200);
  // If-None-Match takes precedence over If-Modified-Since (RFC 9110 section 13.2.2).
  assert.equal((await get("/big.bin", ['If-None-Match: "nope"', `If-Modified-Since: ${lm}`])).status, 200);
  // A 304 beats a Range.
  assert.equal((await get("/big.bin", [`If-None-Match: ${etag}`, "Range: bytes=0-1"])).status, 304);
  assert.equal((await get("/big.bin", ['If-Match: "nope"'])).status, 412);
  assert.equal((await get("/big.bin", [`If-Match: ${etag}`, "Range: bytes=0-1"])).status, 206);
  assert.equal((await get("/big.bin", [`If-Match: W/${etag}`])).status, 412, "If-Match compares strongly");
  assert.equal((await get("/big.bin", ["If-Unmodified-Since: Tue, 01 Jan 1980 00:00:00 GMT"])).status, 412);
  assert.equal((await get("/big.bin", [`If-Unmodified-Since: ${lm}`])).status, 200);
  // curl's own conditional GET.
  const c = await curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-z", lm, `${srv.url}/small.txt`]);
  assert.equal(c.stdout, "304");
});

test("the ETag changes when the file changes", async () => {
  const { writeFileSync, utimesSync } = await import("node:fs");
  const p = `${site.root}/changing.txt`;
  writeFileSync(p, "one");
  utimesSync(p, new Date(1_700_000_000_000), new Date(1_700_000_000_000));
  const a = await get("/changing.txt");
  writeFileSync(p, "three");
  utimesSync(p, new Date(1_700_000_005_000), new Date(1_700_000_005_000));
  const b = await get("/changing.txt", [`If-None-Match: ${a.headers.get("etag")}`]);
  assert.equal(b.status, 200);
  assert.equal(b.body.toString(), "three");
  assert.notEqual(b.headers.get("etag"), a.headers.get("etag"));
  assert.equal(b.headers.get("last-modified"), new Date(1_700_000_005_000).toUTCString());
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
