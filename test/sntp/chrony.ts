// chronyd as a real NTP server on loopback: its own config (no system clock control,
// -x), serving 127.0.0.1 on a free port from its local clock at stratum 8.
import { spawn, type ChildProcess } from "node:child_process";
import * as dgram from "node:dgram";
import { existsSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Chrony { port: number; stop(): Promise<void> }

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

/** Resolves once the server answers a client-mode request with a synchronized reply. */
async function waitForAnswer(port: number, proc: ChildProcess, failed: () => boolean, log: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const sock = dgram.createSocket("udp4");
  try {
    for (;;) {
      if (failed() || proc.exitCode !== null) throw new Error(`chronyd exited (${proc.exitCode}): ${log()}`);
      if (Date.now() > deadline) throw new Error(`chronyd did not answer on port ${port}: ${log()}`);
      const req = Buffer.alloc(48);
      req[0] = (4 << 3) | 3;
      req.writeUInt32BE(0xeeb0_0000, 40);
      const ok = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => { sock.removeAllListeners("message"); resolve(false); }, 200);
        sock.once("message", (m) => { clearTimeout(t); resolve(m.length === 48 && m[0]! >> 6 !== 3 && m[1]! > 0); });
        sock.send(req, port, "127.0.0.1");
      });
      if (ok) return;
    }
  } finally {
    sock.close();
  }
}

export async function startChrony(): Promise<Chrony> {
  const dir = mkdtempSync(join(tmpdir(), "tsm-chrony-"));
  const port = await freeUdpPort();
  const conf = join(dir, "chrony.conf");
  writeFileSync(conf, [
    `port ${port}`,
    "bindaddress 127.0.0.1",
    "allow 127.0.0.1",
    "local stratum 8",
    "cmdport 0",
    `pidfile ${join(dir, "chronyd.pid")}`,
    `driftfile ${join(dir, "drift")}`,
    "",
  ].join("\n"));
  let log = "";
  // -d: foreground, log to stderr; -x: never touch the system clock; -u root: keep
  // privileges so the temporary files stay writable.
  // /usr/sbin is not on every PATH.
  const bin = existsSync("/usr/sbin/chronyd") ? "/usr/sbin/chronyd" : "chronyd";
  const proc = spawn(bin, ["-d", "-x", "-u", "root", "-f", conf], { stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout!.on("data", (d: Buffer) => { log += d.toString(); });
  proc.stderr!.on("data", (d: Buffer) => { log += d.toString(); });
  let failed = false;
  const exited = new Promise<void>((r) => {
    proc.once("exit", () => r());
    proc.once("error", (e) => { failed = true; log += `cannot run chronyd: ${e.message}`; r(); });
  });
  const stop = async (): Promise<void> => {
    if (!failed && proc.exitCode === null && proc.signalCode === null) { proc.kill("SIGTERM"); await exited; }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForAnswer(port, proc, () => failed, () => log);
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, stop };
}
