// Streaming uploads (conn.httpUpload on MG_EV_HTTP_HDRS): curl --data-binary and -T,
// a 200 MiB body written to disk with the process's memory staying bounded, refusals
// (names that leave the folder, offsets, sizes, chunked bodies), and pieces appended
// by offset as mg_http_upload does.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as crypto from "node:crypto";
import { MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG, MG_EV_POLL } from "../../src/index.js";
import { safeFileName } from "../../src/http/upload.js";
import { startServer, curl, rawExchange, type TestServer, leakCheckAfterAll } from "../helpers.js";

const base = fs.mkdtempSync(path.join(os.tmpdir(), "tsm-upload-"));
const dir = path.join(base, "up");
fs.mkdirSync(dir);
let srv: TestServer;
let maxRss = 0;
const seenMsgs: string[] = [];

before(() => {
  srv = startServer((c, ev, data) => {
    if (ev === MG_EV_POLL) { const r = process.memoryUsage.rss(); if (r > maxRss) maxRss = r; return; }
    if (ev === MG_EV_HTTP_HDRS && data.uri === "/upload") c.httpUpload(data, dir, { maxSize: 300 * 1024 * 1024 });
    else if (ev === MG_EV_HTTP_HDRS && data.uri === "/small-limit") c.httpUpload(data, dir, { maxSize: 10 });
    else if (ev === MG_EV_HTTP_HDRS && data.uri === "/custom") {
      c.httpUpload(data, dir, { name: "custom.bin", onDone: (err, r) => { if (!err) c.reply(201, `stored ${r.size}`); } });
    } else if (ev === MG_EV_HTTP_MSG) { seenMsgs.push(data.uri); c.reply(200, `buffered ${data.bodyBytes.length}`); }
  });
});
after(async () => { await srv.stop(); fs.rmSync(base, { recursive: true, force: true }); });

