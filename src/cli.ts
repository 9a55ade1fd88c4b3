#!/usr/bin/env node
// The `tsmongoose` command: small tools built on the library.
//   tsmongoose serve [dir] --listen URL    static file server with a request log
//   tsmongoose resolve NAME                 print the addresses of a host name
//   tsmongoose ws URL                       WebSocket client: stdin lines out, messages in
//   tsmongoose sntp URL                     ask an SNTP/NTP server for the time
//   tsmongoose mqtt-broker --listen URL     MQTT broker that logs its clients
// Arguments are parsed strictly (node:util parseArgs): an unknown flag, a flag without
// its value or a stray argument is a usage error (exit 2), as in most Unix tools.
import * as dns from "node:dns/promises";
import * as readline from "node:readline";
import { readFileSync, statSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs, type ParseArgsConfig } from "node:util";
import cluster from "node:cluster";
import { Manager } from "./manager.js";
import { runWorkers, workerCount } from "./workers.js";
import type { Connection } from "./connection.js";
import {
  MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_MQTT_CMD, MG_EV_WS_MSG, MG_EV_WS_OPEN, MG_EV_WS_CTL,
  MG_EV_SNTP_TIME, type EventHandler,
} from "./events.js";
import { WEBSOCKET_OP_CLOSE } from "./ws/constants.js";
import { MQTT_CMD_CONNECT, MQTT_CMD_DISCONNECT } from "./mqtt/constants.js";
import { MqttBroker } from "./broker/broker.js";
import { BROKER_CLI_HELP, brokerCliOptions } from "./broker/broker-cli.js";
import { GET_HELP, get } from "./cli-get.js";
import { PUB_HELP, SUB_HELP, pub, sub } from "./cli-mqtt.js";
import { DEFAULT_MAX_UPLOAD, SERVE_EXTRAS_HELP, ServeExtras } from "./cli-serve-extras.js";

const HELP: Record<string, string> = {
  main: `Usage: tsmongoose <command> [options]

Commands:
  serve [dir] --listen URL   Serve the files of dir (default .) over HTTP
  resolve NAME               Print the IP addresses of NAME
  ws URL                     WebSocket client: sends stdin lines, prints messages
  sntp URL                   Print the time of an SNTP/NTP server
  mqtt-broker --listen URL   Run an MQTT broker
  get URL [-o FILE]          Download URL over HTTP/HTTPS (progress bar on a terminal)
  pub -t TOPIC -m MESSAGE    Publish an MQTT message (like mosquitto_pub)
  sub -t FILTER              Print MQTT messages (like mosquitto_sub)

Options:
  -h, --help                 Print this help (or a command's, after the command)
  -v, --version              Print the version

Run "tsmongoose <command> --help" for a command's options.`,
  serve: `Usage: tsmongoose serve [dir] [--listen URL] [--workers N|auto] [--extra-headers "Name: value"] [--upload DIR] [--cors] [--quiet]

Serves dir (default: the current directory) with directory listings, ranges and
conditional requests; dir may also map URI prefixes to folders ("/a=./x,/=./y").
Each request is logged on standard output as one line: time, client address,
method and path, status, body bytes sent, milliseconds until the last byte was
queued. Ctrl-C stops.

Options:
  -l, --listen URL           Where to listen (default http://0.0.0.0:8000)
  -w, --workers N|auto       Worker processes sharing the port (default 1; auto:
                             one per core); see docs/scaling.md
  --extra-headers HEADERS    Headers added to every file response
  -q, --quiet                No request log
${SERVE_EXTRAS_HELP}
  -h, --help                 Print this help

Exits with 1 when dir (or the --upload DIR) does not exist.`,
  resolve: `Usage: tsmongoose resolve NAME [--server udp://IP:PORT]

Prints each IPv4 and IPv6 address of NAME, one a line, using the system resolver.
With --server, asks that DNS server with the library's own client instead and
prints the first IPv4 (A) and the first IPv6 (AAAA) address it answers.

Options:
  -s, --server URL           DNS server to ask (udp://IP:port)
  -h, --help                 Print this help`,
  ws: `Usage: tsmongoose ws URL [--header "Name: value"]...

Connects to URL (ws:// or wss://), sends each line of standard input as a text
message and prints each message received. Ends at end of input or when closed.

Options:
  -H, --header "Name: value" A request header for the handshake (repeatable)
  -h, --help                 Print this help`,
  sntp: `Usage: tsmongoose sntp URL [--timeout MS]

Asks the SNTP/NTP server at URL (udp://host:port, sntp://host, or just host; the
default port is 123) for the time and prints it as ISO-8601, then the offset of
the server's clock from the local clock in milliseconds (positive: the local clock
is behind). Exits with 1 when the server does not give a valid answer.

Options:
  -t, --timeout MS           How long to wait for an answer (default 5000)
  -h, --help                 Print this help`,
  "mqtt-broker": `Usage: tsmongoose mqtt-broker [--listen URL] [--workers N|auto] [--redis URL] [--quiet]

Runs an MQTT 3.1.1 / 5.0 broker (QoS 0-2, retained messages, wills, persistent
sessions, shared subscriptions) that accepts every client, and logs each client's
connect and disconnect on standard output. Ctrl-C stops.

  -l, --listen URL             Where to listen (default mqtt://0.0.0.0:1883); ws://host:port
                               for MQTT over WebSocket (any path; ws://host:port/mqtt:
                               that path only). Repeat for several
  -w, --workers N|auto         Worker processes sharing the port (default 1). Each is
                               a broker of its own, or with --redis a node of one
                               cluster: see docs/scaling.md
  -q, --quiet                  No client log
  -h, --help                   Print this help
${BROKER_CLI_HELP.split("\n").filter((l) => !l.includes("--listen")).join("\n")}`,
  get: GET_HELP,
  pub: PUB_HELP,
  sub: SUB_HELP,
};

