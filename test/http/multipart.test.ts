import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { httpParseMultipart, MG_EV_HTTP_MSG, type MultipartPart, type HttpMessage } from "../../src/index.js";
import { startServer, curl, leakCheckAfterAll } from "../helpers.js";

/** Every part of a body, by looping as the HTTP guide does. */
function allParts(body: Buffer | Uint8Array | string): MultipartPart[] {
  const parts: MultipartPart[] = [];
  let offset = 0;
  for (let guard = 0; guard < 10000; guard++) {
    const [next, part] = httpParseMultipart(body, offset);
    if (part === undefined) return parts;
    assert.ok(next > offset, "the offset always advances");
    parts.push(part);
    offset = next;
  }
  throw new Error("httpParseMultipart did not stop");
}

function build(boundary: string, parts: { headers: string[]; body: string | Buffer }[], epilogue = "\r\n"): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${p.headers.map((h) => h + "\r\n").join("")}\r\n`));
    chunks.push(Buffer.isBuffer(p.body) ? p.body : Buffer.from(p.body));
    chunks.push(Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--${epilogue}`));
  return Buffer.concat(chunks);
}

test("fields and files, as a browser sends them", () => {
  const body = build("----WebKitFormBoundary7MA4YWxkTrZu0gW", [
    { headers: ['Content-Disposition: form-data; name="title"'], body: "Hello" },
    { headers: ['Content-Disposition: form-data; name="file"; filename="a.txt"', "Content-Type: text/plain"], body: "line1\r\nline2" },
    { headers: ['Content-Disposition: form-data; name="empty"'], body: "" },
  ]);
  const [p0, p1, p2, ...rest] = allParts(body);
  assert.equal(rest.length, 0);
  assert.equal(p0!.name, "title");
  assert.equal(p0!.filename, "");
  assert.equal(p0!.body.toString(), "Hello");
  assert.equal(p0!.contentType, "");
  assert.equal(p1!.name, "file");
  assert.equal(p1!.filename, "a.txt");
  assert.equal(p1!.body.toString(), "line1\r\nline2");
  assert.equal(p1!.contentType, "text/plain");
  assert.deepEqual(p1!.headers, [["Content-Disposition", 'form-data; name="file"; filename="a.txt"'], ["Content-Type", "text/plain"]]);
  assert.equal(p2!.name, "empty");
  assert.equal(p2!.body.length, 0);
});

test("part bodies are zero-copy views of the body passed in", () => {
  const body = build("xyz", [{ headers: ['Content-Disposition: form-data; name="f"; filename="b.bin"'], body: Buffer.from([1, 2, 3]) }]);
  const [, part] = httpParseMultipart(body);
  assert.ok(part);
  assert.equal(part.body.buffer, body.buffer);
  body[body.indexOf(Buffer.from([1, 2, 3]))] = 9;
  assert.equal(part.body[0], 9);
});

test("binary content with CR, LF and boundary-like bytes survives", () => {
  const data = Buffer.concat([randomBytes(5000), Buffer.from("\r\n--xyzNOT\r\n--xy\r\n"), randomBytes(3000)]);
  const body = build("xyz0123456789", [{ headers: ['Content-Disposition: form-data; name="f"; filename="r.bin"'], body: data }]);
  const parts = allParts(body);
  assert.equal(parts.length, 1);
  assert.ok(parts[0]!.body.equals(data));
});

test("Uint8Array and string bodies work too", () => {
  const body = build("b", [{ headers: ['Content-Disposition: form-data; name="k"'], body: "välue" }]);
  assert.equal(allParts(new Uint8Array(body))[0]!.body.toString(), "välue");
  const fromString = allParts(body.toString("utf8"));
  assert.equal(fromString.length, 1);
  assert.equal(fromString[0]!.body.toString(), "välue");
});

