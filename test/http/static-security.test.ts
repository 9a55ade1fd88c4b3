// serveDir: no request reaches a file outside the root. Raw request lines (curl would
// normalise "..") with every traversal form, and symlinks leading out of the root.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { MG_EV_HTTP_MSG } from "../../src/index.js";
import { startServer, curl, rawExchange, type TestServer, leakCheckAfterAll } from "../helpers.js";
import { makeSite, parseResponses, SECRET } from "./static-fixture.js";

const site = makeSite();
let srv: TestServer;
before(() => {
  srv = startServer((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) c.serveDir(data, `/=${site.root},/alias=${site.root}/sub`, { page404: site.page404 }); });
});
after(async () => { await srv.stop(); site.cleanup(); });

async function rawGet(target: string): Promise<{ status: number; body: string; all: string }> {
  const raw = await rawExchange(srv.port, Buffer.from(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, "latin1"), { idleMs: 3000 });
  const all = raw.data.toString("latin1");
  const rs = parseResponses(raw.data);
  return { status: rs[0]!.status, body: rs[0]!.body.toString("latin1"), all };
}

test("traversal forms are refused with 400 and never reach a file outside the root", async () => {
  const targets = [
    "/../secret.txt", "/sub/../../secret.txt", "/..", "/sub/..", "/./small.txt", "/sub/./a.txt",
    "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/.%2e/secret.txt", "/%2e./secret.txt", "/sub/%2e%2e/%2e%2e/secret.txt",
    "/%2e%2e%2fsecret.txt", "/..%2fsecret.txt", "/sub%2f..%2f..%2fsecret.txt", "/%2F..%2F..%2Fsecret.txt",
    "/..\\secret.txt", "/sub\\..\\..\\secret.txt", "/%5c..%5csecret.txt", "/..%5Csecret.txt",
    "/small.txt%00", "/small.txt%00.html", "/%00/../secret.txt",
    "/%c0%ae%c0%ae/secret.txt", "/%e0%80%ae%e0%80%ae/secret.txt", "/%ff",
    "/%2", "/%zz/secret.txt", "/%%32%65%%32%65/secret.txt",
    "/alias/../../secret.txt", "/alias/%2e%2e/%2e%2e/secret.txt",
    "/sub/%0a.txt", "/%7f",
  ];
  for (const t of targets) {
    const r = await rawGet(t);
    assert.equal(r.status, 400, `${t} -> ${r.all.slice(0, 120)}`);
    assert.ok(!r.all.includes(SECRET), t);
  }
  // Targets that are not a path at all; the HTTP parser or serveDir refuses them.
  for (const t of ["http://x/../secret.txt", "*", "secret.txt", "../secret.txt"]) {
    const r = await rawGet(t);
    assert.ok(r.status >= 400 && r.status < 500, `${t} -> ${r.status}`);
    assert.ok(!r.all.includes(SECRET), t);
  }
});

test("curl --path-as-is with .. and encoded dots", async () => {
  for (const p of ["/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt", "/static/..%2f..%2fsecret.txt"]) {
    const r = await curl(["--path-as-is", "-i", `${srv.url}${p}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^HTTP\/1\.1 400 /, p);
    assert.ok(!r.stdout.includes(SECRET), p);
  }
});

test("symlinks leading out of the root are refused (403); symlinks inside it work", async () => {
  for (const t of ["/link-out.txt", "/abs-link-out.txt", "/link-dir/secret2.txt", "/link-dir/", "/link-dir"]) {
    const r = await rawGet(t);
    assert.equal(r.status, 403, `${t} -> ${r.all.slice(0, 120)}`);
    assert.ok(!r.all.includes(SECRET), t);
  }
  assert.equal((await rawGet("/link-in.txt")).body, "small file\n");
  const fs = await import("node:fs");
  fs.symlinkSync("pic.png", `${site.root}/pic-alias.css`);
  const typed = await rawExchange(srv.port, "GET /pic-alias.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  assert.equal(parseResponses(typed.data)[0]!.headers.get("content-type"), "text/css; charset=utf-8", "type from the requested name");
  assert.equal((await rawGet("/link-sub/a.txt")).body, "a in sub\n");
  assert.equal((await rawGet("/alias/a.txt")).body, "a in sub\n");
});

test("a root that is itself a symlink serves its target; an index.html leading out is refused", async () => {
  const fs = await import("node:fs");
  const path = await import("node:path");
  const linkRoot = path.join(site.base, "root-link");
  fs.symlinkSync(site.root, linkRoot);
  const evil = path.join(site.root, "evil");
  fs.mkdirSync(evil);
  fs.symlinkSync(site.secretPath, path.join(evil, "index.html"));
  const s2 = startServer((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) c.serveDir(data, linkRoot); });
  try {
    const r = await curl([`${s2.url}/small.txt`]);
    assert.equal(r.stdout, "small file\n");
    const e = await curl(["-i", `${s2.url}/evil/`]);
    assert.match(e.stdout, /^HTTP\/1\.1 403 /);
    assert.ok(!e.stdout.includes(SECRET));
  } finally { await s2.stop(); }
});

test("special files are not opened: a FIFO in the root is refused without blocking", async () => {
  const { execFileSync } = await import("node:child_process");
  execFileSync("mkfifo", [`${site.root}/fifo`]);
  const r = await rawGet("/fifo");
  assert.equal(r.status, 403);
  // The server still answers.
  assert.equal((await rawGet("/small.txt")).body, "small file\n");
});

test("a missing root gives 404 for everything, not a crash", async () => {
  const s3 = startServer((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) c.serveDir(data, `${site.base}/does-not-exist`); });
  try {
    const r = await curl(["-s", "-o", "/dev/null", "-w", "%{http_code}", `${s3.url}/x.txt`]);
    assert.equal(r.stdout, "404");
  } finally { await s3.stop(); }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
