// dnsmasq as a real DNS server on loopback: no upstream (--no-resolv), no /etc/hosts,
// answering only test names with loopback addresses, on a free port of 127.0.0.1.
// Nothing it is asked can leave the machine: any other name gets REFUSED or NXDOMAIN.
import { spawn } from "node:child_process";
import * as dgram from "node:dgram";
import { existsSync } from "node:fs";
import { buildQuery, messageId, DNS_TYPE_A } from "../../src/dns/codec.js";

export interface Dnsmasq { port: number; url: string; stop(): Promise<void> }

export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

/** The names dnsmasq answers. */
export const DNSMASQ_NAMES = {
  v4: "host.test.local", // 127.0.0.1 (every name under test.local)
  v6: "host.v6only.local", // ::1 only (no A record)
  alias: "alias.test.local", // CNAME to host.test.local
  both: "both.test.local", // 127.0.0.2 and ::1
};

/**
 * dnsmasq on a free port. It listens on TCP too, and a port free for UDP may be taken on
 * TCP by another process meanwhile: then it exits with "Address already in use" and
 * another port is tried.
 */
export async function startDnsmasq(): Promise<Dnsmasq> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDnsmasqOn(await freeUdpPort());
    } catch (e) {
      if (attempt >= 5 || !String(e).includes("Address already in use")) throw e;
    }
  }
}

async function startDnsmasqOn(port: number): Promise<Dnsmasq> {
  const bin = existsSync("/usr/sbin/dnsmasq") ? "/usr/sbin/dnsmasq" : "dnsmasq";
  const args = [
    "--no-resolv", "--no-hosts", "--no-daemon", "--conf-file=/dev/null", "--user=root",
    "--listen-address=127.0.0.1", "--bind-interfaces", `--port=${port}`,
    "--address=/test.local/127.0.0.1",
    "--address=/v6only.local/::1", "--local=/v6only.local/", // A queries get NODATA
    "--address=/both.test.local/127.0.0.2", "--address=/both.test.local/::1",
    "--host-record=target.test.local,127.0.0.3",
    "--cname=alias.test.local,target.test.local",
    "--local-ttl=60",
    // No DHCP, no TFTP, nothing else of dnsmasq's.
    "--no-dhcp-interface=lo",
  ];
  let log = "";
  const proc = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout!.on("data", (d: Buffer) => { log += d.toString(); });
  proc.stderr!.on("data", (d: Buffer) => { log += d.toString(); });
  let failed = false;
  const exited = new Promise<void>((r) => {
    proc.once("exit", () => r());
    proc.once("error", (e) => { failed = true; log += `cannot run dnsmasq: ${e.message}`; r(); });
  });
  const stop = async (): Promise<void> => {
    if (!failed && proc.exitCode === null && proc.signalCode === null) { proc.kill("SIGTERM"); await exited; }
  };
  // Ready once it answers a query.
  const sock = dgram.createSocket("udp4");
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (failed || proc.exitCode !== null) throw new Error(`dnsmasq exited (${proc.exitCode}): ${log}`);
      if (Date.now() > deadline) throw new Error(`dnsmasq did not answer on port ${port}: ${log}`);
      const ok = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => { sock.removeAllListeners("message"); resolve(false); }, 200);
        sock.once("message", (m) => { clearTimeout(t); resolve(messageId(m) === 0x1234); });
        sock.send(buildQuery(0x1234, DNSMASQ_NAMES.v4, DNS_TYPE_A), port, "127.0.0.1");
      });
      if (ok) break;
    }
  } catch (e) {
    await stop();
    throw e;
  } finally {
    sock.close();
  }
  return { port, url: `udp://127.0.0.1:${port}`, stop };
}