test("names and file names: quotes, escapes, semicolons, UTF-8 and RFC 5987 filename*", () => {
  const disp = (v: string): MultipartPart => {
    const [, p] = httpParseMultipart(build("B", [{ headers: [`Content-Disposition: ${v}`], body: "x" }]));
    assert.ok(p, v);
    return p;
  };
  assert.equal(disp('form-data; name="a;b"; filename="c; d.txt"').filename, "c; d.txt");
  assert.equal(disp('form-data; name="a;b"; filename="c; d.txt"').name, "a;b");
  assert.equal(disp('form-data; name="x\\"y"; filename="q\\\\r.txt"').name, 'x"y');
  assert.equal(disp('form-data; name="x\\"y"; filename="q\\\\r.txt"').filename, "q\\r.txt");
  assert.equal(disp('form-data; name="n"; filename="résumé €.pdf"').filename, "résumé €.pdf");
  assert.equal(disp("form-data; name=plain; filename=bare.txt").filename, "bare.txt");
  assert.equal(disp('FORM-DATA; NAME="up"; FILENAME="u.txt"').name, "up");
  assert.equal(disp('form-data; name="f"; filename="fallback.txt"; filename*=UTF-8\'\'%E2%82%AC%20rates.txt').filename, "€ rates.txt");
  assert.equal(disp("form-data; name=\"f\"; filename*=iso-8859-1'en'%A3.txt").filename, "£.txt");
  assert.equal(disp('form-data; name="f"; filename="ok.txt"; filename*=UTF-8\'\'%ZZ').filename, "ok.txt", "bad filename* falls back");
  // A quoted value cannot inject another parameter.
  const inj = disp('form-data; name="x; filename=evil.sh"');
  assert.equal(inj.name, "x; filename=evil.sh");
  assert.equal(inj.filename, "");
  assert.equal(disp("form-data").name, "");
  // Header names are case-insensitive.
  const [, p] = httpParseMultipart(build("B", [{ headers: ['content-disposition: form-data; name="lc"', "CONTENT-TYPE: image/png"], body: "x" }]));
  assert.equal(p?.name, "lc");
  assert.equal(p?.contentType, "image/png");
});

test("a part with no headers, padding after the boundary, and a preamble-free epilogue", () => {
  const body = Buffer.from("--b  \r\n\r\nraw\r\n--b\t\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\nv\r\n--b--");
  const parts = allParts(body);
  assert.equal(parts.length, 2);
  assert.equal(parts[0]!.name, "");
  assert.equal(parts[0]!.body.toString(), "raw");
  assert.equal(parts[1]!.body.toString(), "v");
});

test("the offset after the last part returns [offset, undefined]", () => {
  const body = build("b", [{ headers: ['Content-Disposition: form-data; name="a"'], body: "1" }]);
  const [next, part] = httpParseMultipart(body, 0);
  assert.ok(part);
  assert.deepEqual(httpParseMultipart(body, next), [next, undefined]);
});

test("truncated bodies never yield a partial part", () => {
  const body = build("boundary", [
    { headers: ['Content-Disposition: form-data; name="a"'], body: "first" },
    { headers: ['Content-Disposition: form-data; name="b"; filename="b.txt"'], body: "second part" },
  ]);
  const full = allParts(body).length;
  assert.equal(full, 2);
  const secondEnd = body.indexOf("\r\n--boundary--");
  for (let n = 0; n < body.length; n++) {
    const parts = allParts(body.subarray(0, n));
    assert.ok(parts.length <= full);
    for (const p of parts) assert.ok(p.body.toString() === "first" || p.body.toString() === "second part", `cut at ${n}`);
    if (n <= secondEnd + 1) assert.ok(parts.length < 2, `cut at ${n} must not give the second part`);
  }
});

test("malformed input gives [offset, undefined] and never throws", () => {
  const good = build("b", [{ headers: ['Content-Disposition: form-data; name="a"'], body: "1" }]);
  const cases: [Buffer | string, number][] = [
    ["", 0], ["hello", 0], ["--\r\n\r\n", 0], ["-\r\n", 0], ["--b", 0], ["--b\r\n", 0],
    ["--b\r\nNo colon here\r\n\r\nbody\r\n--b--", 0], ["--b\r\nX: y\r\n", 0], ["--b\r\n\r\nbody without end", 0],
    ["--b--\r\n", 0], ["--" + "x".repeat(71) + "\r\n\r\n\r\n--" + "x".repeat(71) + "--", 0], ["\r\n--b\r\n\r\nx\r\n--b--", 0],
    ["--bX\r\n\r\nx\r\n--b--", 0], [good, -1], [good, 1], [good, 1.5], [good, good.length], [good, good.length + 10], [good, NaN],
  ];
  for (const [body, offset] of cases) {
    assert.deepEqual(httpParseMultipart(body, offset), [offset, undefined], JSON.stringify([String(body).slice(0, 40), offset]));
  }
  assert.deepEqual(httpParseMultipart(undefined as unknown as string), [0, undefined]);
  // A boundary of exactly 70 characters is allowed (RFC 2046 section 5.1.1).
  const b70 = "y".repeat(70);
  assert.equal(allParts(build(b70, [{ headers: [], body: "ok" }]))[0]!.body.toString(), "ok");
});

