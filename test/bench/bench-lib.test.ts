// The bench's own pieces that decide what is counted: the ceiling server's head counter
// (split at every byte), the cookie reader of the app servers, the permessage-deflate
// check of the upgrade, the request bytes the probe sends, the rows and verdicts of the
// results table, and the SVG chart writer.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { HeadCounter } from "../../bench/servers/head-counter.js";
import { answerOrder, cookieValue, orderBody, renderPage } from "../../bench/servers/app-logic.js";
import { acceptFor, checkUpgradeResponse } from "../../bench/clients/ws-upgrade.js";
import { requestBytes } from "../../bench/lib/probe.js";
import { newSide, toRows, type ScenarioResult } from "../../bench/lib/report.js";
import { lineChart } from "../../bench/lib/svg-chart.js";
import type { Fixtures, Scenario } from "../../bench/lib/types.js";
import { SCENARIOS } from "../../bench/scenarios/index.js";
import { CURVES } from "../../bench/scenarios/curves.js";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { leakCheckAfterAll } from "../helpers.js";

describe("HeadCounter", () => {
  const req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  const rows: [string, number][] = [
    [req, 1],
    [req.repeat(3), 3],
    ["GET / HTTP/1.1\r\n\r\r\n\r\n", 1], // "\r\n\r" then "\r\n\r\n": one end
    ["\r\n\r\n\r\n\r\n", 2],
    ["\r\n\r\n\r\n", 1],
    ["\n\r\n\r\n", 1],
    ["no end\r\n", 0],
    ["", 0],
  ];
  for (const [text, want] of rows) {
    it(`counts ${want} in ${JSON.stringify(text.slice(0, 24))}, whole and split at every byte`, () => {
      const bytes = Buffer.from(text, "latin1");
      assert.equal(new HeadCounter().feed(bytes), want);
      for (let cut = 1; cut < bytes.length; cut++) {
        const c = new HeadCounter();
        assert.equal(c.feed(bytes.subarray(0, cut)) + c.feed(bytes.subarray(cut)), want, `cut at ${cut}`);
      }
      const c = new HeadCounter();
      let n = 0;
      for (const b of bytes) n += c.feed(Buffer.from([b]));
      assert.equal(n, want, "one byte per read");
    });
  }
});

describe("app logic", () => {
  it("reads cookies as RFC 6265 pairs", () => {
    const rows: [string | undefined, string | undefined][] = [
      ["sid=abc", "abc"], ["a=1; sid=abc; b=2", "abc"], ["a=1;sid=abc", "abc"], ["xsid=1; sid=2", "2"],
      ["a=1", undefined], ["sid", undefined], [undefined, undefined], ["sid=", ""],
    ];
    for (const [h, want] of rows) assert.equal(cookieValue(h, "sid"), want, String(h));
  });

  it("renders the page for the session and answers the order deterministically", () => {
    assert.match(renderPage("sid=s1"), /session s1</);
    assert.match(renderPage(undefined), /session anonymous</);
    const body = orderBody();
    assert.equal(body.length, 1024);
    const a = JSON.stringify(answerOrder(JSON.parse(body.toString())));
    assert.equal(a, JSON.stringify(answerOrder(JSON.parse(body.toString()))));
    assert.ok(a.length > 800 && a.length < 1400, `answer of ${a.length} bytes`);
    assert.throws(() => answerOrder({ items: 1 }), /not an order/);
  });
});

describe("upgrade check with permessage-deflate", () => {
  const key = "dGhlIHNhbXBsZSBub25jZQ==";
  const head = (ext?: string): string => ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
    `Sec-WebSocket-Accept: ${acceptFor(key)}`, ...(ext !== undefined ? [`Sec-WebSocket-Extensions: ${ext}`] : [])].join("\r\n");
  it("accepts only what was offered", () => {
    assert.equal(checkUpgradeResponse(head(), key), undefined);
    assert.match(checkUpgradeResponse(head("permessage-deflate"), key)!, /unrequested extension/);
    assert.equal(checkUpgradeResponse(head("permessage-deflate; server_no_context_takeover; client_no_context_takeover"), key, true), undefined);
    assert.match(checkUpgradeResponse(head("permessage-deflate"), key, true)!, /without server_no_context_takeover/);
    assert.match(checkUpgradeResponse(head(), key, true)!, /not accepted/);
  });
});

describe("probe request", () => {
  it("is what wrk sends: request line, Host, the script's headers, Content-Length with a body", () => {
    assert.equal(requestBytes({ port: 80, path: "/" }).toString(), "GET / HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n");
    assert.equal(requestBytes({ port: 1, path: "/a", method: "POST", headers: [["X-A", "b"]], body: Buffer.from("hi") }).toString(),
      "POST /a HTTP/1.1\r\nHost: 127.0.0.1:1\r\nX-A: b\r\nContent-Length: 2\r\n\r\nhi");
  });
});

