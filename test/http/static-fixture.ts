// Fixtures for the static file tests: a fresh site in a temp dir, and a parser for raw
// HTTP/1.1 responses (binary bodies framed by Content-Length).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as crypto from "node:crypto";

export interface Site {
  /** The temp dir holding everything. */
  base: string;
  /** The served root (base/public). */
  root: string;
  /** A second root for prefix mappings (base/site). */
  site: string;
  /** A file outside every root, with SECRET as its content. */
  secretPath: string;
  page404: string;
  big: Buffer;
  cleanup(): void;
}

export const SECRET = "TOP SECRET: must never be served";
export const BIG_SIZE = 5 * 1024 * 1024 + 123;

export function sha256(b: Buffer): string {
  return crypto.createHash("sha256").update(b).digest("hex");
}

/** Creates the fixture tree in a new directory under os.tmpdir(). */
export function makeSite(): Site {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "tsmongoose-static-"));
  const root = path.join(base, "public");
  const site = path.join(base, "site");
  const w = (rel: string, data: string | Buffer): void => {
    const p = path.join(base, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
  };
  const big = crypto.randomBytes(BIG_SIZE);
  w("secret.txt", SECRET);
  w("outside-dir/secret2.txt", SECRET);
  w("404.html", "<h1>custom not found</h1>\n");
  w("public/index.html", "<h1>root index</h1>\n");
  w("public/small.txt", "small file\n");
  w("public/empty.txt", "");
  w("public/big.bin", big);
  w("public/sub/a.txt", "a in sub\n");
  w("public/sub/<script>.txt", "x");
  w("public/sub/a\"b&c'.txt", "y");
  w("public/sub/deeper/z.txt", "zz");
  w("public/withindex/index.html", "<p>sub index</p>\n");
  w("public/withindex/other.txt", "other\n");
  w("public/styles.css", "body{}");
  w("public/app.js", "1;");
  w("public/data.json", "{}");
  w("public/pic.png", Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  w("public/logo.svg", "<svg/>");
  w("public/font.woff2", "wOF2");
  w("public/mod.wasm", Buffer.from([0, 0x61, 0x73, 0x6d]));
  w("public/video.mp4", "mp4");
  w("public/notes.md", "# md");
  w("public/thing.xyz", "xyz");
  w("public/noext", "noext");
  w("public/arch.tar.gz", "tgz");
  w("public/UPPER.HTML", "<b>upper</b>");
  w("public/hello world.txt", "spaces\n");
  w("public/café.txt", "utf-8 name\n");
  w("public/a+b.txt", "plus\n");
  w("site/index.html", "<h1>site index</h1>\n");
  w("site/page.html", "site page\n");
  w("site/staticx/file.txt", "not under /static\n");
  w("public/static/shadow.txt", "public/static/shadow\n");
  fs.symlinkSync("../secret.txt", path.join(root, "link-out.txt"));
  fs.symlinkSync("../outside-dir", path.join(root, "link-dir"));
  fs.symlinkSync(path.join(base, "secret.txt"), path.join(root, "abs-link-out.txt"));
  fs.symlinkSync("small.txt", path.join(root, "link-in.txt"));
  fs.symlinkSync("sub", path.join(root, "link-sub"));
  fs.symlinkSync("nowhere.txt", path.join(root, "dangling.txt"));
  return {
    base, root, site, big,
    secretPath: path.join(base, "secret.txt"),
    page404: path.join(base, "404.html"),
    cleanup: () => fs.rmSync(base, { recursive: true, force: true }),
  };
}

export interface RawResponse {
  status: number;
  head: string;
  headers: Map<string, string>;
  body: Buffer;
}

/**
 * Splits raw bytes into responses. `noBody[i]` says response i answers a HEAD request;
 * 1xx/204/304 have no body either. A truncated last body is returned as far as it got.
 */
export function parseResponses(buf: Buffer, noBody: boolean[] = []): RawResponse[] {
  const out: RawResponse[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const end = buf.indexOf("\r\n\r\n", pos, "latin1");
    if (end < 0) throw new Error(`incomplete head at ${pos}: ${JSON.stringify(buf.subarray(pos, pos + 200).toString("latin1"))}`);
    const head = buf.subarray(pos, end).toString("latin1");
    const lines = head.split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (!m) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
    const status = Number(m[1]);
    const headers = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const c = l.indexOf(":");
      headers.set(l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim());
    }
    let len = Number(headers.get("content-length") ?? "0");
    if (noBody[out.length] || status === 304 || status === 204 || status < 200) len = 0;
    const b0 = end + 4;
    out.push({ status, head, headers, body: buf.subarray(b0, Math.min(buf.length, b0 + len)) });
    pos = b0 + len;
  }
  return out;
}

/** Paths the open file descriptors of this process point to. */
export function openFiles(): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync("/proc/self/fd")) {
    try { out.push(fs.readlinkSync(`/proc/self/fd/${fd}`)); } catch { /* closed meanwhile */ }
  }
  return out;
}
