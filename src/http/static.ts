// Static files: serveDir() and serveFile(). (Being written.)
import type { Connection } from "../core/connection.js";
import type { HttpMessage } from "./message.js";
import type { HeadersInit } from "./reply.js";

export interface ServeOptions {
  /** Headers added to every response: "Name: value" lines or an object. */
  extraHeaders?: HeadersInit;
  /** Extension to MIME type overrides: { "md": "text/markdown" } or "md=text/markdown,foo=application/x-foo". */
  mimeTypes?: Record<string, string> | string;
  /** File served (with status 404) when the path does not exist. */
  page404?: string;
}

export function serveDir(c: Connection, _msg: HttpMessage, _root: string, _opts?: ServeOptions): void {
  c.reply(501, "serveDir: not implemented yet\n");
}
export function serveFile(c: Connection, _msg: HttpMessage, _path: string, _opts?: ServeOptions): void {
  c.reply(501, "serveFile: not implemented yet\n");
}
