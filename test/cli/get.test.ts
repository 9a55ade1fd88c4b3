// tsmongoose get: downloads over HTTP and HTTPS from servers of the library, written to
// a file or standard output; status >= 400 and connection errors give non-zero exits;
// no progress output when standard error is not a terminal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { MG_EV_HTTP_MSG, selfSignedCert } from "../../src/index.js";
import { progressLine } from "../../src/cli-get.js";
import { run, startServer, leakCheckAfterAll } from "../helpers.js";
import { freePort } from "../mqtt/peers.js";

const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
const big = randomBytes(700_000);

function fileServer(scheme = "http", opts = {}) {
  return startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    if (data.uri === "/big.bin") c.reply(200, big, { "Content-Type": "application/octet-stream" });
    else if (data.uri === "/chunked") {
      c.reply(200, "", { "Transfer-Encoding": "chunked" });
      c.httpChunk("one,");
      c.httpChunk("two");
      c.httpChunk("");
    } else if (data.uri === "/echo-headers") c.reply(200, `${data.header("X-Test") ?? "-"} ${data.header("User-Agent") ?? "-"}`);
    else c.reply(404, "no such thing\n");
  }, opts, scheme);
}

test("get -o FILE writes the body byte for byte, and prints nothing when stderr is not a TTY", async () => {
  const srv = fileServer();
  const dir = mkdtempSync(join(tmpdir(), "tsm-get-"));
  try {
    const out = join(dir, "big.bin");
    const r = await run(process.execPath, [cli, "get", `http://127.0.0.1:${srv.port}/big.bin`, "-o", out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, "");
    assert.ok(readFileSync(out).equals(big));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await srv.stop();
  }
});

test("get without -o writes to stdout; chunked bodies are decoded; -H headers are sent", async () => {
  const srv = fileServer();
  try {
    const r = await run(process.execPath, [cli, "get", `http://127.0.0.1:${srv.port}/chunked`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "one,two");
    const h = await run(process.execPath, [cli, "get", "-H", "X-Test: yes", `http://127.0.0.1:${srv.port}/echo-headers`]);
    assert.equal(h.code, 0, h.stderr);
    assert.equal(h.stdout, "yes tsmongoose-get");
  } finally {
    await srv.stop();
  }
});

test("get: HTTP 404 exits 22 without writing the file; a refused connection exits 1", async () => {
  const srv = fileServer();
  const dir = mkdtempSync(join(tmpdir(), "tsm-get-"));
  try {
    const out = join(dir, "x");
    const r = await run(process.execPath, [cli, "get", `http://127.0.0.1:${srv.port}/missing`, "-o", out]);
    assert.equal(r.code, 22);
    assert.match(r.stderr, /answered 404/);
    assert.equal(existsSync(out), false);
    const port = await freePort();
    const refused = await run(process.execPath, [cli, "get", `http://127.0.0.1:${port}/`]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /ECONNREFUSED/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await srv.stop();
  }
});

test("get over HTTPS: verified with --cacert, refused without it, -k skips verification", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsm-get-tls-"));
  const pair = selfSignedCert({ dir });
  const srv = fileServer("https", { tls: { cert: pair.cert, key: pair.key } });
  try {
    const url = `https://127.0.0.1:${srv.port}/chunked`;
    const ok = await run(process.execPath, [cli, "get", "--cacert", pair.certFile, url]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, "one,two");
    const bad = await run(process.execPath, [cli, "get", url]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, "");
    const k = await run(process.execPath, [cli, "get", "-k", url]);
    assert.equal(k.code, 0, k.stderr);
    assert.equal(k.stdout, "one,two");
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("get on a terminal draws the progress bar on stderr, ending at 100% (script(1) gives it a pty)", async () => {
  const srv = fileServer();
  const dir = mkdtempSync(join(tmpdir(), "tsm-get-"));
  try {
    const out = join(dir, "big.bin");
    const cmd = [process.execPath, cli, "get", `http://127.0.0.1:${srv.port}/big.bin`, "-o", out].map((a) => `'${a}'`).join(" ");
    const r = await run("script", ["-qec", cmd, "/dev/null"], { env: { ...process.env, COLUMNS: "60" } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(readFileSync(out).equals(big));
    assert.match(r.stdout, /\r#{10,} +100\.0%/);
    const silent = await run("script", ["-qec", `${cmd} -s`, "/dev/null"]);
    assert.equal(silent.code, 0);
    assert.doesNotMatch(silent.stdout, /%/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await srv.stop();
  }
});

test("get: usage errors exit 2", async () => {
  for (const args of [["get"], ["get", "ftp://x/"], ["get", "http://x/", "--bogus"], ["get", "http://x/", "--max-size", "lots"]]) {
    const r = await run(process.execPath, [cli, ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /Usage: tsmongoose get/);
  }
});

test("progressLine draws curl -# style bars", () => {
  const rows: [number, number | undefined, number, string][] = [
    [0, 100, 20, `${" ".repeat(12)}    0.0%`],
    [50, 100, 20, `${"#".repeat(6)}${" ".repeat(6)}   50.0%`],
    [100, 100, 20, `${"#".repeat(12)}  100.0%`],
    [200, 100, 20, `${"#".repeat(12)}  100.0%`], // more than announced: never past the end
    [2048, undefined, 20, "    2.0 KiB received"],
    [5, 0, 20, "        5 B received"],
  ];
  for (const [got, total, width, want] of rows) {
    const line = progressLine(got, total, width);
    assert.equal(line, want, `${got}/${total}`);
    assert.equal(line.length, width);
  }
});

leakCheckAfterAll();
