// Static files: an HTML listing of a directory that has no index.html. Names are
// HTML-escaped in text and percent-encoded in links, so any file name is safe to show.
import * as fs from "node:fs";
import * as path from "node:path";
import { encodeSegment } from "./static-path.js";

/** Most entries a listing shows; the rest are counted, not listed. */
export const MAX_LISTING_ENTRIES = 10_000;
// Entries stat()ed at once.
const STAT_BATCH = 64;

interface Entry { name: string; isDir: boolean; size: number; mtimeMs: number }

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" };
/** Escapes text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ESC[ch]!);
}

function pad(n: number): string { return n < 10 ? "0" + n : String(n); }
function formatDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

async function readEntries(dir: string): Promise<{ entries: Entry[]; more: number }> {
  const names: fs.Dirent[] = await fs.promises.readdir(dir, { withFileTypes: true });
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const more = Math.max(0, names.length - MAX_LISTING_ENTRIES);
  const list = more > 0 ? names.slice(0, MAX_LISTING_ENTRIES) : names;
  const entries: Entry[] = [];
  for (let i = 0; i < list.length; i += STAT_BATCH) {
    const batch = list.slice(i, i + STAT_BATCH);
    const stats = await Promise.all(batch.map((d) => fs.promises.stat(path.join(dir, d.name)).catch(() => undefined)));
    for (let j = 0; j < batch.length; j++) {
      const d = batch[j]!, st = stats[j];
      // A dangling symlink has no stat: listed as it is, without size and date.
      entries.push({
        name: d.name,
        isDir: st ? st.isDirectory() : d.isDirectory(),
        size: st && st.isFile() ? st.size : -1,
        mtimeMs: st ? st.mtimeMs : -1,
      });
    }
  }
  // Directories first, then files, each by name.
  entries.sort((a, b) => (a.isDir === b.isDir ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.isDir ? -1 : 1));
  return { entries, more };
}

/**
 * The listing page of directory `dir`, shown at `uriPath` (decoded, ending with "/").
 * Rejects when the directory cannot be read.
 */
export async function renderListing(dir: string, uriPath: string): Promise<string> {
  const { entries, more } = await readEntries(dir);
  const title = escapeHtml(`Index of ${uriPath}`);
  let rows = "";
  if (uriPath !== "/") rows += `<tr><td><a href="../">../</a></td><td>-</td><td></td></tr>\n`;
  for (const e of entries) {
    const href = "./" + encodeSegment(e.name) + (e.isDir ? "/" : "");
    const label = escapeHtml(e.name) + (e.isDir ? "/" : "");
    const size = e.isDir || e.size < 0 ? "-" : String(e.size);
    const date = e.mtimeMs < 0 ? "" : formatDate(e.mtimeMs);
    rows += `<tr><td><a href="${escapeHtml(href)}">${label}</a></td><td class="size">${size}</td><td>${date}</td></tr>\n`;
  }
  const tail = more > 0 ? `<p>${more} more entries not shown.</p>\n` : "";
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:.2em 1em;text-align:left}td.size{text-align:right}</style>
</head><body>
<h1>${title}</h1>
<table>
<thead><tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr></thead>
<tbody>
${rows}</tbody>
</table>
${tail}</body></html>
`;
}
