// serveDir / serveFile: full files, HEAD, MIME types, index.html, listings, redirects,
// page404, prefix mappings, methods, extraHeaders. Real peers: curl, fetch, raw sockets.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { MG_EV_HTTP_MSG, type EventHandler, type ServeOptions } from "../../src/index.js";
import { startServer, curl, rawExchange, leakCheckAfterAll } from "../helpers.js";
import { makeSite, parseResponses, sha256, BIG_SIZE, SECRET, type RawResponse } from "./static-fixture.js";

const site = makeSite();
after(() => site.cleanup());

function dirServer(root: string, opts?: ServeOptions) {
  const h: EventHandler = (c, ev, data) => { if (ev === MG_EV_HTTP_MSG) c.serveDir(data, root, opts); };
  return startServer(h);
}

/** curl -i: status, lower-case headers, body. */
async function get(url: string, args: string[] = []): Promise<RawResponse> {
  const r = await curl(["-i", ...args, url]);
  assert.equal(r.code, 0, r.stderr);
  const rs = parseResponses(r.stdoutBytes, [args.includes("-I")]);
  // With -L, curl prints every response it followed.
  if (!args.includes("-L")) assert.equal(rs.length, 1, `one response expected, got ${rs.length}`);
  return rs[rs.length - 1]!;
}

