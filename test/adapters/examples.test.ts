// The adapter examples (examples/adapters/*.ts), run as programs and exercised with
// Node's fetch and curl.
import { test } from "node:test";
import assert from "node:assert/strict";
import { curl, leakCheckAfterAll } from "../helpers.js";
import { startExample } from "../examples/spawn.js";

test("examples/adapters/fetch-app: routes, JSON in and out, a streamed countdown, errors", async () => {
  const s = await startExample("adapters/fetch-app", ["http://127.0.0.1:0"], { COUNTDOWN_MS: "20" });
  try {
    const home = await fetch(s.url);
    assert.match(await home.text(), /^tsmongoose \+ fetch/);
    const hello = await fetch(`${s.url}/api/hello?name=tester`);
    assert.deepEqual(await hello.json(), { hello: "tester", from: "127.0.0.1" });
    const echo = await fetch(`${s.url}/api/echo`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"a":[1,2]}' });
    assert.equal(echo.status, 201);
    assert.deepEqual(await echo.json(), { youSent: { a: [1, 2] } });
    const wrong = await fetch(`${s.url}/api/echo`, { method: "POST", body: "text" });
    assert.equal(wrong.status, 415);
    const cd = await curl(["-N", "-i", `${s.url}/countdown?from=3`]);
    assert.match(cd.stdout, /transfer-encoding: chunked\r\n/i);
    assert.ok(cd.stdout.endsWith("\r\n\r\n3...\n2...\n1...\nliftoff!\n"), cd.stdout);
    const fail = await fetch(`${s.url}/fail`);
    assert.equal(fail.status, 500);
    assert.equal((await fetch(`${s.url}/nope`)).status, 404);
    assert.match(s.child.stderr, /this route always fails/, "the error went to the manager's errorHandler");
  } finally {
    assert.equal(await s.stop(), 0, "SIGTERM: graceful exit");
  }
});

test("examples/adapters/express-app: a todo API with JSON bodies, 404s, redirects and error middleware", async () => {
  const s = await startExample("adapters/express-app", ["http://127.0.0.1:0"]);
  try {
    const list = await fetch(`${s.url}/api/todos`);
    assert.deepEqual(await list.json(), [{ id: 1, title: "try tsmongoose", done: true }]);
    const made = await curl(["-i", "-H", "Content-Type: application/json", "-d", '{"title":"write docs"}', `${s.url}/api/todos`]);
    assert.match(made.stdout, /^HTTP\/1\.1 201 Created\r\n/);
    assert.match(made.stdout, /Location: \/api\/todos\/2\r\n/);
    const patched = await fetch(`${s.url}/api/todos/2`, { method: "PATCH", headers: { "Content-Type": "application/json" }, body: '{"done":true}' });
    assert.deepEqual(await patched.json(), { id: 2, title: "write docs", done: true });
    assert.equal((await fetch(`${s.url}/api/todos/99`)).status, 404);
    const bad = await fetch(`${s.url}/api/todos`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    assert.equal(bad.status, 400);
    const redirected = await fetch(`${s.url}/old-todos`);
    assert.equal(redirected.url, `${s.url}/api/todos`);
    const fail = await fetch(`${s.url}/fail`);
    assert.equal(fail.status, 500);
    assert.deepEqual(await fail.json(), { error: "this route always fails" });
  } finally {
    assert.equal(await s.stop(), 0, "SIGTERM: graceful exit");
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
