// `tsmongoose get URL [-o FILE]`: downloads one URL over HTTP or HTTPS with a client
// connection of the library, showing a progress bar on a terminal like curl's `-#`.
import { createWriteStream, readFileSync } from "node:fs";
import { Manager } from "./manager.js";
import { MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG, MG_EV_READ } from "./events.js";
import { urlHost, urlIsSsl, urlPass, urlPort, urlScheme, urlUri, urlUser } from "./util/url.js";
import { base64Encode } from "./util/base64.js";
import { fail, intOption, parseCommand, usageError } from "./cli-kit.js";

export const GET_HELP = `Usage: tsmongoose get URL [-o FILE] [-H "Name: value"]... [--max-size BYTES] [-s]

Downloads URL (http:// or https://) and writes the body to FILE, or to standard
output without -o. On a terminal, standard error shows a progress bar (as curl -#
does); when standard error is not a terminal, or with --silent, nothing is shown.
HTTPS servers are verified against the system's certificate authorities (or
--cacert's).

Options:
  -o, --output FILE          Write the body to FILE instead of standard output
  -H, --header "Name: value" A request header (repeatable)
  --cacert FILE              Trust the CA certificate(s) in FILE (PEM) for HTTPS
  -k, --insecure             Do not verify the HTTPS server's certificate
  --max-size BYTES           Largest body accepted (default 1073741824)
  -s, --silent               No progress bar
  -h, --help                 Print this help

Exit codes: 0 done; 1 connection, TLS or protocol error; 2 usage error;
22 the server answered with a status of 400 or more (the body is not written,
as with curl --fail).`;

const MAX_BODY = 1 << 30;

const units = ["B", "KiB", "MiB", "GiB"];
function size(n: number): string {
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/**
 * One frame of the progress bar, `width` columns wide: '#' for the share received and
 * the percentage, as curl -# draws it; with an unknown total, the bytes received so far.
 */
export function progressLine(received: number, total: number | undefined, width: number): string {
  if (total === undefined || total <= 0) {
    const s = `${size(received)} received`;
    return s.padStart(Math.max(width, s.length));
  }
  const share = Math.min(1, received / total);
  const pct = `${(share * 100).toFixed(1)}%`.padStart(7);
  const bar = Math.max(1, width - pct.length - 1);
  return `${"#".repeat(Math.floor(share * bar)).padEnd(bar)} ${pct}`;
}

/** Draws progressLine on a terminal, only when the text changes. */
class Progress {
  #last = "";
  constructor(private readonly out: NodeJS.WriteStream | undefined) {}
  draw(received: number, total: number | undefined): void {
    if (this.out === undefined) return;
    const line = progressLine(received, total, Math.max(20, (this.out.columns || 80) - 1));
    if (line === this.#last) return;
    this.#last = line;
    this.out.write(`\r${line}`);
  }
  end(): void { if (this.out !== undefined && this.#last !== "") this.out.write("\n"); }
}

export async function get(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand("get", GET_HELP, argv, {
    output: { type: "string", short: "o" }, header: { type: "string", short: "H", multiple: true },
    "max-size": { type: "string" }, silent: { type: "boolean", short: "s" },
    cacert: { type: "string" }, insecure: { type: "boolean", short: "k" },
  }, { min: 1, max: 1, names: "URL" });
  const url = positionals[0]!;
  let scheme = "";
  try { scheme = urlScheme(url); } catch { /* refused below */ }
  if (scheme !== "http" && scheme !== "https") usageError("get", GET_HELP, `expected an http:// or https:// URL, got "${url}"`);
  const maxBodySize = intOption("get", GET_HELP, "--max-size", values["max-size"], MAX_BODY, 0, 2 ** 32);
  let extra = "";
  for (const h of values.header ?? []) {
    const colon = h.indexOf(":");
    if (colon <= 0 || /[\r\n]/.test(h)) usageError("get", GET_HELP, `bad header "${h}": expected "Name: value"`);
    extra += `${h.slice(0, colon).trim()}: ${h.slice(colon + 1).trim()}\r\n`;
  }
  const host = urlHost(url), port = urlPort(url), ssl = urlIsSsl(url);
  const has = (name: string): boolean => new RegExp(`^${name}:`, "im").test(extra);
  let head = `GET ${urlUri(url)} HTTP/1.1\r\n`;
  if (!has("host")) head += `Host: ${host.includes(":") ? `[${host}]` : host}${port === (ssl ? 443 : 80) ? "" : `:${port}`}\r\n`;
  if (!has("user-agent")) head += "User-Agent: tsmongoose-get\r\n";
  if (!has("accept")) head += "Accept: */*\r\n";
  const user = urlUser(url);
  if (user !== "" && !has("authorization")) head += `Authorization: Basic ${base64Encode(`${user}:${urlPass(url)}`)}\r\n`;
  head += `${extra}Connection: close\r\n\r\n`;

  let ca: Buffer | undefined;
  if (values.cacert !== undefined) {
    try { ca = readFileSync(values.cacert); } catch (e) { fail("get", `cannot read --cacert ${values.cacert}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`); }
  }
  const tls = { name: host, ...(ca !== undefined ? { ca } : {}), ...(values.insecure === true ? { skipVerification: true } : {}) };
  const progress = new Progress(values.silent !== true && process.stderr.isTTY ? process.stderr : undefined);
  const mgr = new Manager();
  const ac = new AbortController();
  let headLen = -1, total: number | undefined, error = "", done = false;
  let body: Buffer | undefined, status = 0;
  mgr.connect(url, (c, ev, data) => {
    if (ev === MG_EV_CONNECT) c.send(head);
    else if (ev === MG_EV_HTTP_HDRS) {
      headLen = data.message.length;
      const cl = data.header("Content-Length");
      total = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : undefined;
      progress.draw(Math.max(0, c.recvLen - headLen), total);
    } else if (ev === MG_EV_READ && headLen >= 0) {
      // The HTTP layer keeps the body in the receive buffer until it is complete.
      progress.draw(Math.max(0, c.recvLen - headLen), total);
    } else if (ev === MG_EV_HTTP_MSG) {
      done = true;
      status = data.status() ?? 0;
      body = Buffer.from(data.bodyBytes);
      progress.draw(body.length, total ?? body.length);
      c.close();
    } else if (ev === MG_EV_ERROR) {
      error = data;
    } else if (ev === MG_EV_CLOSE) {
      ac.abort();
    }
  }, { http: true, maxBodySize, ...(ssl ? { tls } : {}) });
  await mgr.run({ signal: ac.signal, pollMs: 50 });
  progress.end();
  if (!done || body === undefined) fail("get", `${url}: ${error !== "" ? error : "connection closed before a complete response"}`);
  if (status >= 400) fail("get", `${url}: the server answered ${status}`, 22);
  if (values.output === undefined) {
    await new Promise<void>((resolve, reject) => process.stdout.write(body!, (e) => (e ? reject(e) : resolve())));
    return;
  }
  const file = createWriteStream(values.output);
  await new Promise<void>((resolve, reject) => {
    file.on("error", reject);
    file.end(body, () => resolve());
  }).catch((e: unknown) => fail("get", `cannot write ${values.output}: ${e instanceof Error ? e.message : String(e)}`));
}