/** A usage error: the message, the command's usage line, exit code 2. */
function usageError(cmd: string, msg: string): never {
  const name = cmd === "main" ? "tsmongoose" : `tsmongoose ${cmd}`;
  const usage = HELP[cmd]!.split("\n")[0]!;
  process.stderr.write(`${name}: ${msg}\n${usage}\nRun "${name} --help" for more.\n`);
  process.exit(2);
}

/** A failure of the work itself, not of the arguments (exit 1 unless told). */
function fail(cmd: string, msg: string, code = 1): never {
  process.stderr.write(`tsmongoose${cmd === "" ? "" : ` ${cmd}`}: ${msg}\n`);
  process.exit(code);
}

type Options = NonNullable<ParseArgsConfig["options"]>;

const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const;

/** parseArgs in strict mode with --help; a usage error names the first problem. */
function parse<O extends Options>(cmd: string, argv: string[], options: O, positionals: { min: number; max: number; names: string }) {
  const config = { args: argv, options: { ...options, ...HELP_OPTION }, strict: true, allowPositionals: true } as const;
  let r: ReturnType<typeof parseArgs<typeof config>>;
  try {
    r = parseArgs(config);
  } catch (e) {
    // Node's messages go on with advice about "--"; the first sentence names the problem.
    const first = (e instanceof Error ? e.message : String(e)).split(/\.\s/)[0]!.replace(/\.$/, "");
    usageError(cmd, first.charAt(0).toLowerCase() + first.slice(1));
  }
  if ((r.values as { help?: boolean }).help === true) { process.stdout.write(HELP[cmd] + "\n"); process.exit(0); }
  const n = r.positionals.length;
  if (n < positionals.min) usageError(cmd, `${cmd} needs a ${positionals.names}`);
  if (n > positionals.max) usageError(cmd, `unexpected argument "${r.positionals[positionals.max]}"`);
  return r;
}

/** The URL with the real port of a port-0 listener. */
const withPort = (url: string, port: number): string => url.replace(/:\d+(\/|$)/, `:${port}$1`);

/** For a wildcard address, the loopback and network URLs it can be reached on (like http-server prints). */
function reachable(url: string, port: number): string[] {
  const u = new URL(url);
  if (u.hostname !== "0.0.0.0" && u.hostname !== "[::]") return [];
  const out = [`${u.protocol}//127.0.0.1:${port}`];
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) out.push(`${u.protocol}//${a.address}:${port}`);
  }
  return out;
}

const stamp = (): string => new Date().toISOString();
const peer = (c: Connection): string => (c.remoteAddr.isIp6 ? `[${c.remoteAddr.ip}]:${c.remoteAddr.port}` : `${c.remoteAddr.ip}:${c.remoteAddr.port}`);

// ---- serve ------------------------------------------------------------------------

/** A request waiting for (or in the middle of) its response. */
interface Pending { method: string; uri: string; t0: number; status?: number; bytes?: number; left?: number }

const CRLF2 = Buffer.from("\r\n\r\n");

