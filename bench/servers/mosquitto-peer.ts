// The peer MQTT broker for the benchmarks: mosquitto (Debian package), started on a free
// loopback port with a throw-away configuration (anonymous clients, no logging, no
// persistence; TCP_NODELAY when the config says `nodelay: true`). This wrapper announces
// the port and mosquitto's pid, so the harness measures mosquitto's CPU (see
// ../lib/child.ts), and stops it on SIGTERM.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as net from "node:net";
import { announceWrapped, serverConfig } from "../lib/child.js";
import { mosquittoPath } from "../lib/tools.js";

const READY_TIMEOUT_MS = 5000;
const cfg = serverConfig<{ nodelay?: boolean }>();

/** A port that was free a moment ago (mosquitto cannot listen on port 0 and report it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}

const dir = mkdtempSync(join(tmpdir(), "bench-mosquitto-"));
const port = await freePort();
const conf = join(dir, "mosquitto.conf");
// Each scenario gives mosquitto its better setting: set_tcp_nodelay is off by default, and
// Nagle's algorithm then coalesces its one-write-per-delivery fan-out (about 2x more
// deliveries/s than with TCP_NODELAY), but makes a PUBACK and a PUBLISH written back to
// back wait for the client's delayed ACK (about 40 ms) in the QoS 1 round trips.
const options = [`listener ${port} 127.0.0.1`, "allow_anonymous true", "persistence false", "log_dest none"];
if (cfg.nodelay) options.push("set_tcp_nodelay true");
writeFileSync(conf, options.join("\n") + "\n");
const child = spawn(mosquittoPath(), ["-c", conf], { stdio: ["ignore", "inherit", "inherit"] });
/** Stops mosquitto and exits once it has (so the next server gets a quiet core). */
const stop = (code: number): void => {
  child.removeAllListeners("exit");
  child.once("exit", () => { rmSync(dir, { recursive: true, force: true }); process.exit(code); });
  child.kill("SIGTERM");
};
child.once("exit", (code, signal) => {
  rmSync(dir, { recursive: true, force: true });
  console.error(`mosquitto exited (${signal ?? `code ${code}`})`);
  process.exit(1);
});
process.once("SIGTERM", () => stop(0));
const deadline = Date.now() + READY_TIMEOUT_MS;
while (!(await accepts(port))) {
  if (Date.now() > deadline) { console.error(`mosquitto did not listen on port ${port} within ${READY_TIMEOUT_MS / 1000} s`); stop(1); }
  await new Promise((r) => setTimeout(r, 50));
}
announceWrapped(port, child.pid!);
