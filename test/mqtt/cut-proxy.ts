// A TCP proxy between an MQTT client and a broker that cuts the connection at a chosen
// point: after it forwarded the client's packet of type `cutAfter`, the broker's next
// bytes (its acknowledgement) are dropped and both sockets destroyed. The client thus
// loses the connection with its QoS 1/2 flow unfinished, deterministically. It also
// records every packet the client sent, per connection, to see DUP flags and ids.
import * as net from "node:net";
import { parseFixedHeader, parsePacket } from "../../src/mqtt/parser.js";
import type { MqttPacket } from "../../src/index.js";

export class CutProxy {
  readonly server: net.Server;
  /** Packets each connection's client sent (index: connection number). */
  readonly sent: MqttPacket[][] = [];
  /** The next connection is cut after the client's packet of this type (0: never). */
  cutAfter = 0;
  private readonly socks = new Set<net.Socket>();
  constructor(readonly target: number, readonly version = 5) {
    this.server = net.createServer((client) => this.pipe(client));
  }
  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, "127.0.0.1", () => resolve((this.server.address() as net.AddressInfo).port)));
  }
  close(): Promise<void> {
    for (const s of this.socks) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
  private pipe(client: net.Socket): void {
    const up = net.connect(this.target, "127.0.0.1");
    const log: MqttPacket[] = [];
    this.sent.push(log);
    const cutOn = this.cutAfter;
    this.cutAfter = 0;
    let cut = false;
    let buf = Buffer.alloc(0);
    for (const s of [client, up]) { this.socks.add(s); s.on("error", () => {}); s.on("close", () => { this.socks.delete(s); client.destroy(); up.destroy(); }); }
    client.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const h = parseFixedHeader(buf);
        if (h === 0 || typeof h === "string" || buf.length < h.total) break;
        const raw = buf.subarray(0, h.total);
        buf = buf.subarray(h.total);
        const m = parsePacket(Buffer.from(raw), h, log.length === 0 ? 5 : this.version);
        if (typeof m !== "string") log.push(m);
        if (cut) continue; // the flow is over for this connection
        up.write(raw);
        if (typeof m !== "string" && m.cmd === cutOn) cut = true;
      }
    });
    up.on("data", (d: Buffer) => {
      if (cut) { client.destroy(); up.destroy(); return; }
      client.write(d);
    });
  }
}