/**
 * Follows one connection's responses to log them: each send() that starts a response
 * head ("HTTP/1.x NNN") answers the oldest request; its Content-Length says how many
 * body bytes follow before the next head. Observes what the HTTP layer queues through
 * conn.send(), so it sees exactly what goes on the wire.
 */
function logResponses(c: Connection, write: (line: string) => void): Pending[] {
  const queue: Pending[] = [];
  const done = (p: Pending, note = ""): void => {
    queue.shift();
    const ms = (performance.now() - p.t0).toFixed(1);
    write(`${stamp()} ${c.remoteAddr.ip} "${p.method} ${p.uri}" ${p.status ?? "-"} ${p.bytes ?? "-"} ${ms} ms${note}\n`);
  };
  // Every answer byte goes through send() or, for HTTP answers made of text, _sendText().
  const seen = (data: string | Uint8Array): void => {
    const p = queue[0];
    if (p !== undefined) {
      const b = typeof data === "string" ? Buffer.from(data, "latin1") : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      if (p.left !== undefined) {
        p.left -= b.length;
        if (p.left <= 0) done(p);
      } else if (b.length >= 12 && b.toString("latin1", 0, 7) === "HTTP/1.") {
        const status = Number(b.toString("latin1", 9, 12));
        if (status >= 200) {
          const end = b.indexOf(CRLF2);
          const head = b.toString("latin1", 0, end < 0 ? b.length : end);
          const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
          // RFC 9110 section 6.4.1: no body for HEAD, 204 and 304, whatever the length says.
          const noBody = p.method === "HEAD" || status === 204 || status === 304;
          p.status = status;
          p.bytes = noBody ? 0 : m ? Number(m[1]) : undefined;
          if (p.bytes === undefined || p.bytes === 0) done(p);
          else {
            p.left = p.bytes - (end < 0 ? 0 : b.length - end - 4);
            if (p.left <= 0) done(p);
          }
        }
      }
    }
  };
  const send = c.send.bind(c);
  c.send = (data: string | Uint8Array): boolean => { seen(data); return send(data); };
  const sendText = c._sendText.bind(c);
  c._sendText = (text: string | Buffer, bytes: number): void => { seen(text); sendText(text, bytes); };
  return queue;
}

/** The folders a serveDir root names: "dir", or "/a=./x,/=./y" mappings. */
function rootFolders(dir: string): string[] {
  return dir.split(",").map((part) => (part.includes("=") ? part.slice(part.indexOf("=") + 1) : part));
}

/** --workers: a positive integer or "auto" (a usage error otherwise); 1 when not given. */
function workersOption(cmd: string, v: string | undefined): number {
  if (v === undefined) return 1;
  if (v !== "auto" && !/^[1-9][0-9]{0,3}$/.test(v)) usageError(cmd, `bad --workers "${v}": expected a positive number or "auto"`);
  return workerCount(v === "auto" ? "auto" : Number(v));
}

/**
 * Runs `setup`'s manager: in this process for one worker (the listener binds at once),
 * else in `workers` processes sharing the port; `ready` is told the real port.
 */
async function runServer(cmd: string, workers: number, setup: () => { mgr: Manager; lsn: Connection | readonly Connection[] }, ready: (port: number, i: number) => void): Promise<void> {
  if (workers === 1) {
    let s: { mgr: Manager; lsn: Connection | readonly Connection[] };
    try { s = setup(); } catch (e) { fail(cmd, e instanceof Error ? e.message : String(e)); }
    const lsns = Array.isArray(s.lsn) ? s.lsn as readonly Connection[] : [s.lsn as Connection];
    lsns.forEach((l, i) => ready(l.localAddr.port, i));
    await s.mgr.run();
    return;
  }
  try {
    await runWorkers({ workers, setup: () => setup().mgr, onListening: (a) => { if (a.length === 0) ready(0, 0); else a.forEach((x, i) => ready(x.port, i)); }, log: (line) => { process.stderr.write(`tsmongoose ${cmd}: ${line}\n`); } });
  } catch (e) {
    fail(cmd, e instanceof Error ? e.message : String(e));
  }
}

