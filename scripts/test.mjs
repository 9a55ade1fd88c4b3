#!/usr/bin/env node
// Runs every test in dist/test (built by `npm run build`, which `npm test` runs first).
// Tests use real peers from Debian: curl, openssl, chromium, python3-websockets, python3-paho-mqtt, mosquitto
// (and its clients), chrony, dnsmasq, redis-server. Missing ones are installed when running as root, otherwise the
// run stops with a clear message.
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, statSync, existsSync } from "node:fs";
import { join } from "node:path";

const peers = [
  { name: "curl", check: () => has("curl"), pkg: "curl" },
  { name: "openssl", check: () => has("openssl"), pkg: "openssl" },
  { name: "chromium", check: () => has("chromium"), pkg: "chromium" },
  { name: "python3-websockets", check: () => spawnSync("/usr/bin/python3", ["-c", "import websockets"]).status === 0, pkg: "python3-websockets" },
  // Paho's Python client for the MQTT interoperability tests (test/mqtt/broker-raw.ts, test/mqttws).
  { name: "python3-paho-mqtt", check: () => spawnSync("/usr/bin/python3", ["-c", "import paho.mqtt.client"]).status === 0, pkg: "python3-paho-mqtt" },
  // mosquitto (an MQTT broker, in /usr/sbin) and its clients for the MQTT tests (test/mqtt/peers.ts).
  { name: "mosquitto", check: () => has("mosquitto") || existsSync("/usr/sbin/mosquitto"), pkg: "mosquitto" },
  { name: "mosquitto-clients", check: () => has("mosquitto_sub") && has("mosquitto_pub"), pkg: "mosquitto-clients" },
  // chronyd serves NTP on loopback for the SNTP tests (test/sntp/chrony.ts).
  { name: "chrony", check: () => has("chronyd") || existsSync("/usr/sbin/chronyd"), pkg: "chrony" },
  // dnsmasq answers test names on loopback for the DNS client tests (test/dns/dnsmasq.ts).
  // dnsmasq-base is the program alone: the "dnsmasq" package would also start a system
  // service on port 53.
  { name: "dnsmasq", check: () => has("dnsmasq") || existsSync("/usr/sbin/dnsmasq"), pkg: "dnsmasq-base" },
  // redis-server for the broker cluster tests (test/broker/cluster-redis.ts starts its own, on a free port).
  { name: "redis-server", check: () => has("redis-server") || existsSync("/usr/bin/redis-server"), pkg: "redis-server" },
];

function has(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

const missing = peers.filter((p) => !p.check());
if (missing.length > 0) {
  const pkgs = missing.map((p) => p.pkg);
  if (process.getuid && process.getuid() === 0) {
    console.log(`# installing test peers: ${pkgs.join(" ")}`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...pkgs], { stdio: "inherit", env });
  } else {
    console.error(`Tests need these Debian packages: ${pkgs.join(" ")}.\nInstall them with: sudo apt-get install ${pkgs.join(" ")}`);
    process.exit(1);
  }
  const still = peers.filter((p) => !p.check());
  if (still.length > 0) {
    console.error(`Could not install test peers: ${still.map((p) => p.name).join(", ")}`);
    process.exit(1);
  }
}

function collect(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
let files = collect("dist/test", []);
if (filter.length > 0) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) { console.error("no test files found in dist/test (did the build run?)"); process.exit(1); }
// --test-timeout fails a test that hangs instead of hanging the run; --test-force-exit ends
// a file whose failed test left a server polling.
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=2", "--test-timeout=180000", "--test-force-exit", ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
