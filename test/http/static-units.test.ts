// Unit tests of the static file helpers: MIME lookup, URI decoding, rootDir mappings,
// Range parsing and preconditions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mimeType, parseMimeOverrides, DEFAULT_MIME_TYPE } from "../../src/http/mime.js";
import { BadPath, decodeUriPath, parseRootDir, matchRoot, isInside } from "../../src/http/static-path.js";
import { parseRange, checkPreconditions, etagOf, RANGE_NONE, RANGE_UNSATISFIABLE } from "../../src/http/static-conditional.js";
import { escapeHtml } from "../../src/http/static-listing.js";
import type { HttpMessage } from "../../src/index.js";
import { leakCheckAfterAll } from "../helpers.js";

function fakeMsg(h: Record<string, string>): HttpMessage {
  const lower = new Map(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  return { header: (n: string) => lower.get(n.toLowerCase()) } as unknown as HttpMessage;
}

test("mimeType: table, case, paths, dot files, overrides incl. compound and whole-name", () => {
  assert.equal(mimeType("/a/b/index.HTML"), "text/html; charset=utf-8");
  assert.equal(mimeType("x.woff"), "font/woff");
  assert.equal(mimeType("x.otf"), "font/otf");
  assert.equal(mimeType("x.webp"), "image/webp");
  assert.equal(mimeType("x.avif"), "image/avif");
  assert.equal(mimeType("x.ico"), "image/vnd.microsoft.icon");
  assert.equal(mimeType("x.webm"), "video/webm");
  assert.equal(mimeType("x.mp3"), "audio/mpeg");
  assert.equal(mimeType("x.ogg"), "audio/ogg");
  assert.equal(mimeType("x.zip"), "application/zip");
  assert.equal(mimeType("x.7z"), "application/x-7z-compressed");
  assert.equal(mimeType("x.pdf"), "application/pdf");
  assert.equal(mimeType("x.mjs"), "text/javascript; charset=utf-8");
  assert.equal(mimeType("x.webmanifest"), "application/manifest+json; charset=utf-8");
  assert.equal(mimeType("x.xml"), "application/xml; charset=utf-8");
  assert.equal(mimeType("x.csv"), "text/csv; charset=utf-8");
  assert.equal(mimeType("x.svgz"), "image/svg+xml");
  assert.equal(mimeType("x.unknownext"), DEFAULT_MIME_TYPE);
  assert.equal(mimeType("/dir.d/noext"), DEFAULT_MIME_TYPE);
  assert.equal(mimeType(".htaccess"), DEFAULT_MIME_TYPE);
  assert.equal(mimeType("trailingdot."), DEFAULT_MIME_TYPE);
  const o = parseMimeOverrides({ ".Foo": "application/x-foo", "tar.gz": "application/x-tgz", "Makefile": "text/x-make" });
  assert.equal(mimeType("a.FOO", o), "application/x-foo");
  assert.equal(mimeType("a.tar.gz", o), "application/x-tgz");
  assert.equal(mimeType("a.gz", o), "application/gzip");
  assert.equal(mimeType("/src/Makefile", o), "text/x-make");
  assert.equal(mimeType("a.html", o), "text/html; charset=utf-8");
  const s = parseMimeOverrides("html=text/x-mine , js=application/x-js,");
  assert.equal(mimeType("a.html", s), "text/x-mine");
  assert.equal(mimeType("a.js", s), "application/x-js");
  assert.equal(parseMimeOverrides("a=b"), parseMimeOverrides("a=b"), "string forms are cached");
  assert.throws(() => parseMimeOverrides("nonsense"), /ext=type/);
  assert.throws(() => parseMimeOverrides({ x: "text/plain\r\nX-Evil: 1" }), /bad type/);
  assert.throws(() => parseMimeOverrides("=text/plain"), /empty/);
});

test("decodeUriPath: segments, percent-decoding, refusals", () => {
  assert.deepEqual(decodeUriPath("/"), []);
  assert.deepEqual(decodeUriPath("/a//b/"), ["a", "b"]);
  assert.deepEqual(decodeUriPath("/caf%C3%A9/a%20b+c"), ["café", "a b+c"]);
  assert.deepEqual(decodeUriPath("/...x/..a/a.."), ["...x", "..a", "a.."], "dots inside names are fine");
  for (const bad of ["", "x", "/..", "/a/../b", "/%2e%2E", "/a%2fb", "/a%5Cb", "/a\\b", "/a%00", "/%", "/%4", "/%g0", "/%ff", "/%c0%af", "/.", "/a/./b", "/\x01"]) {
    const r = decodeUriPath(bad);
    assert.ok(r instanceof BadPath, JSON.stringify(bad));
    assert.equal(r.status, 400);
  }
  // The head is latin1: raw UTF-8 bytes arrive as latin1 chars and decode as UTF-8.
  assert.deepEqual(decodeUriPath(Buffer.from("/café", "utf8").toString("latin1")), ["café"]);
});

test("parseRootDir / matchRoot: longest prefix on segment boundaries; plain dirs map /", () => {
  const m = parseRootDir("/=./site, /static=./public,/static/img=./images");
  assert.equal(matchRoot(m, ["static", "img", "a.png"])!.dir, "./images");
  assert.equal(matchRoot(m, ["static", "a.css"])!.dir, "./public");
  assert.equal(matchRoot(m, ["staticx"])!.dir, "./site");
  assert.equal(matchRoot(m, [])!.dir, "./site");
  assert.deepEqual(matchRoot(m, ["static", "img"])!.prefix, ["static", "img"]);
  assert.equal(matchRoot(parseRootDir("./only"), ["x"])!.dir, "./only");
  assert.equal(matchRoot(parseRootDir("/api=./x"), ["other"]), undefined);
  assert.equal(matchRoot(parseRootDir("static/=./p"), ["static", "a"])!.dir, "./p", "prefix without leading slash, trailing slash");
  assert.throws(() => parseRootDir(""), /rootDir/);
  assert.throws(() => parseRootDir("/x="), /empty directory/);
  assert.throws(() => parseRootDir("/../x=./p"), /bad URI prefix/);
});

test("isInside: the root itself and what is under it, not siblings with a common prefix", () => {
  assert.ok(isInside("/srv/www", "/srv/www"));
  assert.ok(isInside("/srv/www", "/srv/www/a/b"));
  assert.ok(!isInside("/srv/www", "/srv/www2/a"));
  assert.ok(!isInside("/srv/www", "/srv"));
  assert.ok(isInside("/", "/etc/passwd"));
});

test("parseRange and checkPreconditions", () => {
  const e = etagOf({ size: 1000, mtimeMs: 1_700_000_000_123 });
  const t = 1_700_000_000_123;
  const r = (h: string, size = 1000) => parseRange(fakeMsg({ Range: h }), size, e, t);
  assert.deepEqual(r("bytes=0-0"), { start: 0, end: 0 });
  assert.deepEqual(r("Bytes = 10 - 20"), { start: 10, end: 20 });
  assert.deepEqual(r("bytes=990-"), { start: 990, end: 999 });
  assert.deepEqual(r("bytes=-1"), { start: 999, end: 999 });
  assert.deepEqual(r("bytes=-5000"), { start: 0, end: 999 });
  assert.deepEqual(r("bytes=500-5000"), { start: 500, end: 999 });
  assert.equal(r("bytes=1000-"), RANGE_UNSATISFIABLE);
  assert.equal(r("bytes=-0"), RANGE_UNSATISFIABLE);
  assert.equal(r("bytes=0-", 0), RANGE_UNSATISFIABLE);
  assert.equal(r("bytes=-5", 0), RANGE_UNSATISFIABLE);
  for (const bad of ["bytes=", "bytes=-", "bytes=a-b", "bytes=5-4", "bytes 0-1", "bits=0-1", "bytes=1.5-2"]) {
    assert.equal(r(bad), RANGE_NONE, bad);
  }
  // Several ranges (static-range-multi.test.ts): touching ones coalesce into one.
  assert.deepEqual(r("bytes=0-1,2-3"), { start: 0, end: 3 });
  assert.deepEqual(r("bytes=0-1,5-6"), [{ start: 0, end: 1 }, { start: 5, end: 6 }]);
  assert.equal(parseRange(fakeMsg({}), 10, e, t), RANGE_NONE);
  const pre = (h: Record<string, string>) => checkPreconditions(fakeMsg(h), e, t);
  assert.equal(pre({}), 0);
  assert.equal(pre({ "If-None-Match": e }), 304);
  assert.equal(pre({ "If-None-Match": `"a", ${e}` }), 304);
  assert.equal(pre({ "If-None-Match": '"a"' }), 0);
  assert.equal(pre({ "If-Modified-Since": new Date(t).toUTCString() }), 304);
  assert.equal(pre({ "If-Modified-Since": new Date(t - 1000).toUTCString() }), 0);
  assert.equal(pre({ "If-Match": "*" }), 0);
  assert.equal(pre({ "If-Match": '"a"' }), 412);
  assert.equal(pre({ "If-Unmodified-Since": new Date(t - 1000).toUTCString() }), 412);
  assert.equal(pre({ "If-Unmodified-Since": "nonsense" }), 0);
});

test("escapeHtml", () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
