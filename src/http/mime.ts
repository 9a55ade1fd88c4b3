// MIME types by file extension for static files (IANA media types registry; the common
// web, font, media, document and archive types). Text types carry "; charset=utf-8".
// Applications override or add types with `mimeTypes`: an object or "ext=type,ext=type".
import { MgError, typeError } from "../util/errors.js";

const TEXT = "; charset=utf-8";

// Extension (lower case, no dot) -> media type. Text types get TEXT appended below.
const TYPES: Record<string, string> = {
  // Web pages, scripts, styles, data
  html: "text/html", htm: "text/html", shtml: "text/html", xhtml: "application/xhtml+xml",
  css: "text/css", js: "text/javascript", mjs: "text/javascript", cjs: "text/javascript",
  json: "application/json", jsonld: "application/ld+json", map: "application/json",
  webmanifest: "application/manifest+json", xml: "application/xml", xsl: "application/xml",
  xslt: "application/xslt+xml", dtd: "application/xml-dtd", rss: "application/rss+xml",
  atom: "application/atom+xml", wasm: "application/wasm", txt: "text/plain", text: "text/plain",
  log: "text/plain", conf: "text/plain", ini: "text/plain", md: "text/markdown",
  markdown: "text/markdown", csv: "text/csv", tsv: "text/tab-separated-values",
  ics: "text/calendar", vcf: "text/vcard", vtt: "text/vtt", srt: "application/x-subrip",
  yaml: "application/yaml", yml: "application/yaml", toml: "application/toml",
  // "ts" is TypeScript source (not an MPEG transport stream) far more often on a web server.
  ts: "text/plain", mts: "text/plain", tsx: "text/plain", jsx: "text/javascript",
  appcache: "text/cache-manifest", rtf: "application/rtf", sh: "application/x-sh",
  c: "text/plain", h: "text/plain", py: "text/plain", go: "text/plain", rs: "text/plain",
  java: "text/plain", diff: "text/plain", patch: "text/plain", sql: "application/sql",
  graphql: "application/graphql", php: "text/plain",
  // Images
  png: "image/png", apng: "image/apng", jpg: "image/jpeg", jpeg: "image/jpeg", jpe: "image/jpeg",
  jfif: "image/jpeg", pjpeg: "image/jpeg", gif: "image/gif", webp: "image/webp", avif: "image/avif",
  svg: "image/svg+xml", svgz: "image/svg+xml", ico: "image/vnd.microsoft.icon", cur: "image/x-icon",
  bmp: "image/bmp", tif: "image/tiff", tiff: "image/tiff", heic: "image/heic", heif: "image/heif",
  jxl: "image/jxl", jp2: "image/jp2", psd: "image/vnd.adobe.photoshop", dds: "image/vnd-ms.dds",
  // Fonts
  woff: "font/woff", woff2: "font/woff2", ttf: "font/ttf", otf: "font/otf", ttc: "font/collection",
  eot: "application/vnd.ms-fontobject",
  // Audio
  mp3: "audio/mpeg", m4a: "audio/mp4", aac: "audio/aac", oga: "audio/ogg", ogg: "audio/ogg",
  opus: "audio/ogg", wav: "audio/wav", weba: "audio/webm", flac: "audio/flac", mid: "audio/midi",
  midi: "audio/midi", aif: "audio/aiff", aiff: "audio/aiff", m3u: "audio/x-mpegurl",
  // Video and streaming
  mp4: "video/mp4", m4v: "video/mp4", webm: "video/webm", ogv: "video/ogg", mov: "video/quicktime",
  avi: "video/x-msvideo", mkv: "video/x-matroska", mpeg: "video/mpeg", mpg: "video/mpeg",
  wmv: "video/x-ms-wmv", flv: "video/x-flv", "3gp": "video/3gpp", "3g2": "video/3gpp2",
  m2ts: "video/mp2t", m3u8: "application/vnd.apple.mpegurl",
  mpd: "application/dash+xml",
  // Documents
  pdf: "application/pdf", epub: "application/epub+zip", doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xls: "application/vnd.ms-excel",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ppt: "application/vnd.ms-powerpoint",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  odt: "application/vnd.oasis.opendocument.text", ods: "application/vnd.oasis.opendocument.spreadsheet",
  odp: "application/vnd.oasis.opendocument.presentation", ps: "application/postscript",
  eps: "application/postscript",
  // Archives and packages
  zip: "application/zip", gz: "application/gzip", tgz: "application/gzip", bz2: "application/x-bzip2",
  xz: "application/x-xz", zst: "application/zstd", br: "application/x-brotli", "7z": "application/x-7z-compressed",
  rar: "application/vnd.rar", tar: "application/x-tar", jar: "application/java-archive",
  apk: "application/vnd.android.package-archive", deb: "application/vnd.debian.binary-package",
  rpm: "application/x-rpm", iso: "application/x-iso9660-image", dmg: "application/x-apple-diskimage",
  // Binaries and misc
  bin: "application/octet-stream", exe: "application/octet-stream", dll: "application/octet-stream",
  so: "application/octet-stream", img: "application/octet-stream", msi: "application/x-msi",
  crt: "application/x-x509-ca-cert", cer: "application/pkix-cert", pem: "application/x-pem-file",
  der: "application/x-x509-ca-cert", p12: "application/x-pkcs12", pfx: "application/x-pkcs12",
  gltf: "model/gltf+json", glb: "model/gltf-binary", stl: "model/stl", obj: "model/obj",
  swf: "application/x-shockwave-flash", torrent: "application/x-bittorrent",
  sqlite: "application/vnd.sqlite3", parquet: "application/vnd.apache.parquet",
};