test("random garbage never throws or loops", () => {
  for (let k = 0; k < 300; k++) {
    const junk = Buffer.concat([Buffer.from("--b\r\n"), randomBytes(k * 3)]);
    for (const b of [junk, Buffer.concat([junk, Buffer.from("\r\n--b\r\n\r\n\r\n--b--")])]) allParts(b);
  }
});

test("a body from Node's FormData (undici) parses", async () => {
  const fd = new FormData();
  fd.append("name", "Zoë");
  fd.append("upload", new Blob([Buffer.from("PNG\r\n\x1a\n data")], { type: "image/png" }), 'pic "1".png');
  fd.append("multi", "line1\r\nline2");
  const res = new Response(fd);
  const ctype = res.headers.get("content-type") ?? "";
  const body = Buffer.from(await res.arrayBuffer());
  assert.match(ctype, /^multipart\/form-data; boundary=/);
  assert.ok(body.toString("latin1").startsWith("--" + ctype.split("boundary=")[1]!));
  const parts = allParts(body);
  assert.deepEqual(parts.map((p) => p.name), ["name", "upload", "multi"]);
  assert.equal(parts[0]!.body.toString(), "Zoë");
  assert.equal(parts[1]!.contentType, "image/png");
  // The HTML form encoding escapes '"' as %22 in file names; it is passed through as sent.
  assert.equal(parts[1]!.filename, "pic %221%22.png");
  assert.equal(parts[1]!.body.toString("latin1"), "PNG\r\n\x1a\n data");
  assert.equal(parts[2]!.body.toString(), "line1\r\nline2");
});

/** Runs `curl args` against a raw TCP server and returns the request body it sent. */
async function captureCurlBody(args: string[]): Promise<{ body: Buffer; contentType: string }> {
  let raw = Buffer.alloc(0);
  const server = net.createServer((sock) => {
    sock.on("data", (d) => {
      raw = Buffer.concat([raw, d]);
      const headEnd = raw.indexOf("\r\n\r\n");
      if (headEnd < 0) return;
      const len = Number(/content-length: *(\d+)/i.exec(raw.subarray(0, headEnd).toString())?.[1] ?? -1);
      if (len >= 0 && raw.length >= headEnd + 4 + len) sock.end("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const r = await curl([...args, `http://127.0.0.1:${port}/upload`]);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await new Promise((r) => server.close(r));
  }
  const headEnd = raw.indexOf("\r\n\r\n");
  const head = raw.subarray(0, headEnd).toString();
  return { body: raw.subarray(headEnd + 4), contentType: /content-type: *(.*)/i.exec(head)?.[1] ?? "" };
}

test("a body produced by curl -F parses", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mp-"));
  try {
    const file = join(dir, "data.bin");
    const data = Buffer.concat([randomBytes(20000), Buffer.from("\r\n--------------------------\r\n")]);
    writeFileSync(file, data);
    const { body, contentType } = await captureCurlBody(["-F", "field=value with spaces", "-F", `doc=@${file};type=application/octet-stream`, "-F", `renamed=@${file};filename=other name.bin`]);
    assert.match(contentType, /multipart\/form-data; boundary=/);
    const parts = allParts(body);
    assert.equal(parts.length, 3);
    assert.equal(parts[0]!.name, "field");
    assert.equal(parts[0]!.body.toString(), "value with spaces");
    assert.equal(parts[1]!.name, "doc");
    assert.equal(parts[1]!.filename, "data.bin");
    assert.equal(parts[1]!.contentType, "application/octet-stream");
    assert.ok(parts[1]!.body.equals(data));
    assert.equal(parts[2]!.filename, "other name.bin");
    assert.ok(parts[2]!.body.equals(data));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("end to end: curl -F uploads to our server, parsed in the handler as in the guide", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mp-"));
  const got: { name: string; filename: string; size: number }[] = [];
  const srv = startServer((conn, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) {
      const msg: HttpMessage = data;
      let offset = 0;
      for (;;) {
        const [next, part] = httpParseMultipart(msg.bodyBytes, offset);
        if (part === undefined) break;
        offset = next;
        got.push({ name: part.name, filename: part.filename, size: part.body.length });
      }
      conn.reply(200, '{"status": "uploaded"}', { "Content-Type": "application/json" });
      conn.drain();
    }
  });
  try {
    const file = join(dir, "up.bin");
    writeFileSync(file, randomBytes(100000));
    const r = await curl(["-F", "note=hi", "-F", `file=@${file}`, `${srv.url}/upload`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '{"status": "uploaded"}');
    assert.deepEqual(got, [{ name: "note", filename: "", size: 2 }, { name: "file", filename: "up.bin", size: 100000 }]);
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
