import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MG_EV_HTTP_MSG, MG_EV_WS_MSG } from "../../src/index.js";
import { run, startServer, leakCheckAfterAll } from "../helpers.js";
import { Child } from "../examples/spawn.js";

const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));

test("tsmongoose --help and each command's --help", async () => {
  const main = await run(process.execPath, [cli, "--help"]);
  assert.equal(main.code, 0);
  assert.match(main.stdout, /serve \[dir\] --listen URL/);
  for (const cmd of ["serve", "resolve", "ws"]) {
    const r = await run(process.execPath, [cli, cmd, "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`^Usage: tsmongoose ${cmd}`));
  }
  const bad = await run(process.execPath, [cli, "nope"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown command "nope"/);
});

test("tsmongoose resolve prints addresses, and fails clearly for unknown names", async () => {
  const r = await run(process.execPath, [cli, "resolve", "localhost"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^(127\.0\.0\.1|::1)$/m);
  const bad = await run(process.execPath, [cli, "resolve", "no-such-host.invalid"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /cannot resolve no-such-host\.invalid/);
});

test("tsmongoose serve serves a directory (curl)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsm-cli-"));
  writeFileSync(join(dir, "hello.txt"), "hello from serve\n");
  const child = new Child(process.execPath, [cli, "serve", dir, "--listen", "http://127.0.0.1:0"]);
  try {
    const m = await child.waitFor(/on http:\/\/127\.0\.0\.1:(\d+)/);
    const r = await run("curl", ["-s", `http://127.0.0.1:${m[1]}/hello.txt`]);
    assert.equal(r.stdout, "hello from serve\n");
  } finally {
    assert.equal(await child.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tsmongoose ws sends stdin lines and prints the messages it gets", async () => {
  const srv = startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data);
    if (ev === MG_EV_WS_MSG) c.wsSend(`echo: ${data.text}`);
  });
  const r = await run(process.execPath, [cli, "ws", `ws://127.0.0.1:${srv.port}/`], { input: "one\ntwo\n", timeoutMs: 10000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "echo: one\necho: two\n");
  await srv.stop();
});

// ---- arguments: strict parsing, usage errors, --version, --help --------------------

test("no arguments: the usage on stderr and exit 2", async () => {
  const r = await run(process.execPath, [cli]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /no command given\nUsage: tsmongoose <command> \[options\]\n/);
});

test("--version prints package.json's version", async () => {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../../../package.json", import.meta.url)), "utf8")) as { version: string };
  for (const flag of ["--version", "-v"]) {
    const r = await run(process.execPath, [cli, flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${pkg.version}\n`);
  }
});

test("every command has --help (and help CMD), with its options", async () => {
  for (const cmd of ["serve", "resolve", "ws", "sntp", "mqtt-broker"]) {
    for (const args of [[cmd, "--help"], [cmd, "-h"], ["help", cmd]]) {
      const r = await run(process.execPath, [cli, ...args]);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: tsmongoose ${cmd}`), args.join(" "));
      assert.match(r.stdout, /-h, --help/, args.join(" "));
    }
  }
  const serve = await run(process.execPath, [cli, "serve", "--help"]);
  assert.match(serve.stdout, /-q, --quiet/);
});

test("unknown flags, missing values and stray arguments are usage errors: exit 2 with the command's usage", async () => {
  const cases: [string[], RegExp][] = [
    [["serve", "--port", "23202"], /^tsmongoose serve: unknown option '--port'\nUsage: tsmongoose serve /],
    [["serve", "--listen"], /^tsmongoose serve: option '-l, --listen <value>' argument missing\nUsage: tsmongoose serve /],
    [["serve", "a", "b"], /^tsmongoose serve: unexpected argument "b"\nUsage: tsmongoose serve /],
    [["resolve"], /^tsmongoose resolve: resolve needs a NAME\nUsage: tsmongoose resolve /],
    [["resolve", "localhost", "--all"], /^tsmongoose resolve: unknown option '--all'/],
    [["ws"], /^tsmongoose ws: ws needs a URL\nUsage: tsmongoose ws /],
    [["ws", "ws://127.0.0.1:1/", "--header", "nocolon"], /^tsmongoose ws: bad header "nocolon"/],
    [["sntp", "127.0.0.1", "--timeout"], /^tsmongoose sntp: option '-t, --timeout <value>' argument missing/],
    [["sntp", "127.0.0.1", "--timeout", "soon"], /^tsmongoose sntp: bad --timeout "soon"/],
    [["mqtt-broker", "--port", "1883"], /^tsmongoose mqtt-broker: unknown option '--port'\nUsage: tsmongoose mqtt-broker /],
    [["mqtt-broker", "extra"], /^tsmongoose mqtt-broker: unexpected argument "extra"/],
    [["--bogus"], /^tsmongoose: unknown option "--bogus"\nUsage: tsmongoose <command>/],
    [["help", "nope"], /^tsmongoose: unknown command "nope"/],
  ];
  for (const [args, re] of cases) {
    const r = await run(process.execPath, [cli, ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, re, args.join(" "));
    assert.match(r.stderr, /Run "tsmongoose.* --help" for more\.\n$/, args.join(" "));
  }
});

// ---- serve: missing folders, the request log ---------------------------------------

test("tsmongoose serve refuses a folder that does not exist, or a file, with exit 1", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsm-cli-"));
  try {
    const missing = await run(process.execPath, [cli, "serve", join(dir, "missing"), "--listen", "http://127.0.0.1:0"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^tsmongoose serve: directory not found: .*missing\n$/);
    writeFileSync(join(dir, "file.txt"), "x");
    const file = await run(process.execPath, [cli, "serve", join(dir, "file.txt"), "--listen", "http://127.0.0.1:0"]);
    assert.equal(file.code, 1);
    assert.match(file.stderr, /not a directory: .*file\.txt/);
    const mapped = await run(process.execPath, [cli, "serve", `/a=${dir},/=${join(dir, "gone")}`, "--listen", "http://127.0.0.1:0"]);
    assert.equal(mapped.code, 1);
    assert.match(mapped.stderr, /directory not found: .*gone/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const LOG_LINE = (method: string, path: string, status: number, bytes: number) =>
  new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z 127\\.0\\.0\\.1 "${method} ${path.replace(/[.?]/g, "\\$&")}" ${status} ${bytes} \\d+\\.\\d ms$`, "m");

test("tsmongoose serve logs one line per request: method, path, status, body bytes, ms", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsm-cli-"));
  writeFileSync(join(dir, "hello.txt"), "hello from serve\n");
  writeFileSync(join(dir, "big.bin"), Buffer.alloc(300_000, 7));
  const child = new Child(process.execPath, [cli, "serve", dir, "--listen", "http://127.0.0.1:0"]);
  try {
    const m = await child.waitFor(/on http:\/\/127\.0\.0\.1:(\d+)/);
    const base = `http://127.0.0.1:${m[1]}`;
    assert.equal((await run("curl", ["-s", `${base}/hello.txt?x=1`])).stdout, "hello from serve\n");
    await run("curl", ["-s", "-I", `${base}/hello.txt`]);
    await run("curl", ["-s", "-o", "/dev/null", `${base}/nothing-here`]);
    await run("curl", ["-s", "-o", "/dev/null", "-r", "0-9", `${base}/big.bin`]);
    assert.equal((await run("curl", ["-s", `${base}/big.bin`], {})).stdoutBytes.length, 300_000);
    // Two requests on one keep-alive connection: two lines, in order.
    await run("curl", ["-s", "-o", "/dev/null", "-o", "/dev/null", `${base}/hello.txt`, `${base}/big.bin`]);
    await child.waitFor((out) => out.split("\n").filter((l) => l.includes('"GET ')).length >= 6);
    const out = child.stdout;
    assert.match(out, LOG_LINE("GET", "/hello.txt?x=1", 200, 17));
    assert.match(out, LOG_LINE("HEAD", "/hello.txt", 200, 0));
    assert.match(out, LOG_LINE("GET", "/nothing-here", 404, Number(/"GET \/nothing-here" 404 (\d+)/.exec(out)?.[1] ?? -1)));
    assert.match(out, LOG_LINE("GET", "/big.bin", 206, 10));
    assert.match(out, LOG_LINE("GET", "/big.bin", 200, 300000));
    const lines = out.split("\n").filter((l) => l.includes("127.0.0.1 \""));
    assert.equal(lines.length, 7, out);
    assert.match(lines[5]!, /"GET \/hello\.txt" 200 17 /);
    assert.match(lines[6]!, /"GET \/big\.bin" 200 300000 /);
  } finally {
    assert.equal(await child.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tsmongoose serve --quiet logs no requests", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsm-cli-"));
  writeFileSync(join(dir, "hello.txt"), "hi\n");
  const child = new Child(process.execPath, [cli, "serve", dir, "--listen", "http://127.0.0.1:0", "--quiet"]);
  try {
    const m = await child.waitFor(/on http:\/\/127\.0\.0\.1:(\d+)/);
    assert.equal((await run("curl", ["-s", `http://127.0.0.1:${m[1]}/hello.txt`])).stdout, "hi\n");
    assert.equal((await run("curl", ["-s", `http://127.0.0.1:${m[1]}/hello.txt`])).stdout, "hi\n");
  } finally {
    assert.equal(await child.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  }
  assert.doesNotMatch(child.stdout, /GET/);
  assert.match(child.stdout, /^serving .* on http:\/\/127\.0\.0\.1:\d+\n$/);
});

// ---- mqtt-broker: client log --------------------------------------------------------

test("tsmongoose mqtt-broker logs client connects and disconnects (mosquitto_pub / mosquitto_sub)", async () => {
  const child = new Child(process.execPath, [cli, "mqtt-broker", "--listen", "mqtt://127.0.0.1:0"]);
  try {
    const m = await child.waitFor(/MQTT broker on mqtt:\/\/127\.0\.0\.1:(\d+)/);
    const port = m[1]!;
    const pub = await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", port, "-i", "cli-pub", "-t", "a/b", "-m", "x"]);
    assert.equal(pub.code, 0, pub.stderr);
    const pub5 = await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", port, "-V", "mqttv5", "-i", "cli-pub5", "-t", "a/b", "-m", "x"]);
    assert.equal(pub5.code, 0, pub5.stderr);
    await child.waitFor(/client "cli-pub5" disconnected/);
    const out = child.stdout;
    assert.match(out, /^\S+Z client "cli-pub" connected from 127\.0\.0\.1:\d+ \(MQTT 3\.1\.1, clean session, keep alive \d+ s\)$/m);
    assert.match(out, /^\S+Z client "cli-pub" disconnected from 127\.0\.0\.1:\d+ \(sent DISCONNECT\)$/m);
    assert.match(out, /^\S+Z client "cli-pub5" connected from 127\.0\.0\.1:\d+ \(MQTT 5\.0, /m);
    // In order: each client connects before it disconnects.
    assert.ok(out.indexOf('"cli-pub" connected') < out.indexOf('"cli-pub" disconnected'));
    // A connection that ends without DISCONNECT says so.
    const { connect } = await import("node:net");
    const sock = connect(Number(port), "127.0.0.1");
    // CONNECT, MQTT 3.1.1, clean session, keep alive 60, client id "raw".
    sock.write(Buffer.from([0x10, 15, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 3, 0x72, 0x61, 0x77]));
    await child.waitFor(/client "raw" connected/);
    sock.resume(); // read the CONNACK, so that ending sends a FIN and not a reset
    sock.end();
    await child.waitFor(/client "raw" disconnected from 127\.0\.0\.1:\d+ \(connection closed\)\n/);
    sock.destroy();
    // A malformed packet: the reason is the protocol error.
    const bad = connect(Number(port), "127.0.0.1");
    bad.write(Buffer.from([0x10, 15, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 3, 0x62, 0x61, 0x64]));
    await child.waitFor(/client "bad" connected/);
    bad.resume();
    bad.write(Buffer.from([0x00, 0x00])); // packet type 0 is reserved
    await child.waitFor(/client "bad" disconnected from 127\.0\.0\.1:\d+ \([^)]*reserved packet type 0\)\n/);
    bad.destroy();
  } finally {
    assert.equal(await child.stop(), 0);
  }
});

test("tsmongoose mqtt-broker --quiet logs no clients", async () => {
  const child = new Child(process.execPath, [cli, "mqtt-broker", "--listen", "mqtt://127.0.0.1:0", "--quiet"]);
  try {
    const m = await child.waitFor(/MQTT broker on mqtt:\/\/127\.0\.0\.1:(\d+)/);
    const pub = await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", m[1]!, "-i", "quiet-pub", "-t", "a", "-m", "x"]);
    assert.equal(pub.code, 0, pub.stderr);
  } finally {
    assert.equal(await child.stop(), 0);
  }
  assert.doesNotMatch(child.stdout, /quiet-pub/);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