/** Types that are text and so get "; charset=utf-8" (besides every text/ type). */
const TEXT_LIKE = new Set([
  "application/json", "application/ld+json", "application/manifest+json", "application/xml",
  "application/xhtml+xml", "application/xslt+xml", "application/xml-dtd", "application/rss+xml",
  "application/atom+xml", "application/yaml", "application/toml", "application/x-subrip",
  "application/sql", "application/graphql", "application/x-sh", "image/svg+xml", "model/gltf+json",
  "application/vnd.apple.mpegurl", "application/dash+xml",
]);

/** The default type of unknown extensions. */
export const DEFAULT_MIME_TYPE = "application/octet-stream";

function withCharset(type: string): string {
  return type.startsWith("text/") || TEXT_LIKE.has(type) ? type + TEXT : type;
}

const BUILTIN = new Map<string, string>();
for (const ext in TYPES) BUILTIN.set(ext, withCharset(TYPES[ext]!));
// svgz is gzip-compressed: no charset applies to its bytes.
BUILTIN.set("svgz", "image/svg+xml");

/** Overrides as given in ServeOptions.mimeTypes. */
export type MimeOverrides = Readonly<Record<string, string>> | string;

const parsedStrings = new Map<string, Map<string, string>>();
const parsedObjects = new WeakMap<object, Map<string, string>>();

function normalizeExt(ext: string): string {
  const e = ext.trim().toLowerCase();
  return e.startsWith(".") ? e.slice(1) : e;
}

function checkType(ext: string, type: string): string {
  const t = type.trim();
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw new MgError("ERR_INVALID_ARG", `mimeTypes: bad type for "${ext}": ${JSON.stringify(type)}`);
  }
  if (t === "" || ext === "") throw new MgError("ERR_INVALID_ARG", `mimeTypes: empty extension or type in ${JSON.stringify(ext)}=${JSON.stringify(type)}`);
  return t;
}

/**
 * Parses overrides: `{ md: "text/markdown" }` or `"md=text/markdown,foo=application/x-foo"`.
 * Extensions are case-insensitive, with or without the dot; types are used as given.
 * Results are cached (per string, or per object identity).
 */
export function parseMimeOverrides(o: MimeOverrides | undefined): Map<string, string> | undefined {
  if (o === undefined || o === null) return undefined;
  if (typeof o === "string") {
    let m = parsedStrings.get(o);
    if (m !== undefined) return m;
    m = new Map();
    for (const part of o.split(",")) {
      if (part.trim() === "") continue;
      const eq = part.indexOf("=");
      if (eq < 0) throw new MgError("ERR_INVALID_ARG", `mimeTypes: expected "ext=type", got ${JSON.stringify(part)}`);
      const ext = normalizeExt(part.slice(0, eq));
      m.set(ext, checkType(ext, part.slice(eq + 1)));
    }
    if (parsedStrings.size < 64) parsedStrings.set(o, m);
    return m;
  }
  if (typeof o !== "object") throw typeError("mimeTypes must be an object or an \"ext=type,...\" string");
  let m = parsedObjects.get(o);
  if (m !== undefined) return m;
  m = new Map();
  for (const k of Object.keys(o)) {
    const ext = normalizeExt(k);
    m.set(ext, checkType(ext, String(o[k])));
  }
  parsedObjects.set(o, m);
  return m;
}

/**
 * The Content-Type for a file name: overrides first (they may name compound extensions
 * such as "tar.gz"), then the built-in table by the last extension, else
 * application/octet-stream.
 */
export function mimeType(fileName: string, overrides?: Map<string, string>): string {
  let base = fileName.lastIndexOf("/");
  const bs = fileName.lastIndexOf("\\");
  if (bs > base) base = bs;
  const dot = fileName.lastIndexOf(".");
  if (dot <= base + 1 || dot === fileName.length - 1) {
    // No extension (or a dot file such as ".htaccess"): only a whole-name override applies.
    if (overrides !== undefined && overrides.size > 0) {
      const t = overrides.get(normalizeExt(fileName.slice(base + 1)));
      if (t !== undefined) return t;
    }
    return DEFAULT_MIME_TYPE;
  }
  if (overrides !== undefined && overrides.size > 0) {
    // Longest suffix first: "a.tar.gz" tries "tar.gz", then "gz".
    const name = fileName.slice(base + 1).toLowerCase();
    for (let i = name.indexOf(".", 1); i >= 0; i = name.indexOf(".", i + 1)) {
      const t = overrides.get(name.slice(i + 1));
      if (t !== undefined) return t;
    }
  }
  const ext = fileName.slice(dot + 1);
  return BUILTIN.get(ext) ?? BUILTIN.get(ext.toLowerCase()) ?? DEFAULT_MIME_TYPE;
}
