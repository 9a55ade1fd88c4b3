#!/usr/bin/env node
// The `tsmongoose` command: small tools built on the library.
//   tsmongoose serve [dir] --listen URL    static file server
//   tsmongoose resolve NAME                 print the addresses of a host name
//   tsmongoose ws URL                       WebSocket client: stdin lines out, messages in
//   tsmongoose sntp URL                     ask an SNTP/NTP server for the time
//   tsmongoose mqtt-broker --listen URL     MQTT broker
import * as dns from "node:dns/promises";
import * as readline from "node:readline";
import { Manager } from "./core/manager.js";
import {
  MG_EV_CLOSE, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_WS_MSG, MG_EV_WS_OPEN, MG_EV_WS_CTL, MG_EV_SNTP_TIME,
} from "./core/events.js";
import { WEBSOCKET_OP_CLOSE } from "./ws/constants.js";
import { MqttBroker } from "./mqtt/broker.js";
import { BROKER_CLI_HELP, brokerCliOptions } from "./mqtt/broker-cli.js";

const HELP: Record<string, string> = {
  main: `Usage: tsmongoose <command> [options]

Commands:
  serve [dir] --listen URL   Serve the files of dir (default .) over HTTP
  resolve NAME               Print the IP addresses of NAME
  ws URL                     WebSocket client: sends stdin lines, prints messages
  sntp URL                   Print the time of an SNTP/NTP server
  mqtt-broker --listen URL   Run an MQTT broker

Run "tsmongoose <command> --help" for a command's options.`,
  serve: `Usage: tsmongoose serve [dir] [--listen URL] [--extra-headers "Name: value"]

Serves dir (default: the current directory) with directory listings, ranges and
conditional requests. --listen defaults to http://0.0.0.0:8000. Ctrl-C stops.`,
  resolve: `Usage: tsmongoose resolve NAME

Prints each IPv4 and IPv6 address of NAME, one a line, using the system resolver.`,
  ws: `Usage: tsmongoose ws URL [--header "Name: value"]...

Connects to URL (ws:// or wss://), sends each line of standard input as a text
message and prints each message received. Ends at end of input or when closed.`,
  sntp: `Usage: tsmongoose sntp URL [--timeout MS]

Asks the SNTP/NTP server at URL (udp://host:port, sntp://host, or just host; the
default port is 123) for the time and prints it as ISO-8601, then the offset of
the server's clock from the local clock in milliseconds (positive: the local clock
is behind). --timeout is how long to wait for an answer (default 5000 ms).
Exits with 1 when the server does not give a valid answer.`,
  "mqtt-broker": `Usage: tsmongoose mqtt-broker [--listen URL] [options]

Runs an MQTT 3.1.1 / 5.0 broker (QoS 0-2, retained messages, wills, persistent
sessions, shared subscriptions) that accepts every client. Ctrl-C stops.

${BROKER_CLI_HELP}`,
};

function fail(msg: string): never {
  process.stderr.write(`tsmongoose: ${msg}\n`);
  process.exit(2);
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined) fail(`${name} needs a value`);
  args.splice(i, 2);
  return v;
}

async function serve(args: string[]): Promise<void> {
  const listen = option(args, "--listen") ?? "http://0.0.0.0:8000";
  const extra = option(args, "--extra-headers");
  const dir = args[0] ?? ".";
  const mgr = new Manager((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.serveDir(data, dir, extra ? { extraHeaders: extra } : {});
  });
  const lsn = mgr.listen(listen);
  process.stdout.write(`serving ${dir} on ${listen.replace(/:\d+(\/|$)/, `:${lsn.localAddr.port}$1`)}\n`);
  await mgr.run();
}

async function resolve(args: string[]): Promise<void> {
  const name = args[0];
  if (!name) fail("resolve needs a NAME (see --help)");
  try {
    const all = await dns.lookup(name, { all: true });
    for (const a of all) process.stdout.write(`${a.address}\n`);
  } catch (e) {
    fail(`cannot resolve ${name}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

async function ws(args: string[]): Promise<void> {
  const headers: Record<string, string> = {};
  for (let h = option(args, "--header"); h !== undefined; h = option(args, "--header")) {
    const colon = h.indexOf(":");
    if (colon <= 0) fail(`bad header "${h}": expected "Name: value"`);
    headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  const url = args[0];
  if (!url) fail("ws needs a URL (see --help)");
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

async function sntp(args: string[]): Promise<void> {
  const timeout = option(args, "--timeout");
  const arg = args[0];
  if (!arg) fail("sntp needs a URL (see --help)");
  const url = arg.includes("://") ? arg : `sntp://${arg}`;
  const timeoutMs = timeout === undefined ? undefined : Number(timeout);
  if (timeoutMs !== undefined && !(timeoutMs > 0)) fail(`bad --timeout "${timeout}": expected milliseconds`);
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

async function mqttBroker(args: string[]): Promise<void> {
  const listen = option(args, "--listen") ?? "mqtt://0.0.0.0:1883";
  let opts;
  try { opts = brokerCliOptions(args); } catch (e) { fail((e as Error).message); }
  if (args.length > 0) fail(`unknown argument "${args[0]}" (see --help)`);
  const mgr = new Manager();
  const broker = new MqttBroker(mgr, { listen, ...opts });
  process.stdout.write(`MQTT broker on ${listen.replace(/:\d+(\/|$)/, `:${broker.listener.localAddr.port}$1`)}\n`);
  await mgr.run();
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
    process.stdout.write(HELP.main + "\n");
    return;
  }
  const run: Record<string, (a: string[]) => Promise<void>> = { serve, resolve, ws, sntp, "mqtt-broker": mqttBroker };
  const f = run[cmd];
  if (!f) fail(`unknown command "${cmd}" (see --help)`);
  if (rest.includes("--help") || rest.includes("-h")) { process.stdout.write(HELP[cmd] + "\n"); return; }
  await f(rest);
}

main(process.argv.slice(2)).catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
