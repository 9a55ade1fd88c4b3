// Static files: from a request URI to a file under a root directory, safely.
// The URI is percent-decoded first (RFC 3986 section 2.1), then checked segment by
// segment: "..", ".", NUL, backslashes and encoded slashes are refused, so a request
// can never name a file outside its root. Symlinks are checked later, on the real path.
import * as fs from "node:fs";
import * as path from "node:path";
import { hexVal } from "../util/url-encode.js";
import { MgError } from "../util/errors.js";

/** A URI path that was refused, with the status to answer. */
export class BadPath {
  constructor(readonly status: number, readonly reason: string) {}
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Percent-decodes a URI path ("+" stays a plus: form encoding is for queries) and splits
 * it into segments, dropping empty ones ("//"). Refuses what could step outside a root
 * or confuse the file system.
 */
export function decodeUriPath(uri: string): string[] | BadPath {
  if (uri.length === 0 || uri.charCodeAt(0) !== 0x2f) return new BadPath(400, "the path must start with /");
  let decoded = uri;
  let simple = true;
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c === 0x25 || c >= 0x80) { simple = false; break; }
    if (c === 0x5c) return new BadPath(400, "backslash in path");
    if (c < 0x20 || c === 0x7f) return new BadPath(400, "control character in path");
  }
  if (!simple) {
    // The head was decoded as latin1: its chars are the request's bytes.
    const src = Buffer.from(uri, "latin1");
    const out = Buffer.allocUnsafe(src.length);
    let n = 0;
    for (let i = 0; i < src.length; i++) {
      let c = src[i]!;
      if (c === 0x25) {
        const h = i + 2 < src.length ? hexVal(src[i + 1]!) : -1;
        const l = h >= 0 ? hexVal(src[i + 2]!) : -1;
        if (h < 0 || l < 0) return new BadPath(400, "malformed percent-encoding in path");
        c = (h << 4) | l;
        i += 2;
        // An encoded "/" or "\" would change what the segments are.
        if (c === 0x2f || c === 0x5c) return new BadPath(400, "encoded slash or backslash in path");
      }
      if (c === 0) return new BadPath(400, "NUL in path");
      if (c === 0x5c) return new BadPath(400, "backslash in path");
      if (c < 0x20 || c === 0x7f) return new BadPath(400, "control character in path");
      out[n++] = c;
    }
    try {
      decoded = utf8.decode(out.subarray(0, n));
    } catch {
      return new BadPath(400, "path is not valid UTF-8");
    }
  }
  const segs: string[] = [];
  let start = 1;
  for (let i = 1; i <= decoded.length; i++) {
    if (i === decoded.length || decoded.charCodeAt(i) === 0x2f) {
      if (i > start) {
        const seg = decoded.slice(start, i);
        if (seg === "." || seg === "..") return new BadPath(400, "dot segment in path");
        segs.push(seg);
      }
      start = i + 1;
    }
  }
  return segs;
}

/** One "uriPrefix=directory" entry of rootDir. */
export interface RootMapping {
  /** The prefix as segments ([] for "/"). */
  prefix: string[];
  /** The directory, as given (resolved against the working directory when used). */
  dir: string;
}

const mappingCache = new Map<string, RootMapping[]>();

/**
 * Parses rootDir: "./public" (serves "/"), or comma-separated "uriPrefix=dir" entries
 * ("/static=./public,/=./site"). The longest matching prefix wins, on segment boundaries.
 */
export function parseRootDir(rootDir: string): RootMapping[] {
  let m = mappingCache.get(rootDir);
  if (m !== undefined) return m;
  if (typeof rootDir !== "string" || rootDir.trim() === "") throw new MgError("ERR_INVALID_ARG", "serveDir: rootDir must be a non-empty string");
  m = [];
  for (const raw of rootDir.split(",")) {
    const part = raw.trim();
    if (part === "") continue;
    const eq = part.indexOf("=");
    let prefix = "/", dir = part;
    if (eq >= 0) { prefix = part.slice(0, eq).trim(); dir = part.slice(eq + 1).trim(); }
    if (dir === "") throw new MgError("ERR_INVALID_ARG", `serveDir: empty directory in rootDir entry ${JSON.stringify(part)}`);
    const segs = decodeUriPath(prefix.startsWith("/") ? prefix : "/" + prefix);
    if (segs instanceof BadPath) throw new MgError("ERR_INVALID_ARG", `serveDir: bad URI prefix ${JSON.stringify(prefix)} in rootDir: ${segs.reason}`);
    m.push({ prefix: segs, dir });
  }
  if (m.length === 0) throw new MgError("ERR_INVALID_ARG", "serveDir: rootDir names no directory");
  // Longest prefix first, so the first match is the most specific.
  m.sort((a, b) => b.prefix.length - a.prefix.length);
  if (mappingCache.size < 64) mappingCache.set(rootDir, m);
  return m;
}

/** The mapping that serves `segs`, and how many leading segments its prefix took. */
export function matchRoot(mappings: RootMapping[], segs: string[]): RootMapping | undefined {
  for (const m of mappings) {
    const p = m.prefix;
    if (p.length > segs.length) continue;
    let ok = true;
    for (let i = 0; i < p.length; i++) if (p[i] !== segs[i]) { ok = false; break; }
    if (ok) return m;
  }
  return undefined;
}

// Real paths of root directories, kept briefly: resolving them costs a system call
// per request otherwise, and a root that moves is picked up within this time.
const ROOT_TTL_MS = 1000;
const rootCache = new Map<string, { real: string; at: number }>();

/** The real path of a root directory (symlinks resolved), or an error code. */
export function realRoot(dir: string, cb: (err: NodeJS.ErrnoException | null, real: string) => void): void {
  const now = Date.now();
  const hit = rootCache.get(dir);
  if (hit !== undefined && now - hit.at < ROOT_TTL_MS) { cb(null, hit.real); return; }
  fs.realpath.native(path.resolve(dir), (err, real) => {
    if (err) { rootCache.delete(dir); cb(err, ""); return; }
    if (rootCache.size >= 256) rootCache.clear();
    rootCache.set(dir, { real, at: Date.now() });
    cb(null, real);
  });
}

/** Is `real` the root itself or inside it? Both are real (symlink-free) absolute paths. */
export function isInside(root: string, real: string): boolean {
  if (real === root) return true;
  if (!real.startsWith(root)) return false;
  return root.endsWith(path.sep) || real.charCodeAt(root.length) === path.sep.charCodeAt(0);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Percent-encodes one path segment for a URL. ":" is encoded too, so a relative link to
 * a file called "javascript:x" can never read as a scheme.
 */
export function encodeSegment(seg: string): string {
  try {
    return encodeURIComponent(seg);
  } catch {
    // A lone surrogate (not from a file system name Node decoded): encode its replacement.
    return encodeURIComponent(seg.replace(LONE_SURROGATE, "\uFFFD"));
  }
}
