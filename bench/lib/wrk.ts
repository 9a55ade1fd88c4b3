// Runs wrk (one thread) and reads its summary through a Lua done() hook, which costs
// nothing per request: requests, bytes, error counts and latency percentiles as JSON.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";

export interface WrkResult {
  requests: number;
  bytes: number;
  seconds: number;
  /** Socket errors and responses with status >= 400, as wrk counts them. */
  errors: { connect: number; read: number; write: number; timeout: number; status: number };
  p50us: number;
  p99us: number;
}

const MARK = "WRKJSON ";
const DONE_LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('${MARK}{"requests":%d,"bytes":%d,"duration":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p99":%d}\\n',
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;

/** What wrk sends instead of a plain GET: set once in the script, so it costs nothing per request. */
export interface WrkRequest {
  method?: string;
  /** Header lines besides Host (wrk adds Host, and Content-Length when there is a body). */
  headers?: [string, string][];
  body?: Buffer;
}

export interface WrkOptions extends WrkRequest {
  url: string;
  connections: number;
  seconds: number;
  /** Directory for wrk's Lua script (and the request body it reads). */
  scratchDir: string;
}

const scripts = new Map<string, string>();

const luaString = (s: string): string => JSON.stringify(s); // a JSON string of ASCII text is a valid Lua string

/** The Lua script for one request shape: the request set up in the script's main chunk, then done(). */
function scriptFor(o: WrkOptions): string {
  const key = createHash("sha1").update(JSON.stringify([o.method, o.headers])).update(o.body ?? Buffer.alloc(0)).digest("hex").slice(0, 12);
  let path = scripts.get(key);
  if (path !== undefined) return path;
  const lines: string[] = [];
  if (o.method !== undefined) lines.push(`wrk.method = ${luaString(o.method)}`);
  for (const [k, v] of o.headers ?? []) lines.push(`wrk.headers[${luaString(k)}] = ${luaString(v)}`);
  if (o.body !== undefined) {
    // The body from a file: any bytes, any size (a 100 MiB upload), no escaping.
    const bodyFile = join(o.scratchDir, `wrk-body-${key}.bin`);
    writeFileSync(bodyFile, o.body);
    lines.push(`do local f = assert(io.open(${luaString(bodyFile)}, "rb")); wrk.body = f:read("*a"); f:close() end`);
  }
  path = join(o.scratchDir, `wrk-${key}.lua`);
  writeFileSync(path, `${lines.join("\n")}\n${DONE_LUA}`);
  scripts.set(key, path);
  return path;
}

export function runWrk(o: WrkOptions): Promise<WrkResult> {
  const scriptPath = scriptFor(o);
  // wrk takes whole seconds only (a warm-up of 0.5 s becomes 1 s).
  const args = ["-t1", `-c${o.connections}`, `-d${Math.max(1, Math.round(o.seconds))}s`, "--timeout", "5s", "-s", scriptPath, o.url];
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => { out += d; });
    child.stderr.setEncoding("utf8").on("data", (d: string) => { err += d; });
    const killer = setTimeout(() => child.kill("SIGKILL"), (o.seconds + 30) * 1000);
    child.once("error", (e) => { clearTimeout(killer); reject(e); });
    child.once("exit", (code) => {
      clearTimeout(killer);
      const line = out.split("\n").find((l) => l.startsWith(MARK));
      if (code !== 0 || line === undefined) {
        reject(new Error(`wrk failed (exit ${code}): ${(err || out).trim().split("\n").slice(-3).join(" | ")}`));
        return;
      }
      const j = JSON.parse(line.slice(MARK.length)) as Record<string, number>;
      resolve({
        requests: j.requests!,
        bytes: j.bytes!,
        seconds: j.duration! / 1e6,
        errors: { connect: j.connect!, read: j.read!, write: j.write!, timeout: j.timeout!, status: j.status! },
        p50us: j.p50!,
        p99us: j.p99!,
      });
    });
  });
}

/**
 * What disqualifies a wrk run: any socket error or error status, no responses, or a byte
 * count that does not fit `responseBytes` per response (a server sending short or wrong
 * bodies cannot win). Up to one partial response per connection may be in flight at the end.
 */
export function wrkProblems(r: WrkResult, responseBytes: number, connections: number): string[] {
  const p: string[] = [];
  const e = r.errors;
  if (r.requests === 0) p.push("no responses");
  if (e.status > 0) p.push(`${e.status} error responses (status >= 400)`);
  const sock = e.connect + e.read + e.write + e.timeout;
  if (sock > 0) p.push(`socket errors: connect ${e.connect}, read ${e.read}, write ${e.write}, timeout ${e.timeout}`);
  if (r.requests > 0) {
    const min = r.requests * responseBytes;
    const max = (r.requests + connections) * responseBytes;
    if (r.bytes < min || r.bytes > max) {
      p.push(`read ${r.bytes} bytes for ${r.requests} responses: ${(r.bytes / r.requests).toFixed(1)} per response, expected ${responseBytes}`);
    }
  }
  return p;
}
