// tsmongoose serve --upload DIR and --cors, driven by curl: PUT (-T) and multipart
// (-F) uploads land in DIR under a safe name, never overwrite, respect the size limit;
// CORS headers on files and answers to preflight OPTIONS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { safeFileName } from "../../src/cli-serve-extras.js";
import { curl, run, leakCheckAfterAll } from "../helpers.js";
import { Child } from "../examples/spawn.js";

const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
let root: string, www: string, up: string, child: Child, base: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), "tsm-serve-up-"));
  www = join(root, "www");
  up = join(root, "up");
  mkdirSync(www);
  mkdirSync(up);
  writeFileSync(join(www, "a.txt"), "file a\n");
  child = new Child(process.execPath, [cli, "serve", www, "--listen", "http://127.0.0.1:0", "--upload", up, "--cors", "--max-upload-size", "100000"]);
  const m = await child.waitFor(/on http:\/\/127\.0\.0\.1:(\d+)/);
  base = `http://127.0.0.1:${m[1]}`;
});

after(async () => {
  await child.stop();
  rmSync(root, { recursive: true, force: true });
});

/** curl -i output: status code, head, body. */
function parse(out: Buffer): { status: number; head: string; body: string } {
  let s = out.toString("latin1");
  while (s.startsWith("HTTP/1.1 100")) s = s.slice(s.indexOf("\r\n\r\n") + 4);
  const i = s.indexOf("\r\n\r\n");
  return { status: Number(s.slice(9, 12)), head: s.slice(0, i), body: s.slice(i + 4) };
}

test("PUT (curl -T) stores the body under the last path segment; a second PUT of the name is 409", async () => {
  const data = randomBytes(50_000);
  const f = join(root, "src.bin");
  writeFileSync(f, data);
  const r = parse((await curl(["-i", "-T", f, `${base}/sub%2F..%2F..%2Fput.bin`])).stdoutBytes);
  assert.equal(r.status, 201, r.body);
  assert.equal(r.body, "put.bin\n");
  assert.ok(readFileSync(join(up, "put.bin")).equals(data));
  const again = parse((await curl(["-i", "-T", f, `${base}/put.bin`])).stdoutBytes);
  assert.equal(again.status, 409);
  assert.ok(readFileSync(join(up, "put.bin")).equals(data), "the first file is kept");
});

test("POST multipart (curl -F) stores each file part; hostile file names are made safe", async () => {
  const f = join(root, "one.txt");
  writeFileSync(f, "part one\n");
  const r = parse((await curl(["-i", "-F", `x=@${f};filename=../../.evil name.txt`, "-F", "field=value", "-F", `y=@${f};filename=two.txt`, `${base}/`])).stdoutBytes);
  assert.equal(r.status, 201, r.body);
  assert.equal(r.body, "evil_name.txt\ntwo.txt\n");
  assert.equal(readFileSync(join(up, "evil_name.txt"), "utf8"), "part one\n");
  assert.equal(readFileSync(join(up, "two.txt"), "utf8"), "part one\n");
  assert.deepEqual(readdirSync(root).sort(), ["one.txt", "src.bin", "up", "www"], "nothing written outside DIR");
});

test("an upload over --max-upload-size gets 413 and stores nothing", async () => {
  const f = join(root, "large.bin");
  writeFileSync(f, randomBytes(150_000));
  const r = parse((await curl(["-i", "-T", f, `${base}/large.bin`])).stdoutBytes);
  assert.equal(r.status, 413);
  assert.ok(!readdirSync(up).includes("large.bin"));
});

test("--cors: files carry Access-Control-Allow-Origin, preflight OPTIONS gets 204 with the allowed methods", async () => {
  const g = parse((await curl(["-i", "-H", "Origin: http://example.test", `${base}/a.txt`])).stdoutBytes);
  assert.equal(g.status, 200);
  assert.match(g.head, /\r\nAccess-Control-Allow-Origin: \*(\r\n|$)/);
  assert.equal(g.body, "file a\n");
  const p = parse((await curl(["-i", "-X", "OPTIONS", "-H", "Origin: http://example.test", "-H", "Access-Control-Request-Method: PUT",
    "-H", "Access-Control-Request-Headers: content-type, x-custom", `${base}/a.txt`])).stdoutBytes);
  assert.equal(p.status, 204);
  assert.match(p.head, /\r\nAccess-Control-Allow-Origin: \*\r\n/);
  assert.match(p.head, /\r\nAccess-Control-Allow-Methods: [^\r]*PUT/);
  assert.match(p.head, /\r\nAccess-Control-Allow-Headers: content-type, x-custom(\r\n|$)/);
});

test("the request log has the uploads", async () => {
  await child.waitFor(/"PUT \/put\.bin" 409 /);
  assert.match(child.stdout, /"POST \/" 201 /);
});

test("without --upload, PUT is 405; a missing upload folder is refused at start", async () => {
  const c = new Child(process.execPath, [cli, "serve", www, "--listen", "http://127.0.0.1:0", "-q"]);
  try {
    const m = await c.waitFor(/on http:\/\/127\.0\.0\.1:(\d+)/);
    const r = parse((await curl(["-i", "-T", join(www, "a.txt"), `http://127.0.0.1:${m[1]}/x.txt`])).stdoutBytes);
    assert.equal(r.status, 405);
  } finally {
    assert.equal(await c.stop(), 0);
  }
  const bad = await run(process.execPath, [cli, "serve", www, "--upload", join(root, "nope")]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /directory not found/);
});

test("safeFileName keeps a base name inside the folder", () => {
  const rows: [string, string][] = [
    ["report.pdf", "report.pdf"], ["a/b/c.txt", "c.txt"], ["..\\..\\win.ini", "win.ini"], ["..", ""], [".", ""],
    [".bashrc", "bashrc"], ["x y;z.txt", "x_y_z.txt"], ["naïve.txt", "na_ve.txt"], ["/", ""], ["a".repeat(300), "a".repeat(255)],
  ];
  for (const [input, want] of rows) assert.equal(safeFileName(input), want, input);
});

leakCheckAfterAll();
