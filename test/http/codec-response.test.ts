// HTTP/1.1 response codec (the client side): the response table decoded whole and split
// at every byte, then the same bytes served to node's HTTP client, whose verdict must
// match ours except on the rows the table marks as intended differences.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import * as net from "node:net";
import { RESPONSES } from "./codec-table.js";
import { checkRow, decodeEveryWay, verdictClass } from "./codec-harness.js";
import { waitFor, leakCheckAfterAll } from "../helpers.js";

test("response table: verdicts and fields, the same whatever way the bytes arrive", () => {
  for (const row of RESPONSES) checkRow(row, decodeEveryWay(Buffer.from(row.raw, "latin1"), true, true));
});

test("a bad status line is refused before the head is complete", () => {
  for (const [prefix, status] of [["HTTX", 400], ["HTTP/1.1 2000", 400], ["HTTP/2.0 200 ", 505], ["HTTP/1.1 200 O\x01", 400], ["HTTP/1.1 200 OK\r\nX : y", 400]] as const) {
    const v = decodeEveryWay(Buffer.from(prefix, "latin1"), true);
    assert.equal(v.kind === "error" ? v.status : v.kind, status, JSON.stringify(prefix));
  }
});

/** Serves `raw` to node's HTTP client once and classifies what the client made of it. */
async function askNodeClient(raw: string): Promise<"ok" | "refused" | "incomplete"> {
  const srv = net.createServer((s) => { s.once("data", () => s.end(Buffer.from(raw, "latin1"))); s.on("error", () => {}); });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  try {
    return await new Promise((resolve) => {
      const agent = new http.Agent({ keepAlive: false });
      const req = http.get({ host: "127.0.0.1", port, path: "/", agent }, (res) => {
        res.on("data", () => {});
        res.on("end", () => resolve("ok"));
        res.on("error", () => resolve("refused"));
        res.on("aborted", () => resolve("refused"));
      });
      req.on("error", () => resolve("refused"));
      req.setTimeout(3000, () => { req.destroy(); resolve("incomplete"); });
    });
  } finally {
    await new Promise<void>((r) => srv.close(() => r()));
  }
}

test("node's HTTP client decides every response row the same way, except the listed differences", async () => {
  const mismatches: string[] = [];
  for (const row of RESPONSES) {
    // A 1xx is skipped by node's client while it waits for the final response.
    if (row.fields?.status !== undefined && row.fields.status < 200) continue;
    const ours = verdictClass(decodeEveryWay(Buffer.from(row.raw, "latin1"), true, true));
    const theirs = await askNodeClient(row.raw);
    if (row.nodeDiffers === undefined && ours !== theirs) mismatches.push(`${row.name}: ours ${ours}, node ${theirs}`);
  }
  assert.deepEqual(mismatches, []);
  await waitFor(() => !process.getActiveResourcesInfo().some((r) => r.startsWith("TCP")), 3000, "no TCP handle left");
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
