// Checks a server before it is measured: the same request wrk sends, twice on one
// connection (keep-alive), parsed by hand so the exact response size is known.
import * as net from "node:net";
import * as tls from "node:tls";

export interface ProbeResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
  /** Head and body: the bytes wrk reads per response. */
  totalBytes: number;
}

export interface ProbeOptions {
  port: number;
  path: string;
  /** Speak TLS, trusting this CA certificate (PEM). */
  tlsCa?: string;
  timeoutMs?: number;
  /** The request wrk sends (see WrkRequest): method (default GET), header lines, body. */
  method?: string;
  headers?: [string, string][];
  body?: Buffer;
  /** The request says `Connection: close`: one response, then the server must close. */
  closeEach?: boolean;
}

const CRLFCRLF = Buffer.from("\r\n\r\n");

/** Parses one response with a Content-Length body from the front of `buf`; undefined when incomplete. */
function parseResponse(buf: Buffer): ProbeResponse | undefined {
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
  if (!m) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  const cl = headers.get("content-length");
  if (cl === undefined) throw new Error(`status ${m[1]} without Content-Length (${headers.get("transfer-encoding") ?? "no framing"})`);
  const total = end + 4 + Number(cl);
  if (buf.length < total) return undefined;
  return { status: Number(m[1]), headers, body: Buffer.from(buf.subarray(end + 4, total)), totalBytes: total };
}

/** The request as wrk writes it: request line, Host, the script's headers, Content-Length for a body. */
export function requestBytes(o: ProbeOptions): Buffer {
  let head = `${o.method ?? "GET"} ${o.path} HTTP/1.1\r\nHost: 127.0.0.1:${o.port}\r\n`;
  for (const [k, v] of o.headers ?? []) head += `${k}: ${v}\r\n`;
  if (o.body !== undefined) head += `Content-Length: ${o.body.length}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, "latin1"), o.body ?? Buffer.alloc(0)]);
}

/** Sends the request twice on one connection; returns the first response after checking the
 *  second matches it (closeEach: once, and the server must then close the connection). */
export function probeHttp(o: ProbeOptions): Promise<ProbeResponse> {
  const req = requestBytes(o);
  return new Promise((resolve, reject) => {
    const sock: net.Socket = o.tlsCa !== undefined
      ? tls.connect({ host: "127.0.0.1", port: o.port, ca: o.tlsCa, servername: "localhost" })
      : net.connect(o.port, "127.0.0.1");
    let buf = Buffer.alloc(0);
    const got: ProbeResponse[] = [];
    let settled = false;
    const finish = (e: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (e) { reject(e); return; }
      const [a, b] = got as [ProbeResponse, ProbeResponse];
      if (a.status !== b.status || a.totalBytes !== b.totalBytes) {
        reject(new Error(`second response differs: status ${b.status}, ${b.totalBytes} bytes vs status ${a.status}, ${a.totalBytes} bytes`));
        return;
      }
      resolve(a);
    };
    const timer = setTimeout(() => finish(new Error(`no complete response within ${(o.timeoutMs ?? 5000) / 1000} s (${got.length} of 2 received)`)), o.timeoutMs ?? 5000);
    sock.once(o.tlsCa !== undefined ? "secureConnect" : "connect", () => sock.write(req));
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      try {
        const r = parseResponse(buf);
        if (r === undefined) return;
        got.push(r);
        buf = buf.subarray(r.totalBytes);
        if (got.length === 1) {
          if (r.status !== 200) { finish(new Error(`status ${r.status}: ${r.body.toString("utf8", 0, Math.min(r.body.length, 80)).trim()}`)); return; }
          if (o.closeEach === true) got.push(r); // the same response twice: the check in finish() passes
          else sock.write(req);
        } else if (o.closeEach !== true) {
          finish(undefined);
        }
      } catch (e) { finish(e as Error); }
    });
    sock.on("end", () => {
      if (o.closeEach === true && got.length === 2 && buf.length === 0) finish(undefined);
      else finish(new Error(o.closeEach === true ? (got.length ? "bytes after the response to Connection: close" : "connection closed without a response")
        : got.length === 1 ? "connection closed after the first response (no keep-alive)" : "connection closed without a response"));
    });
    sock.on("error", (e) => finish(new Error(`${o.tlsCa !== undefined ? "TLS " : ""}connection: ${e.message}`)));
  });
}

/** Probes and checks the status and body; returns the response size wrk should see. */
export async function expectBody(o: ProbeOptions, body: Buffer): Promise<number> {
  const r = await probeHttp(o);
  if (!r.body.equals(body)) {
    const show = (b: Buffer): string => JSON.stringify(b.toString("utf8", 0, Math.min(b.length, 60)));
    throw new Error(`wrong body: ${r.body.length} bytes ${show(r.body)}, expected ${body.length} ${show(body)}`);
  }
  return r.totalBytes;
}
