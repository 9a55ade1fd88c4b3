// The fragment-flood shape (issue 15) checked on MQTT: many tiny packets in one buffer.
// Each PUBLISH is parsed and delivered as it is found, its fields views of the receive
// buffer, so what the server keeps must not grow with the number of packets: O(1) per
// packet, bounded by the input itself. (A test only, next to the WebSocket flood tests:
// src/mqtt belongs to another helper; move it to test/mqtt/ when merging.)
import { it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import * as v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { Manager, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_ERROR, MQTT_CMD_CONNECT, type MqttPacket } from "../../src/index.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";

v8.setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const used = (): number => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };

/** MQTT 3.1.1 CONNECT (section 3.1): clean session, keep-alive 60, client id "f". */
const CONNECT = Buffer.from([0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, 0, 1, 0x66]);
/** PUBLISH QoS 0 (section 3.3) on topic "t" with a 1-byte payload: 6 bytes. */
const publish = (b: number): Buffer => Buffer.from([0x30, 4, 0, 1, 0x74, b]);

it("100,000 tiny PUBLISH packets in one buffer: all delivered, memory kept is O(1) per packet", async () => {
  const N = 100_000;
  let got = 0, badPayload = 0, peakKept = 0, base = 0;
  const errors: string[] = [];
  const manager = new Manager();
  const lsn = manager.mqttListen("mqtt://127.0.0.1:0", (c, ev, data) => {
    if (ev === MG_EV_MQTT_CMD && (data as MqttPacket).cmd === MQTT_CMD_CONNECT) c.mqttConnack(0);
    else if (ev === MG_EV_MQTT_MSG) {
      if (data.data.length !== 1 || data.data[0] !== (got & 0x7f) || data.topic !== "t") badPayload++;
      got++;
      // What stays reachable while the flood is being delivered (garbage collected first).
      if (got % 10_000 === 0) { gc(); peakKept = Math.max(peakKept, used() - base); }
    } else if (ev === MG_EV_ERROR) errors.push(data);
  });
  const loop = startLoop(manager);
  const input = Buffer.concat([CONNECT, ...Array.from({ length: N }, (_, i) => publish(i & 0x7f))]);
  const sock = net.connect(lsn.localAddr.port, "127.0.0.1");
  try {
    await new Promise<void>((r) => sock.once("connect", () => r()));
    sock.on("data", () => { /* CONNACK */ });
    gc();
    base = used();
    sock.write(input); // one buffer: 600 KB of 6-byte packets
    await waitFor(() => got >= N || errors.length > 0, 60_000, `${N} PUBLISH delivered`);
    assert.deepEqual(errors, []);
    assert.equal(got, N);
    assert.equal(badPayload, 0);
    // The input is 600 KB (held by the socket, the receive buffer and this test); the
    // bound allows that a few times over plus slack, far below 100,000 x any per-packet
    // cost that would be kept (even 100 bytes each would be 10 MB).
    console.log(`# mqtt flood: ${N} packets (${input.length} bytes): kept at most +${(peakKept / 2 ** 20).toFixed(2)} MiB while delivering`);
    assert.ok(peakKept < 4 * input.length + (2 << 20), `kept ${peakKept} bytes while delivering ${N} packets`);
  } finally {
    sock.destroy();
    await loop.stop();
  }
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
