// HTTP/1.1 request codec: the request table decoded whole and split at every byte, then
// the same bytes sent to node:http, whose verdict must match ours except on the rows
// the table marks as intended differences.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import * as net from "node:net";
import { REQUESTS } from "./codec-table.js";
import { checkRow, decodeEveryWay, verdictClass } from "./codec-harness.js";
import { parseHead, HttpParseError } from "../../src/http/parser.js";
import { waitFor, leakCheckAfterAll } from "../helpers.js";

test("request table: verdicts and fields, the same whatever way the bytes arrive", () => {
  assert.ok(REQUESTS.length > 100);
  for (const row of REQUESTS) checkRow(row, decodeEveryWay(Buffer.from(row.raw, "latin1"), false));
});

test("targets and queries decode to their own bytes whatever the cache of recent targets holds (same lengths, collisions, latin1)", () => {
  // Many distinct targets of equal length compete for the cache's slots; each one, asked
  // again in another order, must come back as itself, never as a neighbour's string.
  const targets: string[] = [];
  for (let i = 0; i < 3000; i++) targets.push(`/p${(i * 7919 % 100000).toString().padStart(5, "0")}`);
  targets.push("/", "/a", "/%C3%A9t%C3%A9", "/a|b{c}", "/x".repeat(60), "/" + "y".repeat(200));
  for (const round of [0, 1, 2]) {
    const order = round === 1 ? [...targets].reverse() : targets;
    for (const t of order) {
      const q = round === 2 ? `?q=${t.length}` : "";
      const h = parseHead(Buffer.from(`GET ${t}${q} HTTP/1.1\r\nHost: x\r\n\r\n`, "latin1"), false, 16384, 100);
      assert.ok(h !== 0 && !(h instanceof HttpParseError), t);
      assert.equal(h.uri, t);
      assert.equal(h.query, q.slice(1));
    }
  }
});

test("a bad byte is refused before the head is complete", () => {
  // Each of these prefixes already proves the head invalid: no blank line needed.
  const early: [string, number][] = [
    ["G(T", 400], [" GET", 400], ["get", 0], ["get / HTTP/1.1\r", 501], ["MKCOLA", 0], ["GARBAGE\r", 400], ["GET\r", 400], ["hello world\r", 400], ["GET /\x00", 400], ["GET foo ", 400], ["GET foo", 0], ["GET / HTTP/1.1\r", 0],
    ["GET / HTTP/1.1\rX", 400], ["GET / HTTP/2.0\r", 505], ["GET / HTTP/1.1\r\nHost : x", 400], ["GET / HTTP/1.1\r\nX: a\x01", 400],
    ["GET / HTTP/1.1\r\nHost: x\r\n b", 400], ["POST / HTTP/1.1\r\nContent-Length: 1x", 400],
    ["POST / HTTP/1.1\r\nContent-Length: 99999999999999999", 400], ["POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length:", 400],
    ["POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding:", 400], ["POST / HTTP/1.1\r\nTransfer-Encoding: chunked,\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: x\r\nHost:", 400], ["GET / HTTP/1.1\nHost", 400],
  ];
  for (const [prefix, status] of early) {
    const v = decodeEveryWay(Buffer.from(prefix, "latin1"), false);
    if (status === 0) assert.equal(v.kind, "incomplete", prefix);
    else assert.equal(v.kind === "error" ? v.status : v.kind, status, JSON.stringify(prefix));
  }
});

test("size limits: 414 for a long request line, 431 for a long head, decided at the limit", async () => {
  const { parseHead, HttpParseError } = await import("../../src/http/parser.js");
  const long = Buffer.from(`GET /${"a".repeat(200)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  for (let k = 1; k <= long.length; k++) {
    const r = parseHead(long.subarray(0, k), false, 100, 100);
    assert.ok(r === 0 || (r instanceof HttpParseError && r.status === 414), `prefix ${k}`);
  }
  const many = Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\nX: ${"b".repeat(200)}\r\n\r\n`);
  assert.equal((parseHead(many, false, 100, 100) as InstanceType<typeof HttpParseError>).status, 431);
  const tooMany = Buffer.from(`GET / HTTP/1.1\r\n${"A: b\r\n".repeat(11)}\r\n`);
  assert.equal((parseHead(tooMany, false, 1000, 10) as InstanceType<typeof HttpParseError>).status, 431);
});

// --- the same table against node:http ---

type NodeVerdict = "ok" | "refused" | "incomplete";

function nodeServer(): Promise<http.Server> {
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { Connection: "close" }).end("ok"));
  });
  // CONNECT requests go to their own event in node: accepting means answering 200.
  srv.on("connect", (_req, sock: net.Socket) => { sock.end("HTTP/1.1 200 Connection Established\r\n\r\n"); });
  return new Promise((resolve) => srv.listen(0, "127.0.0.1", () => resolve(srv)));
}

/** Sends the raw bytes and classifies node's answer: 200 accepted, another status refused, silence waiting. */
function askNode(port: number, raw: string): Promise<NodeVerdict> {
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    let got = "";
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(timer);
      sock.destroy();
      // An interim "100 Continue" comes before the real answer.
      const m = /^(?:HTTP\/1\.1 100 [^\r]*\r\n\r\n)?HTTP\/1\.[01] (\d{3})/.exec(got);
      resolve(m === null ? "incomplete" : m[1] === "200" ? "ok" : "refused");
    };
    sock.on("data", (d) => { got += d.toString("latin1"); });
    sock.on("close", done);
    sock.on("error", () => { /* a reset after node's 400 still ends in close */ });
    sock.on("connect", () => {
      sock.write(Buffer.from(raw, "latin1"));
      // Only the "waiting" verdict needs this: node answers or closes at once otherwise.
      timer = setTimeout(done, 2000);
    });
  });
}

test("node:http decides every row the same way, except the listed intended differences", async (t) => {
  const srv = await nodeServer();
  after(() => srv.close());
  const port = (srv.address() as net.AddressInfo).port;
  const mismatches: string[] = [];
  const stillDiffer: string[] = [];
  for (const row of REQUESTS) {
    const ours = verdictClass(decodeEveryWay(Buffer.from(row.raw, "latin1"), false));
    const theirs = await askNode(port, row.raw);
    if (row.nodeDiffers === undefined) {
      if (ours !== theirs) mismatches.push(`${row.name}: ours ${ours}, node ${theirs} ${JSON.stringify(row.raw)}`);
    } else if (ours === theirs) {
      stillDiffer.push(row.name);
    }
  }
  if (stillDiffer.length > 0) t.diagnostic(`listed as differing from node but node agrees now: ${stillDiffer.join("; ")}`);
  assert.deepEqual(mismatches, []);
  await new Promise<void>((r) => srv.close(() => r()));
  // Leak check: every socket of this file is closed.
  await waitFor(() => !process.getActiveResourcesInfo().some((r) => r.startsWith("TCP")), 3000, "no TCP handle left");
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
