// The WebSocket examples (examples/websocket/*.ts), run as programs: the echo and
// broadcast servers with `ws` clients, the client program against the echo server,
// and the chat page in headless Chromium talking with a `ws` client.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { curl, run, waitFor, leakCheckAfterAll } from "../helpers.js";
import { examplePath, startExample, type RunningServer } from "./spawn.js";
import { Browser } from "./chromium.js";

/** A ws client and the text of every message it receives (collected from the start: a server may speak first). */
async function open(url: string): Promise<WebSocket & { got: string[] }> {
  const ws = new WebSocket(url) as WebSocket & { got: string[] };
  ws.got = [];
  ws.on("message", (d) => ws.got.push(d.toString()));
  await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
  return ws;
}

describe("examples/websocket/echo-server and client", () => {
  let srv: RunningServer;
  before(async () => { srv = await startExample("websocket/echo-server"); });
  after(() => srv.stop());

  it("echoes text and binary on /websocket and answers plain HTTP elsewhere", async () => {
    const ws = await open(`ws://127.0.0.1:${srv.port}/websocket`);
    const got: [string, boolean][] = [];
    ws.on("message", (d, binary) => got.push([d.toString("hex"), binary]));
    ws.send("hi there");
    ws.send(Buffer.from([0, 1, 2]));
    await waitFor(() => got.length === 2);
    assert.deepEqual(got, [[Buffer.from("hi there").toString("hex"), false], ["000102", true]]);
    ws.close();
    const r = await curl([`${srv.url}/`]);
    assert.match(r.stdout, /connect to \/websocket/);
    await srv.child.waitFor(/WebSocket open \(\/websocket\)/);
  });

  it("the client program sends its messages, prints the answers and exits 0", async () => {
    const r = await run(process.execPath, [examplePath("websocket/client"), `ws://127.0.0.1:${srv.port}/websocket`, "hello", "world"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /connected to ws:\/\/127\.0\.0\.1:\d+\/websocket \(HTTP 101\)/);
    assert.match(r.stdout, /received: hello\nreceived: world\n/);
    assert.match(r.stdout, /server closed with 1000\nclosed\n/);
  });

  it("the client program reports a failed connection and exits 1", async () => {
    const r = await run(process.execPath, [examplePath("websocket/client"), `ws://127.0.0.1:${srv.port}/not-ws`, "x"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: WebSocket: server answered 200/);
  });
});

describe("examples/websocket/broadcast-server", () => {
  let srv: RunningServer;
  before(async () => { srv = await startExample("websocket/broadcast-server", ["http://127.0.0.1:0"], { ANNOUNCE_MS: "100" }); });
  after(() => srv.stop());

  it("sends every message to every client, and announces the client count", async () => {
    const a = await open(`ws://127.0.0.1:${srv.port}/`);
    const b = await open(`ws://127.0.0.1:${srv.port}/`);
    const ga = a.got, gb = b.got;
    a.send("from a");
    b.send("from b");
    await waitFor(() => ["from a", "from b"].every((m) => ga.includes(m) && gb.includes(m)), 5000, "both messages on both clients");
    await waitFor(() => ga.includes("clients: 2") && gb.includes("clients: 2"), 5000, "the announcement");
    a.close(); b.close();
  });
});

describe("examples/websocket/chat-server in Chromium", () => {
  let srv: RunningServer;
  let browser: Browser | undefined;
  before(async () => { srv = await startExample("websocket/chat-server"); });
  after(async () => { await browser?.close(); await srv.stop(); });

  it("the page and a ws client chat with each other", async () => {
    browser = await Browser.open(`${srv.url}/`);
    await browser.waitFor<boolean>(`document.getElementById("status").textContent === "connected"`);
    // The name arrives with the room's welcome message, just after the socket opens.
    const pageName = await browser.waitFor<string>(`document.getElementById("name").value`);
    assert.match(pageName, /^guest-\d+$/);

    const bot = await open(`ws://127.0.0.1:${srv.port}/ws`);
    const got = bot.got;
    await waitFor(() => got.some((m) => JSON.parse(m).type === "welcome"));
    bot.send(JSON.stringify({ type: "name", name: "bot" }));
    await browser.waitFor<boolean>(`document.getElementById("log").textContent.includes("is now bot")`);

    // The page's user renames themselves and types a message.
    await browser.evaluate(`(() => {
      const n = document.getElementById("name"); n.value = "ann"; n.dispatchEvent(new Event("change"));
      document.getElementById("text").value = "hello from the page";
      document.getElementById("form").requestSubmit();
    })()`);
    await waitFor(() => got.some((m) => { const v = JSON.parse(m); return v.type === "say" && v.from === "ann" && v.text === "hello from the page"; }), 5000, "the page's message");

    bot.send(JSON.stringify({ type: "say", text: "hi ann, <b>not bold</b>" }));
    const line = await browser.waitFor<string>(`[...document.querySelectorAll("#log li.say")].map((li) => li.textContent).find((t) => t.includes("hi ann"))`);
    assert.equal(line, "bothi ann, <b>not bold</b>");
    assert.equal(await browser.evaluate<number>(`document.querySelectorAll("#log li.say b b").length`), 0, "text is not interpreted as HTML");

    bot.send("not json");
    await waitFor(() => got.some((m) => JSON.parse(m).type === "error"));
    bot.close();
    await browser.waitFor<boolean>(`document.getElementById("log").textContent.includes("bot left")`);
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
