// `tsmongoose pub` and `tsmongoose sub`: MQTT command-line clients with the options of
// mosquitto_pub / mosquitto_sub (-h host -p port -t topic -m message -q qos -r -V 5,
// and -C count / -v for sub), so scripts written for those work with few changes.
import { readFileSync } from "node:fs";
import { Manager } from "./manager.js";
import type { Connection } from "./connection.js";
import { MG_EV_CLOSE, MG_EV_ERROR, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN } from "./events.js";
import { MQTT_CMD_PUBACK, MQTT_CMD_PUBCOMP, MQTT_CMD_SUBACK } from "./mqtt/constants.js";
import type { MqttConnectOptions } from "./mqtt/client.js";
import { fail, intOption, parseCommand, usageError } from "./cli-kit.js";

const CONNECTION_HELP = `  -h, --host HOST            Broker host (default localhost)
  -p, --port PORT            Broker port (default 1883, 8883 with --tls)
  -L, --url URL              mqtt://[user:pass@]host:port instead of -h/-p (mqtts:// for TLS;
                             ws://host:port/path or wss:// for MQTT over WebSocket)
  --tls                      Connect with TLS (verified against the system CAs)
  -i, --id ID                Client id (default: a random one)
  -u, --username USER        User name
  -P, --pw PASS              Password
  -k, --keepalive S          Keep alive in seconds (default 60)
  -V, --protocol-version V   5 (or mqttv5) or 311 (or mqttv311, the default)
  -q, --qos N                QoS 0, 1 or 2 (default 0)
  --help                     Print this help`;

export const PUB_HELP = `Usage: tsmongoose pub -t TOPIC (-m MESSAGE | -f FILE | -s | -n) [-h HOST] [-p PORT] [-q QOS] [-r] [-V 5]

Publishes one message to an MQTT broker, as mosquitto_pub does, and exits once the
broker has it (after the PUBACK for QoS 1, the PUBCOMP for QoS 2).

Options:
  -t, --topic TOPIC          Topic to publish to
  -m, --message MESSAGE      The message
  -f, --file FILE            Send the contents of FILE as the message
  -s, --stdin-file           Send all of standard input as the message
  -n, --null-message         Send an empty message
  -r, --retain               Ask the broker to retain the message
${CONNECTION_HELP}

Exits with 1 when the broker cannot be reached, refuses the connection or closes it
before the message is acknowledged.`;

export const SUB_HELP = `Usage: tsmongoose sub -t FILTER... [-h HOST] [-p PORT] [-q QOS] [-C COUNT] [-v] [-V 5]

Subscribes to one or more topic filters on an MQTT broker, as mosquitto_sub does, and
prints each message received on a line of standard output (with -v: the topic, a
space, then the message). Runs until Ctrl-C, or until COUNT messages with -C.

Options:
  -t, --topic FILTER         Topic filter to subscribe to (repeatable)
  -C, --count COUNT          Exit after COUNT messages
  -v, --verbose              Print the topic before each message
  -R, --no-retained          Skip messages that arrive with the retain flag (stale ones)
${CONNECTION_HELP}

Exits with 1 when the broker cannot be reached, refuses the connection or a
subscription, or closes the connection.`;

const CONNECTION_OPTIONS = {
  host: { type: "string", short: "h" }, port: { type: "string", short: "p" }, url: { type: "string", short: "L" },
  tls: { type: "boolean" }, id: { type: "string", short: "i" }, username: { type: "string", short: "u" },
  pw: { type: "string", short: "P" }, keepalive: { type: "string", short: "k" },
  "protocol-version": { type: "string", short: "V" }, qos: { type: "string", short: "q" },
} as const;

interface ConnectionValues {
  host?: string | undefined; port?: string | undefined; url?: string | undefined; tls?: boolean | undefined;
  id?: string | undefined; username?: string | undefined; pw?: string | undefined; keepalive?: string | undefined;
  "protocol-version"?: string | undefined; qos?: string | undefined;
}

/** The broker URL and connect options that -h/-p/-L/... describe. */
function connection(cmd: string, help: string, v: ConnectionValues): { url: string; opts: MqttConnectOptions; qos: number } {
  if (v.url !== undefined && (v.host !== undefined || v.port !== undefined)) usageError(cmd, help, "-L cannot be used with -h or -p");
  let url = v.url;
  if (url === undefined) {
    const host = v.host ?? "localhost";
    const port = intOption(cmd, help, "--port", v.port, v.tls === true ? 8883 : 1883, 1, 65535);
    url = `${v.tls === true ? "mqtts" : "mqtt"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
  } else if (!/^(mqtts?|wss?):\/\//.test(url)) {
    usageError(cmd, help, `bad --url "${url}": expected mqtt://, mqtts://, ws:// or wss://`);
  }
  const pv = v["protocol-version"];
  let version: 4 | 5 = 4;
  if (pv === "5" || pv === "mqttv5") version = 5;
  else if (pv !== undefined && pv !== "311" && pv !== "mqttv311") usageError(cmd, help, `bad --protocol-version "${pv}": expected 5 or 311`);
  const opts: MqttConnectOptions = { version, keepAlive: intOption(cmd, help, "--keepalive", v.keepalive, 60, 0, 65535) };
  if (v.id !== undefined) opts.clientId = v.id;
  if (v.username !== undefined) opts.user = v.username;
  if (v.pw !== undefined) opts.pass = v.pw;
  return { url, opts, qos: intOption(cmd, help, "--qos", v.qos, 0, 0, 2) };
}

