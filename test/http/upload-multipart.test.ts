// multipart/form-data uploads streamed to files: the splitter (src/http/upload-multipart.ts)
// on a table of bodies, each also fed split at every byte, and through curl -F with a
// 200 MiB file part and ordinary fields, memory staying bounded.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as crypto from "node:crypto";
import { MG_EV_HTTP_HDRS, MG_EV_POLL } from "../../src/index.js";
import { MultipartSplitter, type PartAction } from "../../src/http/upload-multipart.js";
import { startServer, curl, waitFor, type TestServer, leakCheckAfterAll } from "../helpers.js";

/** The parts a splitter finds, with their data joined; "error: ..." when it refuses. */
function split(body: Buffer, boundary: string, cuts: number[]): string[] | string {
  const s = new MultipartSplitter(boundary);
  const acts: PartAction[] = [];
  let at = 0;
  for (const cut of [...cuts, body.length]) { acts.push(...s.feed(body.subarray(at, cut))); at = cut; }
  const err = s.finish();
  if (err !== undefined) return `error: ${err}`;
  const out: string[] = [];
  let cur: Buffer[] | undefined;
  let head = "";
  for (const a of acts) {
    if (a.kind === "start") { cur = []; head = `${a.name}|${a.filename}|${a.contentType}`; }
    else if (a.kind === "data") cur!.push(a.data);
    else if (a.kind === "end") { out.push(`${head}=${Buffer.concat(cur!).toString("latin1")}`); cur = undefined; }
    else out.push("done");
  }
  return out;
}

const B = "XyZ";
const rows: [string, string, string[] | RegExp][] = [
  ["two parts",
    `--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nhello\r\n--${B}\r\nContent-Disposition: form-data; name="f"; filename="x.bin"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--XyY\r\n-${B}\r\n\r\n--${B}--\r\nepilogue`,
    ["a||=hello", `f|x.bin|application/octet-stream=\r\n--XyY\r\n-${B}\r\n`, "done"]],
  ["preamble, padding after a delimiter, a part without headers",
    `ignored preamble\r\n--${B}  \r\n\r\nbare\r\n--${B}--`, ["||=bare", "done"]],
  ["no closing delimiter", `--${B}\r\n\r\ndata`, /ended before the closing delimiter/],
  ["garbage after a delimiter", `--${B}xx\r\n\r\n--${B}--`, /not followed by CRLF/],
  ["empty body", "", /ended before/],
];

for (const [what, body, want] of rows) {
  test(`multipart splitter: ${what} (whole and cut at every byte)`, () => {
    const buf = Buffer.from(body, "latin1");
    const whole = split(buf, B, []);
    if (want instanceof RegExp) assert.match(String(whole), want);
    else assert.deepEqual(whole, want);
    for (let i = 0; i <= buf.length; i++) assert.deepEqual(split(buf, B, [i]), whole, `cut at ${i}`);
    // Byte by byte.
    assert.deepEqual(split(buf, B, Array.from({ length: buf.length }, (_, i) => i)), whole, "byte by byte");
  });
}

test("boundaryOf: RFC 2046 boundaries, quoted or not", () => {
  assert.equal(MultipartSplitter.boundaryOf("multipart/form-data; boundary=abc"), "abc");
  assert.equal(MultipartSplitter.boundaryOf('Multipart/Form-Data; charset=x; boundary="a b:c"'), "a b:c");
  assert.equal(MultipartSplitter.boundaryOf("multipart/form-data"), undefined);
  assert.equal(MultipartSplitter.boundaryOf(`multipart/form-data; boundary=${"x".repeat(71)}`), undefined);
  assert.equal(MultipartSplitter.boundaryOf("text/plain; boundary=abc"), undefined);
});

const base = fs.mkdtempSync(path.join(os.tmpdir(), "tsm-upload-mp-"));
const dir = path.join(base, "up");
fs.mkdirSync(dir);
let srv: TestServer;
let maxRss = 0;
before(() => {
  srv = startServer((c, ev, data) => {
    if (ev === MG_EV_POLL) { const r = process.memoryUsage.rss(); if (r > maxRss) maxRss = r; return; }
    if (ev === MG_EV_HTTP_HDRS) c.httpUpload(data, dir);
  });
});
after(async () => { await srv.stop(); fs.rmSync(base, { recursive: true, force: true }); });

function sha(p: string): string { return crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex"); }

test("curl -F: a 200 MiB file part and two fields; files stored under their names, memory bounded", async (t) => {
  const big = path.join(base, "src.bin");
  const chunk = crypto.randomBytes(1 << 20);
  const fd = fs.openSync(big, "w");
  for (let i = 0; i < 200; i++) { chunk[1] = i; fs.writeSync(fd, chunk); }
  fs.closeSync(fd);
  const small = path.join(base, "small.txt");
  fs.writeFileSync(small, "tiny\r\n--not a boundary\r\n");
  const before = process.memoryUsage.rss();
  maxRss = before;
  const r = await curl(["-F", `big=@${big};filename=big.bin`, "-F", `s=@${small}`, "-F", "note=héllo", "-F", "n2=x", `${srv.url}/form`], 120_000);
  // Measured before the checks below read the files into memory. Garbage the GC has
  // not collected yet counts too, hence the margin; a buffered body would add 200 MiB.
  const grew = maxRss - before;
  t.diagnostic(`RSS before ${Math.round(before / 1048576)} MiB, peak growth ${Math.round(grew / 1048576)} MiB`);
  assert.ok(grew < 100 * 1024 * 1024, `RSS grew by ${Math.round(grew / 1048576)} MiB during a 200 MiB upload`);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { files: { name: string; file: string; size: number }[]; fields: Record<string, string> };
  assert.deepEqual(j.files, [{ name: "big", file: "big.bin", size: 200 << 20 }, { name: "s", file: "small.txt", size: fs.statSync(small).size }]);
  assert.deepEqual(j.fields, { note: "héllo", n2: "x" });
  assert.equal(sha(path.join(dir, "big.bin")), sha(big));
  assert.equal(fs.readFileSync(path.join(dir, "small.txt"), "utf8"), "tiny\r\n--not a boundary\r\n");
  fs.rmSync(big);
  fs.rmSync(path.join(dir, "big.bin"));
});

test("curl -F with an unsafe file name: 400, nothing written outside, earlier parts removed", async () => {
  const one = path.join(base, "one.txt");
  fs.writeFileSync(one, "1");
  const r = await curl(["-w", " %{http_code}", "-F", `ok=@${one};filename=first.txt`, "-F", `x=@${one};filename=../evil.txt`, `${srv.url}/form`]);
  assert.match(r.stdout, /bad file name .* 400$/s);
  assert.ok(!fs.existsSync(path.join(base, "evil.txt")));
  // The first part's file was created, then removed with the failed upload.
  await waitFor(() => !fs.existsSync(path.join(dir, "first.txt")), 5000, "first.txt removed");
});

leakCheckAfterAll();