describe("results rows", () => {
  const sc = (o: Partial<Scenario>): Scenario => ({ id: "x", title: "X", unit: "req/s", needs: [], prepare: () => Promise.reject(new Error("unused")), ...o });
  const side = (label: string, v: number, cpu = 100) => ({ ...newSide(label), values: [v], perCpu: [v], cpuPct: [cpu], peakRss: [64 << 20] });

  it("makes one row per peer with its own target and verdict", () => {
    const r: ScenarioResult = { scenario: sc({ target: 1.3 }), sides: [side("ours", 90), side("node", 60), side("ceiling", 100)], targets: [{ target: 1.3 }, { target: 0.9, targetFrom: "issue 14" }], log: [] };
    const rows = toRows(r);
    assert.equal(rows.length, 2);
    assert.deepEqual(rows.map((x) => [x.ratio, x.target, x.result]), [["**1.50x**", "≥ 1.3x", "met"], ["**0.90x**", "≥ 0.9x (issue 14)", "met"]]);
    assert.equal(rows[1]!.title, "X (vs ceiling)");
    assert.equal(rows[0]!.rss, "64 / 64");
  });

  it("reads a cost row (lower is better) against a ceiling, and flags wrong answers only", () => {
    const cost = toRows({ scenario: sc({ better: "lower", target: 1.0, cpuBound: false }), sides: [side("ours", 12, 5), side("peer", 10, 5)], targets: [{ target: 1.0 }], log: [] });
    assert.deepEqual([cost[0]!.target, cost[0]!.result, cost[0]!.perCpu, cost[0]!.failed], ["≤ 1.0x", "not met", "–", false]);
    const bad = { ...side("peer", 10), errors: ["wrong body"] };
    const failed = toRows({ scenario: sc({}), sides: [side("ours", 12), bad], targets: [{}], log: [] });
    assert.equal(failed[0]!.failed, true);
    const na = toRows({ scenario: sc({}), sides: [side("ours", 12), { ...newSide("peer"), na: "no server" }], targets: [{}], log: [] });
    assert.deepEqual([na[0]!.failed, na[0]!.result], [false, "n/a (peer: no server)"]);
  });
});

describe("lineChart", () => {
  it("draws a line and a dot per point of each series, and switches to a log y axis for wide ranges", () => {
    const svg = lineChart({ title: "t <1>", xLabel: "x", yLabel: "y", series: [{ label: "a", points: [[1, 5], [10, 7], [100, 9]] }, { label: "b", points: [[1, 4], [100, Number.NaN]] }] });
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/<polyline /g) ?? []).length, 1); // b has one finite point: a dot, no line
    assert.equal((svg.match(/<circle /g) ?? []).length, 4);
    assert.ok(svg.includes("t &lt;1&gt;"));
    assert.ok(!/y \(log scale\)/.test(svg));
    const wide = lineChart({ title: "w", xLabel: "x", yLabel: "y", series: [{ label: "a", points: [[1, 1], [10, 1000]] }] });
    assert.match(wide, /y \(log scale\)/);
    assert.match(lineChart({ title: "e", xLabel: "x", yLabel: "y", series: [] }), /no data/);
  });
});

describe("scenario and curve list", () => {
  const servers = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", "servers");
  // Fixtures without files: prepare() only reads sizes and paths.
  const fx: Fixtures = {
    dir: "/nonexistent",
    file: async (name, size) => ({ path: `/nonexistent/${name}`, bytes: Buffer.alloc(Math.min(size, 16)) }),
    cert: async () => ({ certFile: "/nonexistent/c.pem", keyFile: "/nonexistent/k.pem", cert: "" }),
  };

  it("has unique ids, and every side of every scenario and curve names a server program that exists", async () => {
    const ids = [...SCENARIOS, ...CURVES].map((s) => s.id);
    assert.equal(new Set(ids).size, ids.length, `duplicate ids in ${ids.join(", ")}`);
    for (const sc of SCENARIOS) {
      const p = await sc.prepare(fx, { seconds: 1, warmup: 1 });
      for (const side of [p.ours, p.peer, ...(p.more ?? [])]) assert.ok(existsSync(join(servers, side.server.script)), `${sc.id}: ${side.server.script}`);
    }
    for (const c of CURVES) {
      const p = await c.prepare(fx);
      for (const side of [p.ours, p.peer]) assert.ok(existsSync(join(servers, side.server.script)), `${c.id}: ${side.server.script}`);
      assert.ok(c.points.length >= 4 && c.points.every((x, i) => i === 0 || x > c.points[i - 1]!), `${c.id}: increasing points`);
    }
  });
});

leakCheckAfterAll();