async function serve(argv: string[]): Promise<void> {
  const { values, positionals } = parse("serve", argv, {
    listen: { type: "string", short: "l" }, workers: { type: "string", short: "w" },
    "extra-headers": { type: "string" }, quiet: { type: "boolean", short: "q" },
    upload: { type: "string" }, "max-upload-size": { type: "string" }, cors: { type: "boolean" },
  }, { min: 0, max: 1, names: "dir" });
  const workers = workersOption("serve", values.workers);
  const listen = values.listen ?? "http://0.0.0.0:8000";
  const extra = values["extra-headers"];
  const dir = positionals[0] ?? ".";
  const extras = new ServeExtras({ upload: values.upload, cors: values.cors });
  const maxUpload = values["max-upload-size"] === undefined ? DEFAULT_MAX_UPLOAD : Number(values["max-upload-size"]);
  if (!Number.isSafeInteger(maxUpload) || maxUpload < 0) usageError("serve", `bad --max-upload-size "${values["max-upload-size"]}": expected bytes`);
  for (const folder of [...rootFolders(dir), ...(values.upload === undefined ? [] : [values.upload])]) {
    let isDir = false;
    try { isDir = statSync(folder).isDirectory(); } catch { fail("serve", `directory not found: ${folder}`); }
    if (!isDir) fail("serve", `not a directory: ${folder}`);
  }
  const quiet = values.quiet === true;
  const out = (line: string): void => { process.stdout.write(line); };
  const queues = new Map<Connection, Pending[]>();
  const fileHeaders = (extra ? `${extra.replace(/\r?\n?$/, "")}\r\n` : "") + extras.fileHeaders;
  const opts = fileHeaders !== "" ? { extraHeaders: fileHeaders } : {};
  const setup = (): { mgr: Manager; lsn: Connection } => {
    const mgr = new Manager((c, ev, data) => {
      if (ev === MG_EV_ACCEPT && !quiet) queues.set(c, logResponses(c, out));
      else if (ev === MG_EV_HTTP_MSG) {
        queues.get(c)?.push({ method: data.method, uri: data.query === "" ? data.uri : `${data.uri}?${data.query}`, t0: performance.now() });
        if (!extras.handle(c, data)) c.serveDir(data, dir, opts);
      } else if (ev === MG_EV_ERROR && c.isListening) {
        // A listener that binds later (a host name, or a worker's share of the port).
        process.stderr.write(`tsmongoose serve: ${data}\n`);
      } else if (ev === MG_EV_CLOSE) {
        // Requests the connection ended before answering in full.
        for (const p of queues.get(c) ?? []) {
          out(`${stamp()} ${c.remoteAddr.ip} "${p.method} ${p.uri}" ${p.status ?? "-"} ${p.bytes ?? "-"} ${(performance.now() - p.t0).toFixed(1)} ms (closed before the end)\n`);
        }
        queues.delete(c);
      }
    });
    return { mgr, lsn: mgr.listen(listen, values.upload === undefined ? {} : { maxBodySize: maxUpload }) };
  };
  await runServer("serve", workers, setup, (port) => {
    out(`serving ${dir} on ${withPort(listen, port)}${workers > 1 ? ` (${workers} workers)` : ""}\n`);
    for (const u of reachable(listen, port)) out(`  ${u}\n`);
  });
}

// ---- resolve, ws, sntp -----------------------------------------------------------

