// Test peers for MQTT: a mosquitto broker on a free loopback port, and a recorder of a
// connection's MQTT events.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as net from "node:net";
import { after } from "node:test";
import {
  MG_EV_CLOSE, MG_EV_ERROR, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN, type EventHandler, type MqttMessage,
} from "../../src/index.js";
import { waitFor } from "../helpers.js";

export interface Broker { port: number; url: string; stop(): Promise<void> }

const live = new Set<ChildProcess>();
after(() => { for (const p of live) p.kill("SIGKILL"); });

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("connect", () => { s.destroy(); resolve(true); });
    s.on("error", () => resolve(false));
  });
}

/** Starts `mosquitto` on 127.0.0.1 with anonymous access (and `extra` config lines). */
export async function startMosquitto(extra = ""): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), "mosq-"));
  const port = await freePort();
  const conf = join(dir, "mosquitto.conf");
  // As root, mosquitto drops to user "mosquitto", which cannot read the tests' temporary files.
  const asRoot = process.getuid?.() === 0 ? "user root\n" : "";
  writeFileSync(conf, `${asRoot}listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n${extra}`);
  // Debian installs the broker in /usr/sbin, which a non-root PATH may lack.
  const bin = existsSync("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto";
  const proc = spawn(bin, ["-c", conf], { stdio: "ignore" });
  live.add(proc);
  const deadline = Date.now() + 5000;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline) { proc.kill("SIGKILL"); throw new Error("mosquitto did not start"); }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    port, url: `mqtt://127.0.0.1:${port}`,
    async stop() {
      live.delete(proc);
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Everything one connection reported. */
export class Recorder {
  opens: number[] = [];
  msgs: MqttMessage[] = [];
  cmds: MqttMessage[] = [];
  errors: string[] = [];
  closed = false;
  readonly handler: EventHandler = (_c, ev, data) => {
    if (ev === MG_EV_MQTT_OPEN) this.opens.push(data);
    else if (ev === MG_EV_MQTT_MSG) this.msgs.push(data);
    else if (ev === MG_EV_MQTT_CMD) this.cmds.push(data);
    else if (ev === MG_EV_ERROR) this.errors.push(data);
    else if (ev === MG_EV_CLOSE) this.closed = true;
  };
  has(cmd: number, id?: number): boolean { return this.cmds.some((m) => m.cmd === cmd && (id === undefined || m.id === id)); }
  waitCmd(cmd: number, id?: number, what = `packet type ${cmd}`): Promise<void> { return waitFor(() => this.has(cmd, id), 5000, what); }
  waitOpen(): Promise<void> { return waitFor(() => this.opens.length > 0, 5000, "MG_EV_MQTT_OPEN"); }
  waitMsgs(n: number): Promise<void> { return waitFor(() => this.msgs.length >= n, 5000, `${n} messages`); }
}