function sha(p: string): string { return crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex"); }

/** Random bytes in base/name, posted with curl to /upload?file=name: the answer and the stored file are checked. Returns the source file. */
async function uploadChecked(name: string, size: number): Promise<string> {
  const src = path.join(base, name);
  fs.writeFileSync(src, crypto.randomBytes(size));
  const r = await curl(["--data-binary", `@${src}`, `${srv.url}/upload?file=${name}`]);
  assert.equal(r.stdout, `{"file":"${name}","size":${size}}`);
  assert.equal(sha(path.join(dir, name)), sha(src));
  return src;
}

test("curl --data-binary @file: the body lands in dir/name, the answer gives its size", async () => {
  const src = await uploadChecked("a.bin", 300_000);
  // onDone answers instead, and the connection goes on with the next request.
  const k = await curl(["--data-binary", `@${src}`, `${srv.url}/custom`, "--next", `${srv.url}/other`]);
  assert.equal(k.stdout, "stored 300000buffered 0");
  assert.equal(sha(path.join(dir, "custom.bin")), sha(src));
});

test("a body within maxBodySize, sent whole: httpUpload takes it piece by piece although its size was reserved at once", async () => {
  // The HTTP layer reserves head + Content-Length from the first read (reads then go
  // straight into one buffer); httpUpload consuming the body as it comes ends that, and
  // every byte still lands in the file in order.
  fs.rmSync(await uploadChecked("b.bin", 8_000_000));
});

test("curl -T a 200 MiB file: on disk whole, memory stays bounded (the body is never buffered)", async (t) => {
  const big = path.join(base, "big.bin");
  const chunk = crypto.randomBytes(1 << 20);
  const fd = fs.openSync(big, "w");
  for (let i = 0; i < 200; i++) { chunk[0] = i; fs.writeSync(fd, chunk); }
  fs.closeSync(fd);
  const before = process.memoryUsage.rss();
  maxRss = before;
  // Bigger than the connection's maxBodySize (16 MiB): httpUpload takes it all the same.
  const r = await curl(["-T", big, `${srv.url}/upload?file=big.bin`], 120_000);
  // Measured before the checks below read the files into memory. Garbage the GC has
  // not collected yet counts too, hence the margin; a buffered body would add 200 MiB.
  const grew = maxRss - before;
  t.diagnostic(`RSS before ${Math.round(before / 1048576)} MiB, peak growth ${Math.round(grew / 1048576)} MiB`);
  assert.ok(grew < 100 * 1024 * 1024, `RSS grew by ${Math.round(grew / 1048576)} MiB during a 200 MiB upload`);
  assert.equal(r.stdout, `{"file":"big.bin","size":${200 << 20}}`, r.stderr);
  assert.equal(fs.statSync(path.join(dir, "big.bin")).size, 200 << 20);
  assert.equal(sha(path.join(dir, "big.bin")), sha(big));
  fs.rmSync(big);
  fs.rmSync(path.join(dir, "big.bin"));
});

test("pieces by offset (as mg_http_upload): 0 creates, the file's size appends, anything else is 409", async () => {
  const one = await curl(["--data-binary", "hello ", `${srv.url}/upload?file=parts.txt&offset=0`]);
  assert.equal(one.stdout, '{"file":"parts.txt","size":6}');
  const two = await curl(["--data-binary", "world", `${srv.url}/upload?file=parts.txt&offset=6`]);
  assert.equal(two.stdout, '{"file":"parts.txt","size":5}');
  assert.equal(fs.readFileSync(path.join(dir, "parts.txt"), "utf8"), "hello world");
  const bad = await curl(["-w", " %{http_code}", "--data-binary", "x", `${srv.url}/upload?file=parts.txt&offset=3`]);
  assert.match(bad.stdout, /offset 3 is not the file's size 11.* 409$/s);
  assert.equal(fs.readFileSync(path.join(dir, "parts.txt"), "utf8"), "hello world");
});

test("refused before the body: unsafe names (traversal), missing name, too big, chunked", async () => {
  for (const name of ["../escape.txt", "..", ".hidden", "a%2Fb", "a/b", "%00x", "", "x%5Cy"]) {
    const r = await curl(["-w", " %{http_code}", "--data-binary", "x", `${srv.url}/upload?file=${name}`]);
    assert.match(r.stdout, / 400$/, name);
  }
  assert.deepEqual(fs.readdirSync(base).sort(), ["a.bin", "up"]);
  const big = await curl(["-w", " %{http_code}", "--data-binary", "x".repeat(11), `${srv.url}/small-limit?file=s.txt`]);
  assert.match(big.stdout, / 413$/);
  const chunked = await curl(["-w", " %{http_code}", "-H", "Transfer-Encoding: chunked", "--data-binary", "abc", `${srv.url}/upload?file=c.txt`]);
  assert.match(chunked.stdout, / 411$/);
  assert.ok(!fs.existsSync(path.join(dir, "s.txt")) && !fs.existsSync(path.join(dir, "c.txt")));
  // Without httpUpload, a body over maxBodySize is still 413 after MG_EV_HTTP_HDRS.
  const raw = await rawExchange(srv.port, `POST /plain HTTP/1.1\r\nHost: x\r\nContent-Length: ${32 << 20}\r\n\r\n`, { idleMs: 2000 });
  assert.match(raw.data.toString(), /^HTTP\/1\.1 413 /);
  assert.ok(!seenMsgs.includes("/plain"));
});

test("a symlink planted under the name is not followed", async () => {
  const outside = path.join(base, "outside.txt");
  fs.writeFileSync(outside, "keep");
  fs.symlinkSync(outside, path.join(dir, "link.txt"));
  const r = await curl(["-w", " %{http_code}", "--data-binary", "overwrite", `${srv.url}/upload?file=link.txt`]);
  assert.match(r.stdout, / 403$/);
  assert.equal(fs.readFileSync(outside, "utf8"), "keep");
  fs.rmSync(outside);
});

test("safeFileName", () => {
  for (const ok of ["a.txt", "A-b_c.1", "x".repeat(255)]) assert.equal(safeFileName(ok), true, ok);
  for (const bad of ["", ".", "..", ".x", "a/b", "a\\b", "a\0b", "ä", "a b", "x".repeat(256)]) assert.equal(safeFileName(bad), false, bad);
});

leakCheckAfterAll();
