import { test } from "node:test";
import assert from "node:assert/strict";
import { httpCreds, HttpMessage, MG_EV_HTTP_MSG, type HttpCreds } from "../../src/index.js";
import { parseHead, headOf, HttpParseError } from "../../src/http/parser.js";
import { startServer, curl, leakCheckAfterAll } from "../helpers.js";

/** A request message parsed from raw head lines. */
function request(target: string, headers: string[] = []): HttpMessage {
  const raw = Buffer.from(`GET ${target} HTTP/1.1\r\nHost: x\r\n${headers.map((h) => h + "\r\n").join("")}\r\n`);
  const h = parseHead(raw, false, 16384, 100);
  if (h === 0 || h instanceof HttpParseError) throw new Error("test request did not parse");
  return new HttpMessage(h.method, h.uri, h.query, h.proto, raw, Buffer.alloc(0), headOf(h), h.hdr, false);
}

const b64 = (s: string): string => Buffer.from(s).toString("base64");
const none: HttpCreds = { user: "", pass: "" };

test("Basic credentials give user and password (RFC 7617)", () => {
  assert.deepEqual(httpCreds(request("/", [`Authorization: Basic ${b64("alice:s3cret")}`])), { user: "alice", pass: "s3cret" });
  assert.deepEqual(httpCreds(request("/", [`Authorization: Basic ${b64("bob:pa:ss:word")}`])), { user: "bob", pass: "pa:ss:word" });
  assert.deepEqual(httpCreds(request("/", [`Authorization: Basic ${b64("solo")}`])), { user: "solo", pass: "" });
  assert.deepEqual(httpCreds(request("/", [`Authorization: Basic ${b64(":onlypass")}`])), { user: "", pass: "onlypass" });
  assert.deepEqual(httpCreds(request("/", [`Authorization: basic ${b64("u:p")}`])), { user: "u", pass: "p" }, "scheme is case-insensitive");
  assert.deepEqual(httpCreds(request("/", [`Authorization: Basic ${b64("zoë:pässword")}`])), { user: "zoë", pass: "pässword" });
});

test("Bearer tokens give an empty user and the token as password (RFC 6750)", () => {
  assert.deepEqual(httpCreds(request("/", ["Authorization: Bearer abc.def-ghi_123"])), { user: "", pass: "abc.def-ghi_123" });
  assert.deepEqual(httpCreds(request("/", ["Authorization: BEARER tok"])), { user: "", pass: "tok" });
});

test("an access_token cookie or query variable is a token", () => {
  assert.deepEqual(httpCreds(request("/", ["Cookie: theme=dark; access_token=cookie-tok; x=1"])), { user: "", pass: "cookie-tok" });
  assert.deepEqual(httpCreds(request("/api?x=1&access_token=q%20tok")), { user: "", pass: "q tok" });
  assert.deepEqual(httpCreds(request("/api?access_token=q", ["Cookie: session=1"])), { user: "", pass: "q" }, "a cookie without the token does not hide the query");
});

test("the Authorization header comes first, then the cookie, then the query", () => {
  assert.deepEqual(httpCreds(request("/?access_token=q", ["Cookie: access_token=c", "Authorization: Bearer h"])), { user: "", pass: "h" });
  assert.deepEqual(httpCreds(request("/?access_token=q", ["Cookie: access_token=c"])), { user: "", pass: "c" });
});

test("no credentials, or unusable ones, give empty user and password", () => {
  assert.deepEqual(httpCreds(request("/")), none);
  assert.deepEqual(httpCreds(request("/?token=x", ["Cookie: a=b"])), none);
  for (const v of ["Basic", "Basic ", "Basic !!!notbase64", "Basic Zm9v=YmFy", "Bearer", "Bearer ", "Digest username=\"u\"", "Basicdx", "Token abc"]) {
    assert.deepEqual(httpCreds(request("/", [`Authorization: ${v}`])), none, v);
  }
  // A broken Authorization header still lets a cookie or query token through.
  assert.deepEqual(httpCreds(request("/?access_token=q", ["Authorization: Basic !!!"])), { user: "", pass: "q" });
  assert.deepEqual(httpCreds(request("/?access_token=")), none);
});

test("credentials sent by curl and fetch reach the handler", async () => {
  const seen: HttpCreds[] = [];
  const srv = startServer((conn, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) {
      const creds = httpCreds(data);
      seen.push(creds);
      if (creds.user === "admin" && creds.pass === "p@ss:w0rd") conn.reply(200, "welcome");
      else conn.reply(401, "denied", { "WWW-Authenticate": 'Basic realm="test"' });
    }
  });
  try {
    const ok = await curl(["-u", "admin:p@ss:w0rd", "-w", " %{http_code}", `${srv.url}/`]);
    assert.equal(ok.stdout, "welcome 200");
    const bad = await curl(["-u", "admin:wrong", "-w", " %{http_code}", `${srv.url}/`]);
    assert.equal(bad.stdout, "denied 401");
    await (await fetch(`${srv.url}/x`, { headers: { Authorization: "Bearer fetch-token" } })).text();
    await (await fetch(`${srv.url}/x?access_token=query-token`)).text();
    await curl(["--cookie", "access_token=cookie-token", `${srv.url}/`]);
    assert.deepEqual(seen, [
      { user: "admin", pass: "p@ss:w0rd" }, { user: "admin", pass: "wrong" },
      { user: "", pass: "fetch-token" }, { user: "", pass: "query-token" }, { user: "", pass: "cookie-token" },
    ]);
  } finally {
    await srv.stop();
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