/** Connects; a connection error is reported once, and the loop ends when the connection closes. */
async function runClient(cmd: string, url: string, opts: MqttConnectOptions, h: (c: Connection, ev: number, data: unknown) => void): Promise<void> {
  const mgr = new Manager();
  const ac = new AbortController();
  let err = "";
  try {
    mgr.mqttConnect(url, (c, ev, data) => {
      if (ev === MG_EV_ERROR) err = data;
      h(c, ev, data);
      if (ev === MG_EV_CLOSE) ac.abort();
    }, opts);
  } catch (e) {
    fail(cmd, e instanceof Error ? e.message : String(e));
  }
  await mgr.run({ signal: ac.signal, pollMs: 50 });
  if (process.exitCode === 1 && err !== "") process.stderr.write(`tsmongoose ${cmd}: ${url}: ${err}\n`);
}

export async function pub(argv: string[]): Promise<void> {
  const { values } = parseCommand("pub", PUB_HELP, argv, {
    ...CONNECTION_OPTIONS, topic: { type: "string", short: "t" }, message: { type: "string", short: "m" },
    file: { type: "string", short: "f" }, "stdin-file": { type: "boolean", short: "s" },
    "null-message": { type: "boolean", short: "n" }, retain: { type: "boolean", short: "r" },
  }, { min: 0, max: 0, names: "" });
  const topic = values.topic;
  if (topic === undefined) usageError("pub", PUB_HELP, "pub needs a topic (-t)");
  const sources = [values.message !== undefined, values.file !== undefined, values["stdin-file"] === true, values["null-message"] === true].filter(Boolean).length;
  if (sources !== 1) usageError("pub", PUB_HELP, "give exactly one of -m, -f, -s and -n");
  const { url, opts, qos } = connection("pub", PUB_HELP, values);
  let payload: Buffer;
  try {
    payload = values.message !== undefined ? Buffer.from(values.message)
      : values.file !== undefined ? readFileSync(values.file)
      : values["stdin-file"] === true ? readFileSync(0) : Buffer.alloc(0);
  } catch (e) {
    fail("pub", `cannot read the message: ${e instanceof Error ? e.message : String(e)}`);
  }
  let delivered = false;
  const finish = (c: Connection): void => { delivered = true; c.mqttDisconnect(); c.drain(); };
  process.exitCode = 1; // until the broker has the message
  await runClient("pub", url, opts, (c, ev, data) => {
    if (ev === MG_EV_MQTT_OPEN) {
      if (data !== 0) { process.stderr.write(`tsmongoose pub: the broker refused the connection (return code ${String(data)})\n`); return; }
      c.mqttPub(topic, payload, { qos, retain: values.retain === true });
      if (qos === 0) finish(c);
    } else if (ev === MG_EV_MQTT_CMD) {
      const m = data as { cmd: number };
      if ((qos === 1 && m.cmd === MQTT_CMD_PUBACK) || (qos === 2 && m.cmd === MQTT_CMD_PUBCOMP)) finish(c);
    } else if (ev === MG_EV_CLOSE && delivered) {
      process.exitCode = 0;
    }
  });
}

export async function sub(argv: string[]): Promise<void> {
  const { values } = parseCommand("sub", SUB_HELP, argv, {
    ...CONNECTION_OPTIONS, topic: { type: "string", short: "t", multiple: true }, count: { type: "string", short: "C" },
    verbose: { type: "boolean", short: "v" }, "no-retained": { type: "boolean", short: "R" },
  }, { min: 0, max: 0, names: "" });
  const topics = values.topic ?? [];
  if (topics.length === 0) usageError("sub", SUB_HELP, "sub needs a topic filter (-t)");
  const count = values.count === undefined ? undefined : intOption("sub", SUB_HELP, "--count", values.count, 0, 1, Number.MAX_SAFE_INTEGER);
  const { url, opts, qos } = connection("sub", SUB_HELP, values);
  let received = 0, done = false;
  process.exitCode = 1; // unless -C COUNT messages arrive, ending is a failure (as the connection closed)
  await runClient("sub", url, opts, (c, ev, data) => {
    if (ev === MG_EV_MQTT_OPEN) {
      if (data !== 0) { process.stderr.write(`tsmongoose sub: the broker refused the connection (return code ${String(data)})\n`); return; }
      for (const t of topics) c.mqttSub(t, { qos });
    } else if (ev === MG_EV_MQTT_CMD) {
      const m = data as { cmd: number; data: Buffer; version?: number };
      if (m.cmd === MQTT_CMD_SUBACK) {
        // The last bytes of a SUBACK are one return code per filter; 0x80 and up refuse it.
        const codes = m.data.subarray(Math.max(0, m.data.length - topics.length));
        for (let i = 0; i < codes.length; i++) {
          if (codes[i]! >= 0x80) { process.stderr.write(`tsmongoose sub: the broker refused "${topics[i]}" (reason 0x${codes[i]!.toString(16)})\n`); c.close(); }
        }
      }
    } else if (ev === MG_EV_MQTT_MSG && !done) {
      const m = data as { topic: string; data: Buffer; retain: boolean };
      if (values["no-retained"] === true && m.retain) return;
      process.stdout.write(values.verbose === true ? Buffer.concat([Buffer.from(`${m.topic} `), m.data, Buffer.from("\n")]) : Buffer.concat([m.data, Buffer.from("\n")]));
      received++;
      if (count !== undefined && received >= count) {
        done = true;
        process.exitCode = 0;
        c.mqttDisconnect();
        c.drain();
      }
    }
  });
}