async function resolve(argv: string[]): Promise<void> {
  const { values, positionals } = parse("resolve", argv, { server: { type: "string", short: "s" } }, { min: 1, max: 1, names: "NAME" });
  const name = positionals[0]!;
  if (values.server !== undefined) { await resolveWith(values.server, name); return; }
  try {
    const all = await dns.lookup(name, { all: true });
    for (const a of all) process.stdout.write(`${a.address}\n`);
  } catch (e) {
    fail("resolve", `cannot resolve ${name}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 2);
  }
}

/** resolve --server: A then AAAA with the own DNS client (one lookup of each family). */
async function resolveWith(server: string, name: string): Promise<void> {
  let mgr: Manager;
  try { mgr = new Manager(undefined, { dnsServer: server }); } catch { usageError("resolve", `bad --server "${server}": expected udp://IP:port`); }
  const ac = new AbortController();
  const found: string[] = [];
  const errors: string[] = [];
  let left = 2;
  for (const family of [4, 6] as const) {
    mgr._resolver(name, family, (err, address) => {
      if (err) errors.push(err.message); else found[family === 4 ? 0 : 1] = address;
      if (--left === 0) ac.abort();
    });
  }
  await mgr.run({ signal: ac.signal, pollMs: 20 });
  const addrs = found.filter((a) => a !== undefined);
  for (const a of addrs) process.stdout.write(`${a}\n`);
  if (addrs.length === 0) fail("resolve", `cannot resolve ${name}: ${errors[0] ?? "no address"}`, 2);
}

async function ws(argv: string[]): Promise<void> {
  const { values, positionals } = parse("ws", argv, { header: { type: "string", short: "H", multiple: true } }, { min: 1, max: 1, names: "URL" });
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const colon = h.indexOf(":");
    if (colon <= 0) usageError("ws", `bad header "${h}": expected "Name: value"`);
    headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  const url = positionals[0]!;
  const mgr = new Manager();
  const ac = new AbortController();
  let open = false;
  const pending: string[] = [];
  let inputDone = false;
  const conn = mgr.wsConnect(url, (c, ev, data) => {
    if (ev === MG_EV_WS_OPEN) {
      open = true;
      for (const line of pending.splice(0)) c.wsSend(line);
      if (inputDone) c.wsSend("", WEBSOCKET_OP_CLOSE);
    } else if (ev === MG_EV_WS_MSG) {
      process.stdout.write(`${data.text}\n`);
    } else if (ev === MG_EV_WS_CTL && data.op === WEBSOCKET_OP_CLOSE) {
      // the layer answers the close
    } else if (ev === MG_EV_ERROR) {
      process.stderr.write(`tsmongoose ws: ${data}\n`);
      process.exitCode = 1;
    } else if (ev === MG_EV_CLOSE) {
      ac.abort();
    }
  }, { headers });
  const rl = readline.createInterface({ input: process.stdin });
  rl.on("line", (line) => { if (open) conn.wsSend(line); else pending.push(line); });
  rl.on("close", () => { inputDone = true; if (open) conn.wsSend("", WEBSOCKET_OP_CLOSE); });
  await mgr.run({ signal: ac.signal });
}

async function sntp(argv: string[]): Promise<void> {
  const { values, positionals } = parse("sntp", argv, { timeout: { type: "string", short: "t" } }, { min: 1, max: 1, names: "URL" });
  const arg = positionals[0]!;
  const url = arg.includes("://") ? arg : `sntp://${arg}`;
  const timeout = values.timeout;
  const timeoutMs = timeout === undefined ? undefined : Number(timeout);
  if (timeoutMs !== undefined && !(timeoutMs > 0)) usageError("sntp", `bad --timeout "${timeout}": expected milliseconds`);
  const mgr = new Manager();
  const ac = new AbortController();
  mgr.sntpConnect(url, (c, ev, data) => {
    if (ev === MG_EV_SNTP_TIME) {
      // The time is the server's clock at the moment the reply arrived, so this is the offset.
      const offset = data - Date.now();
      process.stdout.write(`${new Date(data).toISOString()}\noffset ${offset >= 0 ? "+" : ""}${offset} ms\n`);
      c.close();
    } else if (ev === MG_EV_ERROR) {
      process.stderr.write(`tsmongoose sntp: ${data}\n`);
      process.exitCode = 1;
      c.close();
    } else if (ev === MG_EV_CLOSE) {
      ac.abort();
    }
  }, timeoutMs === undefined ? {} : { timeoutMs });
  await mgr.run({ signal: ac.signal, pollMs: 50 });
}

// ---- mqtt-broker ------------------------------------------------------------------

/** What the log knows of one client connection. */
interface Seen { id: string; reason: string | undefined }

/**
 * Wraps the broker's listener handler (accepted connections take the listener's handler)
 * to log CONNECT and the end of each connection. The broker runs first, so a client it
 * refuses is logged as refused. MqttBroker has no connect/disconnect hooks of its own.
 */
function logClients(broker: MqttBroker, write: (line: string) => void): void {
  const inner = broker.listener.handler; // (the same handler on every listener)
  if (inner === undefined) return;
  const seen = new Map<Connection, Seen>();
  const h: EventHandler = (...args) => {
    const [c, ev, data] = args;
    const before = ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_CONNECT ? new Set(broker.sessionIds) : undefined;
    inner(...args);
    if (c.isListening) {
      // A listener that binds later (a worker's share of the port) reports its failure here.
      if (ev === MG_EV_ERROR) process.stderr.write(`tsmongoose mqtt-broker: ${data}\n`);
      return;
    }
    if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_CONNECT && data.connect !== undefined) {
      const info = data.connect;
      const version = info.version >= 5 ? "5.0" : info.version === 4 ? "3.1.1" : "3.1";
      // 3.1.1 section 3.1.3.1: an empty client id without a clean session is refused (CONNACK 2).
      if (info.clientId === "" && !info.clean && info.version < 5) {
        write(`${stamp()} refused client with an empty id and a persistent session from ${peer(c)} (MQTT ${version})\n`);
        return;
      }
      // An empty id gets one from the broker: the session that was not there before.
      const id = info.clientId !== "" ? info.clientId : broker.sessionIds.find((s) => !before!.has(s)) ?? "(assigned)";
      seen.set(c, { id, reason: undefined });
      write(`${stamp()} client "${id}" connected from ${peer(c)} (MQTT ${version}, ${info.clean ? "clean" : "persistent"} session, keep alive ${info.keepAlive} s)\n`);
    } else if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_DISCONNECT) {
      const s = seen.get(c);
      if (s !== undefined) s.reason = "sent DISCONNECT";
    } else if (ev === MG_EV_ERROR) {
      const s = seen.get(c);
      if (s !== undefined && s.reason === undefined) s.reason = data;
    } else if (ev === MG_EV_CLOSE) {
      const s = seen.get(c);
      if (s === undefined) return;
      seen.delete(c);
      write(`${stamp()} client "${s.id}" disconnected from ${peer(c)} (${s.reason ?? "connection closed"})\n`);
    }
  };
  for (const l of broker.listeners) l.handler = h;
}

