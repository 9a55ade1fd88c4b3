import { test } from "node:test";
import assert from "node:assert/strict";
import { httpVar, MG_EV_HTTP_MSG } from "../../src/index.js";
import { startServer, leakCheckAfterAll } from "../helpers.js";

test("finds variables in a query string and decodes them", () => {
  const q = "a=1&name=two%20words&plus=x+y&empty=&utf=%C3%A9t%C3%A9&flag";
  assert.equal(httpVar(q, "a"), "1");
  assert.equal(httpVar(q, "name"), "two words");
  assert.equal(httpVar(q, "plus"), "x y");
  assert.equal(httpVar(q, "empty"), "");
  assert.equal(httpVar(q, "utf"), "été");
  assert.equal(httpVar(q, "flag"), "", "a variable without = is empty");
  assert.equal(httpVar(q, "missing"), undefined);
  assert.equal(httpVar(q, ""), undefined);
});

test("names must match whole keys, case-sensitively; the first occurrence wins", () => {
  assert.equal(httpVar("xa=1&a=2", "a"), "2");
  assert.equal(httpVar("ab=1", "a"), undefined);
  assert.equal(httpVar("a=1", "ab"), undefined);
  assert.equal(httpVar("A=1&a=2", "a"), "2");
  assert.equal(httpVar("a=1&a=2", "a"), "1");
  assert.equal(httpVar("a=x=y", "a"), "x=y", "only the first = separates");
});

test("encoded keys match their decoded name", () => {
  assert.equal(httpVar("first%20name=Ann&b=2", "first name"), "Ann");
  assert.equal(httpVar("x+y=3", "x y"), "3");
  assert.equal(httpVar("caf%C3%A9=1", "café"), "1");
});

test("malformed escapes are kept as written instead of losing the value", () => {
  assert.equal(httpVar("p=100%", "p"), "100%");
  assert.equal(httpVar("p=%zz%41", "p"), "%zzA");
  assert.equal(httpVar("p=%4", "p"), "%4");
});

test("empty segments and odd separators do no harm", () => {
  assert.equal(httpVar("&&a=1&&", "a"), "1");
  assert.equal(httpVar("=1&a=2", "a"), "2");
  assert.equal(httpVar("", "a"), undefined);
  assert.equal(httpVar("&", "a"), undefined);
  assert.equal(httpVar("=", "a"), undefined);
});

test("bodies as bytes, with raw UTF-8", () => {
  const body = Buffer.from("name=J%C3%BCrgen&city=Köln&n=1");
  assert.equal(httpVar(body, "name"), "Jürgen");
  assert.equal(httpVar(body, "city"), "Köln");
  assert.equal(httpVar(new Uint8Array(body), "n"), "1");
  assert.equal(httpVar(Buffer.from("stadt=1&K%C3%B6ln=2").subarray(8), "Köln"), "2");
});

test("queryVar and a form body from a real client (fetch)", async () => {
  const seen: Record<string, string | undefined> = {};
  const srv = startServer((conn, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) {
      seen.q = data.queryVar("q");
      seen.lang = data.queryVar("lang");
      seen.user = httpVar(data.bodyBytes, "user");
      seen.note = httpVar(data.bodyBytes, "note");
      conn.reply(200, "ok");
    }
  });
  try {
    const form = new URLSearchParams({ user: "zoë & co", note: "100% = a+b" });
    const res = await fetch(`${srv.url}/search?q=hello%20world&lang=fr`, { method: "POST", body: form });
    assert.equal(await res.text(), "ok");
    assert.deepEqual(seen, { q: "hello world", lang: "fr", user: "zoë & co", note: "100% = a+b" });
  } finally {
    await srv.stop();
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
