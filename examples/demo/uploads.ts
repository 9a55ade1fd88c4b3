// File uploads: POST /upload takes multipart/form-data and saves the files into a
// folder; GET /api/uploads lists that folder as JSON; the files are served back by
// serveDir under /uploads/ (see server.ts).
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { MG_EV_HTTP_MSG, httpParseMultipart, type EventHandler } from "../../src/index.js";

export interface UploadInfo { name: string; size: number; modified: string }

/** The last component of a client-supplied file name, or undefined when nothing safe is left. */
export function safeName(filename: string): string | undefined {
  const name = basename(filename.replaceAll("\\", "/"));
  if (name === "" || name === "." || name === ".." || name.startsWith(".")) return undefined;
  return name;
}

export function listUploads(dir: string): UploadInfo[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: UploadInfo[] = [];
  for (const name of names) {
    const st = statSync(join(dir, name), { throwIfNoEntry: false });
    if (st?.isFile()) out.push({ name, size: st.size, modified: st.mtime.toISOString() });
  }
  return out.sort((a, b) => b.modified.localeCompare(a.modified) || a.name.localeCompare(b.name));
}

/** POST /upload. A browser's form post is sent back to the page; other clients get JSON. */
export function uploadHandler(dir: string): EventHandler {
  return (conn, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    if (!(data.header("Content-Type") ?? "").toLowerCase().startsWith("multipart/form-data")) {
      conn.replyJson({ error: "expected multipart/form-data" }, 400);
      return;
    }
    mkdirSync(dir, { recursive: true });
    const saved: { name: string; size: number }[] = [];
    let offset = 0;
    for (;;) {
      const [next, part] = httpParseMultipart(data.bodyBytes, offset);
      if (part === undefined) break;
      offset = next;
      const name = part.filename ? safeName(part.filename) : undefined;
      if (name === undefined) continue;
      writeFileSync(join(dir, name), part.body);
      saved.push({ name, size: part.body.length });
      console.log(`uploaded ${name} (${part.body.length} bytes)`);
    }
    if ((data.header("Accept") ?? "").includes("text/html")) {
      conn.reply(303, "", { Location: "/#uploads" });
    } else {
      conn.replyJson({ status: "uploaded", files: saved });
    }
  };
}

/** GET /api/uploads: what has been uploaded, newest first. */
export function uploadListHandler(dir: string): EventHandler {
  return (conn, ev, _data) => {
    if (ev === MG_EV_HTTP_MSG) conn.replyJson(listUploads(dir), 200, { "Cache-Control": "no-store" });
  };
}