async function mqttBroker(argv: string[]): Promise<void> {
  // The broker's own options first (they are taken out of the list), then the rest strictly.
  const rest = [...argv];
  let opts: ReturnType<typeof brokerCliOptions>;
  try { opts = brokerCliOptions(rest); } catch (e) { usageError("mqtt-broker", (e as Error).message); }
  const { values } = parse("mqtt-broker", rest, {
    listen: { type: "string", short: "l", multiple: true }, workers: { type: "string", short: "w" }, quiet: { type: "boolean", short: "q" },
  }, { min: 0, max: 0, names: "" });
  // Repeatable: one broker on every URL (mqtt://, ws://, ...).
  const listen = values.listen ?? ["mqtt://0.0.0.0:1883"];
  const workers = workersOption("mqtt-broker", values.workers);
  if (workers > 1 && cluster.isPrimary && opts.cluster === undefined) {
    // Without a shared store each worker keeps its own sessions, subscriptions and
    // retained messages: a client only meets the clients that landed on its worker.
    process.stderr.write(`tsmongoose mqtt-broker: warning: ${workers} workers are ${workers} independent brokers sharing a port: ` +
      "clients on different workers do not see each other's messages, retained messages or sessions. " +
      "Add --redis URL to make them one cluster; see docs/scaling.md\n");
  }
  const setup = (): { mgr: Manager; lsn: readonly Connection[] } => {
    const mgr = new Manager();
    const broker = new MqttBroker(mgr, { listen, ...opts });
    if (values.quiet !== true) logClients(broker, (line) => { process.stdout.write(line); });
    return { mgr, lsn: broker.listeners };
  };
  await runServer("mqtt-broker", workers, setup, (port, i) => {
    const url = listen[i] ?? listen[0]!;
    process.stdout.write(`MQTT broker on ${withPort(url, port)}${workers > 1 ? ` (${workers} workers)` : ""}\n`);
    for (const u of reachable(url, port)) process.stdout.write(`  ${u}\n`);
  });
}

// ---- main -------------------------------------------------------------------------

function version(): string {
  // dist/src/cli.js -> the package's package.json (also in an installed package).
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
  return String(pkg.version);
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) usageError("main", "no command given");
  if (cmd === "--help" || cmd === "-h" || cmd === "help") {
    const topic = rest[0];
    if (topic !== undefined && HELP[topic] !== undefined && topic !== "main") process.stdout.write(HELP[topic] + "\n");
    else if (topic !== undefined) usageError("main", `unknown command "${topic}"`);
    else process.stdout.write(HELP.main + "\n");
    return;
  }
  if (cmd === "--version" || cmd === "-v") { process.stdout.write(`${version()}\n`); return; }
  if (cmd.startsWith("-")) usageError("main", `unknown option "${cmd}"`);
  const run: Record<string, (a: string[]) => Promise<void>> = { serve, resolve, ws, sntp, "mqtt-broker": mqttBroker, get, pub, sub };
  const f = run[cmd];
  if (!f) usageError("main", `unknown command "${cmd}"`);
  await f(rest);
}

main(process.argv.slice(2)).catch((e: unknown) => fail("", e instanceof Error ? e.message : String(e)));
