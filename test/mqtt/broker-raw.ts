// Helpers for the broker's MQTT 5 tests: a raw-socket MQTT peer that sends what it is
// told and parses what comes back (to see packet ids, DUP flags, properties and exactly
// what the broker sends when), and a runner for Paho's Python client.
import * as net from "node:net";
import { parseFixedHeader, parsePacket } from "../../src/mqtt/parser.js";
import type { MqttPacket, MqttProperty } from "../../src/index.js";
import { waitFor, run, type Exec } from "../helpers.js";

export class RawPeer {
  readonly sock: net.Socket;
  packets: MqttPacket[] = [];
  closed = false;
  private buf = Buffer.alloc(0);
  constructor(port: number, readonly version = 5) {
    this.sock = net.connect(port, "127.0.0.1");
    this.sock.on("error", () => {});
    this.sock.on("close", () => { this.closed = true; });
    this.sock.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const h = parseFixedHeader(this.buf);
        if (h === 0 || typeof h === "string" || this.buf.length < h.total) break;
        const m = parsePacket(Buffer.from(this.buf.subarray(0, h.total)), h, this.version);
        if (typeof m === "string") throw new Error(`broker sent a malformed packet: ${m}`);
        this.packets.push(m);
        this.buf = this.buf.subarray(h.total);
      }
    });
  }
  send(b: Buffer): void { this.sock.write(b); }
  /** Waits until `n` packets of type `cmd` arrived; returns them. */
  async wait(cmd: number, n = 1, ms = 5000): Promise<MqttPacket[]> {
    await waitFor(() => this.of(cmd).length >= n, ms, `${n} packet(s) of type ${cmd}`);
    return this.of(cmd);
  }
  of(cmd: number): MqttPacket[] { return this.packets.filter((p) => p.cmd === cmd); }
  waitClosed(ms = 5000): Promise<void> { return waitFor(() => this.closed, ms, "connection closed by the broker"); }
  end(): void { this.sock.destroy(); }
}

/** The value of property `id` in `props`, or undefined. */
export function prop(props: MqttProperty[], id: number): MqttProperty | undefined {
  return props.find((p) => p.id === id);
}

/** Runs a Python 3 script using Paho's client (python3-paho-mqtt) with PORT set. */
export function paho(port: number, script: string, timeoutMs = 15000): Promise<Exec> {
  const prelude = `import sys, time\nimport paho.mqtt.client as mqtt\nfrom paho.mqtt.properties import Properties\nfrom paho.mqtt.packettypes import PacketTypes\nPORT = ${port}\n`;
  return run("/usr/bin/python3", ["-c", prelude + script], { timeoutMs });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
