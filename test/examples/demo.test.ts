// The `npm start` demo (examples/demo/server.ts): its page in headless Chromium (the SSE
// clock ticking, a file uploaded through the form), uploads with curl -F, and every
// link the page lists.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { curl, leakCheckAfterAll } from "../helpers.js";
import { startExample, type RunningServer } from "./spawn.js";
import { Browser } from "./chromium.js";

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Upload { name: string; size: number; modified: string }

describe("examples/demo (npm start)", () => {
  let s: RunningServer;
  let work: string;
  let uploads: string;
  let browser: Browser | undefined;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "tsmongoose-demo-"));
    uploads = join(work, "uploads");
    const port = await freePort();
    s = await startExample("demo/server", [], { PORT: String(port), UPLOAD_DIR: uploads, CLOCK_MS: "200", HTTPS_PORT: "0", CERT_DIR: join(work, "certs") });
    assert.equal(s.port, port, "listens on PORT");
  });
  after(async () => {
    await browser?.close();
    assert.equal(await s.stop(), 0, "SIGTERM ends run() with a graceful close");
    rmSync(work, { recursive: true, force: true });
  });

  it("serves the page and its assets from examples/demo/public", async () => {
    const page = await fetch(`${s.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    const html = await page.text();
    for (const want of ['id="clock"', 'action="/upload"', 'enctype="multipart/form-data"', 'id="chat"', 'href="/api/info"', 'href="/chunked"']) {
      assert.ok(html.includes(want), want);
    }
    const js = await fetch(`${s.url}/app.js`);
    assert.match(js.headers.get("content-type") ?? "", /javascript/);
    assert.match(await js.text(), /new EventSource\("\/events"\)/);
    const css = await fetch(`${s.url}/style.css`);
    assert.match(css.headers.get("content-type") ?? "", /^text\/css/);
    assert.equal((await fetch(`${s.url}/no-such-file`)).status, 404);
  });

  it("the page in Chromium receives the SSE clock's events", async () => {
    browser = await Browser.open(`${s.url}/`);
    const count = await browser.waitFor<number>(`(() => { const n = Number(document.getElementById("sse-count")?.textContent); return n >= 3 ? n : 0; })()`);
    assert.ok(count >= 3);
    assert.equal(await browser.evaluate<string>(`document.getElementById("sse-state").textContent`), "connected");
    const iso = await browser.evaluate<string>(`document.getElementById("clock").dataset.iso`);
    assert.ok(!Number.isNaN(Date.parse(iso)), `the clock shows a time: ${iso}`);
    const log = await browser.evaluate<string[]>(`[...document.querySelectorAll("#sse-log li")].map((li) => li.textContent)`);
    assert.ok(log.length >= 3 && new Set(log).size === log.length, `distinct events: ${log}`);
    const info = await (await fetch(`${s.url}/api/info`)).json() as { clockSubscribers: number };
    assert.ok(info.clockSubscribers >= 1, "the server counts the browser as a subscriber");
  });

  it("curl -F uploads a file that the API, /uploads/ and the page then list", async () => {
    const data = randomBytes(200_000);
    writeFileSync(join(work, "from-curl.bin"), data);
    const r = await curl(["-F", `file=@${join(work, "from-curl.bin")}`, `${s.url}/upload`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { status: "uploaded", files: [{ name: "from-curl.bin", size: data.length }] });
    assert.ok(readFileSync(join(uploads, "from-curl.bin")).equals(data), "saved bytes");
    const list = await (await fetch(`${s.url}/api/uploads`)).json() as Upload[];
    assert.ok(list.some((u) => u.name === "from-curl.bin" && u.size === data.length));
    const back = await fetch(`${s.url}/uploads/from-curl.bin`);
    assert.ok(Buffer.from(await back.arrayBuffer()).equals(data), "served back by serveDir");

    browser ??= await Browser.open(`${s.url}/`);
    const names = await browser.waitFor<string[]>(
      `refreshUploads().then(() => { const n = [...document.querySelectorAll("#upload-list a.upload")].map((a) => a.textContent); return n.includes("from-curl.bin") ? n : null; })`);
    assert.ok(names.includes("from-curl.bin"));
  });

  it("the page's upload form sends a file from Chromium", async () => {
    const text = "uploaded by the browser\r\n--boundary-like line\r\n";
    writeFileSync(join(work, "from-browser.txt"), text);
    browser ??= await Browser.open(`${s.url}/`);
    await browser.waitFor<boolean>(`document.readyState === "complete"`);
    await browser.setFiles("#upload-form input[type=file]", [join(work, "from-browser.txt")]);
    await browser.evaluate(`document.getElementById("upload-form").requestSubmit()`);
    const status = await browser.waitFor<string>(`(() => { const t = document.getElementById("upload-status").textContent; return t.startsWith("saved") || t.startsWith("failed") ? t : ""; })()`);
    assert.equal(status, "saved from-browser.txt");
    assert.equal(readFileSync(join(uploads, "from-browser.txt"), "utf8"), text);
    await browser.waitFor<boolean>(`[...document.querySelectorAll("#upload-list a.upload")].some((a) => a.textContent === "from-browser.txt")`);
  });

  it("a form post without JavaScript comes back to the page; bad uploads are refused", async () => {
    writeFileSync(join(work, "plain.txt"), "no js");
    const r = await curl(["-i", "-H", "Accept: text/html", "-F", `file=@${join(work, "plain.txt")};filename=../../../plain.txt`, `${s.url}/upload`]);
    assert.match(r.stdout, /^HTTP\/1\.1 303 /);
    assert.match(r.stdout, /\r\nLocation: \/#uploads\r\n/i);
    assert.equal(readFileSync(join(uploads, "plain.txt"), "utf8"), "no js", "saved under its last name component only");
    const bad = await fetch(`${s.url}/upload`, { method: "POST", body: "x=1", headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    assert.equal(bad.status, 400);
  });

  it("the other links the page lists work", async () => {
    const info = await (await fetch(`${s.url}/api/info`)).json() as { library: string; connections: number };
    assert.equal(info.library, "tsmongoose");
    const echo = await (await fetch(`${s.url}/api/echo?name=demo&lang=ts`)).json() as { uri: string; query: string };
    assert.equal(echo.uri, "/api/echo");
    assert.equal(echo.query, "name=demo&lang=ts");
    const chunked = await curl(["-i", `${s.url}/chunked`]);
    assert.match(chunked.stdout, /\r\nTransfer-Encoding: chunked\r\n/i);
    assert.equal(chunked.stdout.split(/line \d+ of 20/).length - 1, 20);
    const listing = await (await fetch(`${s.url}/files/`)).text();
    assert.match(listing, /sample\.txt/);
    const range = await curl(["-r", "0-9", `${s.url}/files/sample.txt`]);
    assert.equal(range.stdout, "0123456789");
    const sse = await curl(["-N", `${s.url}/events`], 1000);
    assert.match(sse.stdout, /^retry: 2000\n\nevent: time\ndata: \{"time":"[^"]+"\}\n\n/);
  });

  it("serves the same demo over HTTPS with the certificate it generated (curl --cacert)", async () => {
    const m = await s.child.waitFor(/listening on https:\/\/[^:]+:(\d+) \(certificate: ([^;]+);/);
    const httpsPort = Number(m[1]);
    const r = await curl(["--cacert", m[2]!, "--resolve", `localhost:${httpsPort}:127.0.0.1`, `https://localhost:${httpsPort}/api/info`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).library, "tsmongoose");
  });

  it("the chat page in Chromium talks to a ws client through the room", async () => {
    browser ??= await Browser.open(`${s.url}/`);
    await browser.waitFor<boolean>(`document.getElementById("chat-status").textContent === "connected"`);
    const { WebSocket } = await import("ws");
    const peer = new WebSocket(`ws://127.0.0.1:${s.port}/ws`);
    const seen: string[] = [];
    peer.on("message", (d) => seen.push(String(d)));
    await new Promise((resolve, reject) => { peer.once("open", resolve); peer.once("error", reject); });
    peer.send(JSON.stringify({ type: "name", name: "robot" }));
    peer.send(JSON.stringify({ type: "say", text: "hello from ws" }));
    const line = await browser.waitFor<string>(`[...document.querySelectorAll("#chat-log li.say")].map((li) => li.textContent).find((t) => t.includes("hello from ws")) ?? ""`);
    assert.equal(line, "robot: hello from ws");
    await browser.evaluate(`(() => { const t = document.getElementById("chat-text"); t.value = "hi robot"; document.getElementById("chat-send").click(); return true; })()`);
    const deadline = Date.now() + 10000;
    while (!seen.some((m) => m.includes("hi robot")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const said = seen.map((m) => JSON.parse(m) as { type: string; text?: string }).find((m) => m.type === "say" && m.text === "hi robot");
    assert.ok(said, `the ws client got the browser's message: ${seen.join(" | ")}`);
    peer.close();
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