test("a multi-MB file arrives whole (curl, sha256) with validators and Accept-Ranges", async () => {
  const srv = dirServer(site.root);
  try {
    const r = await curl(["-D", "-", "-o", path.join(site.base, "big.out"), `${srv.url}/big.bin`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(r.stdout, new RegExp(`\r\nContent-Length: ${BIG_SIZE}\r\n`));
    assert.match(r.stdout, /\r\nContent-Type: application\/octet-stream\r\n/);
    assert.match(r.stdout, /\r\nETag: "[0-9a-f]+-[0-9a-f]+"\r\n/);
    assert.match(r.stdout, /\r\nLast-Modified: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
    assert.match(r.stdout, /\r\nAccept-Ranges: bytes\r\n/);
    const { readFileSync } = await import("node:fs");
    assert.equal(sha256(readFileSync(path.join(site.base, "big.out"))), sha256(site.big));
    // And through Node's fetch.
    const f = await fetch(`${srv.url}/big.bin`);
    assert.equal(f.status, 200);
    assert.equal(sha256(Buffer.from(await f.arrayBuffer())), sha256(site.big));
  } finally { await srv.stop(); }
});

test("small and empty files, HEAD has the headers with the real Content-Length and no body", async () => {
  const srv = dirServer(site.root);
  try {
    const s = await get(`${srv.url}/small.txt`);
    assert.equal(s.status, 200);
    assert.equal(s.body.toString(), "small file\n");
    assert.equal(s.headers.get("content-type"), "text/plain; charset=utf-8");
    const e = await get(`${srv.url}/empty.txt`);
    assert.equal(e.status, 200);
    assert.equal(e.headers.get("content-length"), "0");
    assert.equal(e.body.length, 0);
    // HEAD on a big file, then GET on the same connection: no stray body bytes between.
    const raw = await rawExchange(srv.port, "HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const rs = parseResponses(raw.data, [true, false]);
    assert.equal(rs.length, 2);
    assert.equal(rs[0]!.status, 200);
    assert.equal(rs[0]!.headers.get("content-length"), String(BIG_SIZE));
    assert.equal(rs[0]!.body.length, 0);
    assert.equal(rs[1]!.body.toString(), "small file\n");
    assert.equal(raw.data.length, rs[0]!.head.length + 4 + rs[1]!.head.length + 4 + 11, "HEAD sent no body");
    const h = await get(`${srv.url}/small.txt`, ["-I"]);
    assert.equal(h.headers.get("content-length"), "11");
  } finally { await srv.stop(); }
});

test("MIME types: built-in table, charset for text, octet-stream for unknown, overrides (object and string)", async () => {
  const expect: Record<string, string> = {
    "index.html": "text/html; charset=utf-8", "UPPER.HTML": "text/html; charset=utf-8",
    "styles.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
    "data.json": "application/json; charset=utf-8", "pic.png": "image/png",
    "logo.svg": "image/svg+xml; charset=utf-8", "font.woff2": "font/woff2", "mod.wasm": "application/wasm",
    "video.mp4": "video/mp4", "notes.md": "text/markdown; charset=utf-8",
    "thing.xyz": "application/octet-stream", "noext": "application/octet-stream", "arch.tar.gz": "application/gzip",
  };
  let srv = dirServer(site.root);
  try {
    for (const [name, type] of Object.entries(expect)) {
      const r = await fetch(`${srv.url}/${name}`);
      assert.equal(r.status, 200, name);
      assert.equal(r.headers.get("content-type"), type, name);
      await r.arrayBuffer();
    }
  } finally { await srv.stop(); }
  for (const mimeTypes of [{ xyz: "application/x-xyz", ".MD": "text/x-md", "tar.gz": "application/x-tgz" }, "xyz=application/x-xyz, md=text/x-md,tar.gz=application/x-tgz"]) {
    srv = dirServer(site.root, { mimeTypes });
    try {
      for (const [name, type] of [["thing.xyz", "application/x-xyz"], ["notes.md", "text/x-md"], ["arch.tar.gz", "application/x-tgz"], ["pic.png", "image/png"]]) {
        const r = await fetch(`${srv.url}/${name}`);
        assert.equal(r.headers.get("content-type"), type, `${name} with ${JSON.stringify(mimeTypes)}`);
        await r.arrayBuffer();
      }
    } finally { await srv.stop(); }
  }
});

test("directories: index.html, 301 to add the slash (query kept), listing with escaped names", async () => {
  const srv = dirServer(site.root);
  try {
    const idx = await get(`${srv.url}/`);
    assert.equal(idx.body.toString(), "<h1>root index</h1>\n");
    const sub = await get(`${srv.url}/withindex/`);
    assert.equal(sub.body.toString(), "<p>sub index</p>\n");
    assert.equal(sub.headers.get("content-type"), "text/html; charset=utf-8");
    const red = await get(`${srv.url}/withindex?x=1&y=%2F`);
    assert.equal(red.status, 301);
    assert.equal(red.headers.get("location"), "/withindex/?x=1&y=%2F");
    const red2 = await get(`${srv.url}/sub/deeper`);
    assert.equal(red2.headers.get("location"), "/sub/deeper/");
    // "//sub" must not redirect to "//sub/" (a protocol-relative URL: another host).
    const red3 = await rawExchange(srv.port, "GET //sub HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(parseResponses(red3.data)[0]!.headers.get("location"), "/sub/");
    const followed = await get(`${srv.url}/withindex`, ["-L"]);
    assert.equal(followed.status, 200);

    const list = await get(`${srv.url}/sub/`);
    assert.equal(list.status, 200);
    assert.equal(list.headers.get("content-type"), "text/html; charset=utf-8");
    const html = list.body.toString();
    assert.match(html, /<title>Index of \/sub\/<\/title>/);
    assert.ok(html.includes(">a.txt</a>"), html);
    assert.ok(html.includes('href="./a.txt"'));
    assert.ok(html.includes('href="./deeper/">deeper/</a>'), "directories link with a slash");
    assert.ok(html.indexOf("deeper/") < html.indexOf("a.txt"), "directories first");
    assert.ok(html.includes('href="../"'));
    assert.ok(html.includes("&lt;script&gt;.txt"), "name escaped in text");
    assert.ok(!html.includes("<script>"), "no raw <script> anywhere");
    assert.ok(html.includes('href="./%3Cscript%3E.txt"'), "name percent-encoded in the link");
    assert.ok(html.includes("a&quot;b&amp;c&#39;.txt"));
    assert.ok(html.includes('href="./a%22b%26c\'.txt"'.replace("'", "&#39;")));
    assert.match(html, /<td class="size">9<\/td><td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d<\/td>/, "size and date of a.txt");
    // The links work.
    const viaLink = await get(`${srv.url}/sub/%3Cscript%3E.txt`);
    assert.equal(viaLink.body.toString(), "x");
    const quoted = await get(`${srv.url}/sub/a%22b%26c'.txt`);
    assert.equal(quoted.body.toString(), "y");
    // HEAD of a listing: headers only.
    const lh = await get(`${srv.url}/sub/`, ["-I"]);
    assert.equal(lh.status, 200);
    assert.ok(Number(lh.headers.get("content-length")) > 100);
  } finally { await srv.stop(); }
  const off = dirServer(site.root, { dirListing: false });
  try {
    assert.equal((await get(`${off.url}/sub/`)).status, 403);
    assert.equal((await get(`${off.url}/withindex/`)).status, 200);
  } finally { await off.stop(); }
});

test("names with spaces, UTF-8 and plus; a file URI with a trailing slash is not found", async () => {
  const srv = dirServer(site.root);
  try {
    assert.equal((await get(`${srv.url}/hello%20world.txt`)).body.toString(), "spaces\n");
    assert.equal((await get(`${srv.url}/caf%C3%A9.txt`)).body.toString(), "utf-8 name\n");
    assert.equal((await get(`${srv.url}/a+b.txt`)).body.toString(), "plus\n");
    assert.equal((await get(`${srv.url}/small.txt/`)).status, 404);
    assert.equal((await get(`${srv.url}/small.txt/x`)).status, 404);
    assert.equal((await get(`${srv.url}/nope/deeper.txt`)).status, 404);
    assert.equal((await get(`${srv.url}/dangling.txt`)).status, 404);
  } finally { await srv.stop(); }
});

test("page404 is served with status 404 (and its own type); a plain 404 without it or when it is missing", async () => {
  let srv = dirServer(site.root, { page404: site.page404 });
  try {
    const r = await get(`${srv.url}/missing.txt`);
    assert.equal(r.status, 404);
    assert.equal(r.body.toString(), "<h1>custom not found</h1>\n");
    assert.equal(r.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(r.headers.get("etag"), undefined, "no validators on an error page");
    const h = await get(`${srv.url}/missing.txt`, ["-I"]);
    assert.equal(h.status, 404);
    assert.equal(h.headers.get("content-length"), "26");
    // Range does not apply to the error page.
    const rr = await get(`${srv.url}/missing.txt`, ["-r", "0-3"]);
    assert.equal(rr.status, 404);
    assert.equal(rr.body.length, 26);
  } finally { await srv.stop(); }
  srv = dirServer(site.root);
  try {
    const r = await get(`${srv.url}/missing.txt`);
    assert.equal(r.status, 404);
    assert.equal(r.body.toString(), "Not Found\n");
  } finally { await srv.stop(); }
  srv = dirServer(site.root, { page404: path.join(site.base, "no-such-404.html") });
  try {
    const r = await get(`${srv.url}/missing.txt`);
    assert.equal(r.status, 404);
    assert.equal(r.body.toString(), "Not Found\n");
  } finally { await srv.stop(); }
});

test("rootDir prefix mappings: longest prefix wins on segment boundaries; the prefix is replaced by its folder", async () => {
  const srv = dirServer(`/=${site.site},/static=${site.root}`);
  try {
    assert.equal((await get(`${srv.url}/static/small.txt`)).body.toString(), "small file\n");
    assert.equal((await get(`${srv.url}/static/sub/a.txt`)).body.toString(), "a in sub\n");
    assert.equal((await get(`${srv.url}/static/`)).body.toString(), "<h1>root index</h1>\n");
    const red = await get(`${srv.url}/static`);
    assert.equal(red.status, 301);
    assert.equal(red.headers.get("location"), "/static/");
    assert.equal((await get(`${srv.url}/`)).body.toString(), "<h1>site index</h1>\n");
    assert.equal((await get(`${srv.url}/page.html`)).body.toString(), "site page\n");
    assert.equal((await get(`${srv.url}/staticx/file.txt`)).body.toString(), "not under /static\n");
    assert.equal((await get(`${srv.url}/small.txt`)).status, 404, "the public folder is only under /static");
    // Percent-decoding happens before mapping.
    assert.equal((await get(`${srv.url}/%73tatic/small.txt`)).body.toString(), "small file\n");
  } finally { await srv.stop(); }
  // Only a prefix: everything else is not found; a plain dir entry maps "/".
  const only = dirServer(`/files=${site.root}`);
  try {
    assert.equal((await get(`${only.url}/files/small.txt`)).status, 200);
    assert.equal((await get(`${only.url}/small.txt`)).status, 404);
  } finally { await only.stop(); }
  const plainDir = dirServer(`${site.site}, /static=${site.root}`);
  try {
    assert.equal((await get(`${plainDir.url}/page.html`)).status, 200);
    assert.equal((await get(`${plainDir.url}/static/small.txt`)).status, 200);
    // Appended as in Mongoose: /static/shadow.txt is not looked up under the plain root.
    assert.equal((await get(`${plainDir.url}/static/shadow.txt`)).status, 404);
  } finally { await plainDir.stop(); }
  // A relative root (resolved against the working directory).
  const rel = dirServer(path.relative(process.cwd(), site.root));
  try {
    assert.equal((await get(`${rel.url}/small.txt`)).status, 200);
  } finally { await rel.stop(); }
});

test("only GET and HEAD: other methods get 405 with Allow, and the connection stays usable", async () => {
  const srv = dirServer(site.root);
  try {
    const raw = await rawExchange(srv.port,
      "POST /small.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" +
      "DELETE /small.txt HTTP/1.1\r\nHost: x\r\n\r\n" +
      "GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const rs = parseResponses(raw.data);
    assert.deepEqual(rs.map((r) => r.status), [405, 405, 200]);
    assert.equal(rs[0]!.headers.get("allow"), "GET, HEAD");
    assert.equal(rs[2]!.body.toString(), "small file\n");
  } finally { await srv.stop(); }
});

test("extraHeaders (string or object) go on files, 304s, redirects and 404s; may set Content-Type; HTTP/1.0", async () => {
  for (const extraHeaders of ["Cache-Control: max-age=3600\r\nX-Test: yes", { "Cache-Control": "max-age=3600", "X-Test": "yes" }]) {
    const srv = dirServer(site.root, { extraHeaders });
    try {
      const ok = await get(`${srv.url}/small.txt`);
      assert.equal(ok.headers.get("cache-control"), "max-age=3600");
      assert.equal(ok.headers.get("x-test"), "yes");
      const nm = await get(`${srv.url}/small.txt`, ["-H", `If-None-Match: ${ok.headers.get("etag")}`]);
      assert.equal(nm.status, 304);
      assert.equal(nm.headers.get("x-test"), "yes");
      assert.equal((await get(`${srv.url}/sub`)).headers.get("x-test"), "yes");
      assert.equal((await get(`${srv.url}/nope`)).headers.get("x-test"), "yes");
    } finally { await srv.stop(); }
  }
  const typed = dirServer(site.root, { extraHeaders: { "Content-Type": "text/x-custom" } });
  try {
    const r = await get(`${typed.url}/small.txt`);
    assert.equal(r.headers.get("content-type"), "text/x-custom");
    assert.equal(r.head.match(/content-type/gi)?.length, 1);
    // HTTP/1.0: the answer, then the server closes.
    const raw = await rawExchange(typed.port, "GET /small.txt HTTP/1.0\r\n\r\n", { idleMs: 3000 });
    assert.ok(raw.closed);
    assert.equal(parseResponses(raw.data)[0]!.body.toString(), "small file\n");
  } finally { await typed.stop(); }
});

test("bad options: a 500 for the client and an error for the programmer", async () => {
  const errors: unknown[] = [];
  const srv = dirServer(site.root, { extraHeaders: { "Content-Length": "5" } });
  srv.manager.errorHandler = (e) => errors.push(e);
  try {
    const r = await get(`${srv.url}/small.txt`);
    assert.equal(r.status, 500);
    assert.match(String(errors[0]), /Content-Length/);
  } finally { await srv.stop(); }
  const bad = dirServer(site.root, { extraHeaders: { "X-Bad": "a\r\nInjected: 1" } });
  bad.manager.errorHandler = (e) => errors.push(e);
  try {
    const r = await get(`${bad.url}/small.txt`);
    assert.equal(r.status, 500);
    assert.equal(r.headers.get("injected"), undefined);
  } finally { await bad.stop(); }
});

test("serveFile: one file with Range and validators; missing file or directory is 404 (or page404)", async () => {
  const srv = startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    if (data.uri === "/favicon.ico") c.serveFile(data, path.join(site.root, "pic.png"), { mimeTypes: "png=image/x-icon" });
    else if (data.uri === "/big") c.serveFile(data, path.join(site.root, "big.bin"));
    else if (data.uri === "/dir") c.serveFile(data, site.root);
    else if (data.uri === "/link") c.serveFile(data, path.join(site.root, "link-in.txt"));
    else c.serveFile(data, path.join(site.root, "missing"), { page404: site.page404 });
  });
  try {
    const f = await get(`${srv.url}/favicon.ico`);
    assert.equal(f.status, 200);
    assert.equal(f.headers.get("content-type"), "image/x-icon");
    assert.deepEqual(f.body, Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const b = await get(`${srv.url}/big`, ["-r", "100-199"]);
    assert.equal(b.status, 206);
    assert.deepEqual(b.body, site.big.subarray(100, 200));
    const full = await curl([`${srv.url}/big`]);
    assert.equal(sha256(full.stdoutBytes), sha256(site.big));
    assert.equal((await get(`${srv.url}/dir`)).status, 404);
    assert.equal((await get(`${srv.url}/link`)).body.toString(), "small file\n");
    const m = await get(`${srv.url}/whatever`);
    assert.equal(m.status, 404);
    assert.equal(m.body.toString(), "<h1>custom not found</h1>\n");
    assert.ok(!m.body.toString().includes(SECRET));
  } finally { await srv.stop(); }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
