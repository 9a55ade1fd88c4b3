#!/usr/bin/env node
// Runs Eclipse Paho's MQTT interoperability suite (a checkout of eclipse/paho.mqtt.testing,
// which stays outside this repository) against `tsmongoose mqtt-broker`, one test at a
// time with a timeout each, and prints a pass table.
//
//   npm run conformance:mqtt -- <path to paho.mqtt.testing> [--timeout S] [--port PORT] [--broker HOST:PORT] [--only test_a,test_b]
//
// Without --broker it builds nothing: run `npx tsc` first; it starts dist/src/cli.js with
// the options the suite's configuration-dependent tests need. With --broker it tests a
// broker that is already running (mosquitto, for comparison).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as net from "node:net";

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); if (i < 0) return def; const v = args[i + 1]; args.splice(i, 2); return v; };
const timeoutS = Number(opt("--timeout", "60"));
const against = opt("--broker", undefined);
const only = opt("--only", undefined)?.split(",");
let port = Number(opt("--port", "0"));
const suite = args[0];
if (!suite || !existsSync(join(suite, "interoperability", "client_test5.py"))) {
  console.error("usage: npm run conformance:mqtt -- <path to a checkout of eclipse/paho.mqtt.testing> [--timeout S] [--port PORT] [--broker HOST:PORT]");
  process.exit(2);
}
const dir = join(suite, "interoperability");

// The suite's files parse their own argv and take their topics from their __main__ block:
// this runner imports the module, sets those globals, and runs one test.
const RUNNER = `
import sys, importlib, unittest, logging
sys.path.insert(0, sys.argv[1])
fname, host, port, test = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
mod = importlib.import_module(fname[:-3])
mod.host = host; mod.port = port
pre = "client_test5/" if fname == "client_test5.py" else ""
mod.topic_prefix = pre
mod.topics = [pre + t for t in ["TopicA", "TopicA/B", "Topic/C", "TopicA/C", "/TopicA"]]
mod.wildtopics = [pre + t for t in ["TopicA/+", "+/C", "#", "/#", "/+", "+/+", "TopicA/#"]]
mod.nosubscribe_topics = ("test/nosubscribe",)
logging.getLogger().setLevel(logging.CRITICAL)
r = unittest.main(module=mod, argv=["x", "Test." + test], exit=False).result
sys.exit(0 if r.wasSuccessful() else 1)
`;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

let broker;
let host = "localhost";
if (against) {
  [host, port] = [against.split(":")[0], Number(against.split(":")[1])];
} else {
  if (!existsSync("dist/src/cli.js")) { console.error("dist/src/cli.js is missing: run `npx tsc -p tsconfig.json` first"); process.exit(2); }
  if (port === 0) port = await freePort();
  broker = spawn(process.execPath, ["dist/src/cli.js", "mqtt-broker", "--listen", `mqtt://127.0.0.1:${port}`,
    "--max-keepalive", "60", "--deny-subscribe", "test/nosubscribe"], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve) => broker.stdout.once("data", resolve));
  host = "127.0.0.1";
}

const results = [];
for (const file of ["client_test.py", "client_test5.py"]) {
  const names = [...readFileSync(join(dir, file), "utf8").matchAll(/^ {4}def (test\w*)\(/gm)].map((m) => m[1]).filter((n) => only === undefined || only.includes(n));
  for (const name of names) {
    const r = spawnSync("/usr/bin/python3", ["-c", RUNNER, dir, file, host, String(port), name], { cwd: dir, timeout: timeoutS * 1000, encoding: "utf8" });
    const verdict = r.status === 0 ? "pass" : r.error?.code === "ETIMEDOUT" || r.signal ? "timeout" : "fail";
    results.push({ file, name, verdict });
    console.log(`${verdict.padEnd(7)} ${file} ${name}`);
  }
}
broker?.kill("SIGTERM");

console.log("\n| suite | passed |\n|---|---|");
for (const file of ["client_test.py", "client_test5.py"]) {
  const mine = results.filter((r) => r.file === file);
  console.log(`| ${file} | ${mine.filter((r) => r.verdict === "pass").length} / ${mine.length} |`);
}
const failed = results.filter((r) => r.verdict !== "pass");
if (failed.length > 0) console.log(`\nnot passed: ${failed.map((r) => `${r.name} (${r.verdict})`).join(", ")}`);
process.exitCode = failed.length > 0 ? 1 : 0;
