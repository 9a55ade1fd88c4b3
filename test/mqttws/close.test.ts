// MQTT over WebSocket ends with a WebSocket close frame, not only a TCP close (RFC 6455
// section 7.1.1): 1000 when the MQTT side ends in order (the client's DISCONNECT),
// 1008 when the peer broke MQTT's rules. The peer is the `ws` package.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { Manager, MqttBroker } from "../../src/index.js";
import { startLoop, type Loop, leakCheckAfterAll } from "../helpers.js";
import { CONNECT, CONNACK } from "./raw.js";

let loop: Loop;
let broker: MqttBroker;
let url: string;
before(() => {
  loop = startLoop(new Manager(undefined, { errorHandler: () => undefined }));
  broker = new MqttBroker(loop.manager, { listen: "ws://127.0.0.1:0" });
  url = `ws://127.0.0.1:${broker.listener.localAddr.port}/mqtt`;
});
after(async () => { broker.close(); await loop.stop(); });

/** Connects with `ws`, sends CONNECT, waits for CONNACK, sends `then`; resolves with the close code the server sent. */
function session(then: Buffer): Promise<{ code: number; got: Buffer }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, "mqtt");
    const got: Buffer[] = [];
    ws.on("open", () => ws.send(CONNECT));
    ws.on("message", (d: Buffer) => {
      got.push(d);
      if (Buffer.concat(got).equals(CONNACK)) ws.send(then);
    });
    ws.on("close", (code) => resolve({ code, got: Buffer.concat(got) }));
    ws.on("error", reject);
  });
}

test("the client's DISCONNECT: the server closes the WebSocket with 1000", async () => {
  const r = await session(Buffer.from([0xe0, 0x00]));
  assert.deepEqual(r.got, CONNACK);
  assert.equal(r.code, 1000);
});

test("a malformed packet: the server closes the WebSocket with 1008", async () => {
  // PUBLISH whose topic length (5) runs past the packet's end.
  const r = await session(Buffer.from([0x30, 0x02, 0x00, 0x05]));
  assert.deepEqual(r.got, CONNACK);
  assert.equal(r.code, 1008);
});

test("a second CONNECT (a protocol error): close frame 1008, not a bare TCP close", async () => {
  const r = await session(CONNECT);
  assert.equal(r.code, 1008);
});

leakCheckAfterAll();
