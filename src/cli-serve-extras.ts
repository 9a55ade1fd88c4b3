// `tsmongoose serve --upload DIR` and `--cors`: what popular static servers add to
// plain file serving. Uploads: PUT /any/path/NAME stores the request body as DIR/NAME,
// POST with a multipart/form-data body stores each file part under its file name;
// names are reduced to a safe base name, existing files are never overwritten (409),
// and bodies over the size limit get 413 from the HTTP layer before they are buffered.
// CORS: every response allows any origin, and preflight OPTIONS requests are answered.
import { openSync, writeSync, closeSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { Connection } from "./connection.js";
import type { HttpMessage } from "./http/message.js";
import { httpParseMultipart } from "./http/multipart.js";

export const SERVE_EXTRAS_HELP = `  --upload DIR               Accept uploads into DIR: PUT /NAME (the body is the
                             file) or POST multipart/form-data (each file field);
                             answers 201 with the stored names, 409 if a file
                             exists, 413 over --max-upload-size
  --max-upload-size BYTES    Largest upload body (default 104857600)
  --cors                     Allow any origin (Access-Control-Allow-Origin: *) and
                             answer preflight OPTIONS requests`;

export const DEFAULT_MAX_UPLOAD = 100 * 1024 * 1024;

const CORS_HEADERS = "Access-Control-Allow-Origin: *\r\n";
const PREFLIGHT_HEADERS = CORS_HEADERS +
  "Access-Control-Allow-Methods: GET, HEAD, PUT, POST, OPTIONS\r\n" +
  "Access-Control-Max-Age: 86400\r\n";

/**
 * A file name that stays inside the upload folder: the last path segment (either slash),
 * characters other than letters, digits, '.', '-' and '_' replaced by '_', no leading
 * dot (no hidden files, no "." or ".."), at most 255 bytes. "" when nothing is left.
 */
export function safeFileName(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1);
  let s = "";
  for (const ch of base) s += /[A-Za-z0-9._-]/.test(ch) ? ch : "_";
  s = s.replace(/^\.+/, "");
  return s.slice(0, 255);
}

export interface ServeExtrasOptions {
  upload?: string | undefined;
  cors?: boolean | undefined;
}

export class ServeExtras {
  readonly #upload: string | undefined;
  readonly #cors: boolean;
  constructor(o: ServeExtrasOptions) {
    this.#upload = o.upload;
    this.#cors = o.cors === true;
  }

  /** Headers to add to every served file (CORS), "" when none. */
  get fileHeaders(): string { return this.#cors ? CORS_HEADERS : ""; }

  /** Answers `msg` when it is a preflight or an upload; false leaves it to serveDir. */
  handle(c: Connection, msg: HttpMessage): boolean {
    const method = msg.method;
    if (method === "OPTIONS" && this.#cors) {
      const asked = msg.header("Access-Control-Request-Headers");
      // Fetch standard, CORS protocol: the preflight's answer lists what may be sent.
      c.reply(204, "", PREFLIGHT_HEADERS + (asked !== undefined && !/[\r\n]/.test(asked) ? `Access-Control-Allow-Headers: ${asked}\r\n` : ""));
      return true;
    }
    if (method !== "PUT" && method !== "POST") return false;
    if (this.#upload === undefined) {
      c.reply(405, "uploads are off (serve --upload DIR turns them on)\n", `Allow: GET, HEAD${this.#cors ? ", OPTIONS" : ""}\r\n${this.fileHeaders}`);
      return true;
    }
    const names: string[] = [];
    if (method === "PUT") {
      const name = safeFileName(decodeURIComponentSafe(msg.uri));
      if (name === "") { this.#answer(c, 400, "PUT needs a file name: PUT /NAME\n"); return true; }
      const r = this.#store(name, msg.bodyBytes);
      if (r !== 0) { this.#answer(c, r, r === 409 ? `${name} exists\n` : `cannot store ${name}\n`); return true; }
      names.push(name);
    } else {
      const parts: { name: string; body: Buffer }[] = [];
      for (let [ofs, part] = httpParseMultipart(msg.bodyBytes); part; [ofs, part] = httpParseMultipart(msg.bodyBytes, ofs)) {
        if (part.filename === "") continue;
        const name = safeFileName(part.filename);
        if (name === "") { this.#answer(c, 400, `bad file name "${part.filename}"\n`); return true; }
        parts.push({ name, body: part.body });
      }
      if (parts.length === 0) { this.#answer(c, 400, "POST needs a multipart/form-data body with a file field\n"); return true; }
      for (const p of parts) {
        const r = this.#store(p.name, p.body);
        if (r !== 0) { this.#answer(c, r, r === 409 ? `${p.name} exists\n` : `cannot store ${p.name}\n`); return true; }
        names.push(p.name);
      }
    }
    this.#answer(c, 201, names.map((n) => `${n}\n`).join(""));
    return true;
  }

  #answer(c: Connection, status: number, text: string): void {
    c.reply(status, text, `Content-Type: text/plain; charset=utf-8\r\n${this.fileHeaders}`);
  }

  /** Writes a new file (never replacing one): 0, 409 when it exists, 500 on other errors. */
  #store(name: string, body: Buffer): number {
    const path = join(this.#upload!, name);
    let fd: number;
    try { fd = openSync(path, "wx"); } catch (e) { return (e as NodeJS.ErrnoException).code === "EEXIST" ? 409 : 500; }
    try {
      for (let off = 0; off < body.length;) off += writeSync(fd, body, off);
    } catch {
      closeSync(fd);
      try { unlinkSync(path); } catch { /* already gone */ }
      return 500;
    }
    closeSync(fd);
    return 0;
  }
}

function decodeURIComponentSafe(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}
