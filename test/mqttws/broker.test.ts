// Our client against our broker over ws:// and wss://, MQTT 3.1.1 and 5, QoS 0-2 and
// retained messages; and `tsmongoose mqtt-broker --listen ws://...` with Paho.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Manager, MqttBroker, MQTT_CMD_SUBACK } from "../../src/index.js";
import { run, startLoop, waitFor, type Loop, leakCheckAfterAll } from "../helpers.js";
import { makeTestCerts, type TestCerts } from "../tls/certs.js";
import { Child } from "../examples/spawn.js";
import { paho } from "../mqtt/broker-raw.js";
import { Recorder } from "../mqtt/peers.js";

let certs: TestCerts;
let loop: Loop;
let ws: MqttBroker;
let wss: MqttBroker;
before(() => {
  certs = makeTestCerts();
  loop = startLoop(new Manager());
  ws = new MqttBroker(loop.manager, { listen: "ws://127.0.0.1:0" });
  wss = new MqttBroker(loop.manager, { listen: "wss://127.0.0.1:0/mqtt", tls: { cert: certs.server.cert, key: certs.server.key } });
});
after(async () => { ws.close(); wss.close(); await loop.stop(); certs.cleanup(); });

for (const scheme of ["ws", "wss"] as const) {
  for (const version of [4, 5] as const) {
    test(`our client and our broker over ${scheme}:// (MQTT ${version === 5 ? "5" : "3.1.1"}): QoS 0, 1, 2 and a retained message`, async () => {
      const b = scheme === "ws" ? ws : wss;
      const url = `${scheme}://localhost:${b.listener.localAddr.port}/mqtt`;
      const opts = scheme === "wss" ? { version, tls: { ca: certs.ca } } : { version };
      b.publish(`r/${scheme}/${version}`, "retained", { retain: true });
      const sub = new Recorder();
      const s = loop.manager.mqttConnect(url, sub.handler, opts);
      await sub.waitOpen();
      assert.equal(s.isTls, scheme === "wss");
      assert.equal(s.wsProtocol, "mqtt");
      s.mqttSub(`r/${scheme}/${version}`, { qos: 2 });
      await sub.waitCmd(MQTT_CMD_SUBACK);
      const pub = new Recorder();
      const p = loop.manager.mqttConnect(url, pub.handler, opts);
      await pub.waitOpen();
      for (const qos of [0, 1, 2]) p.mqttPub(`r/${scheme}/${version}`, `q${qos}`, { qos });
      p.mqttPub(`r/${scheme}/${version}`, Buffer.alloc(300_000, 1), { qos: 1 });
      await sub.waitMsgs(5);
      assert.deepEqual(sub.msgs.slice(0, 4).map((m) => m.text), ["retained", "q0", "q1", "q2"]);
      assert.equal(sub.msgs[4]!.data.length, 300_000);
      p.mqttDisconnect();
      s.mqttDisconnect();
      await waitFor(() => sub.closed && pub.closed);
      assert.deepEqual([...sub.errors, ...pub.errors], []);
    });
  }
}

test("Paho over wss:// (TLS, path /mqtt) through our broker", async () => {
  const r = await paho(wss.listener.localAddr.port, `
got = []
c = mqtt.Client("wss-paho", protocol=mqtt.MQTTv5, transport="websockets")
c.ws_set_options(path="/mqtt")
c.tls_set(ca_certs=${JSON.stringify(certs.caFile)})
c.on_message = lambda c, u, m: got.append(m.payload.decode())
c.connect("localhost", PORT)
c.loop_start()
c.subscribe("paho/wss", 1)
time.sleep(0.3)
c.publish("paho/wss", b"secret", 1).wait_for_publish(5)
deadline = time.time() + 5
while not got and time.time() < deadline: time.sleep(0.02)
print(got)
c.disconnect(); c.loop_stop()
`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\['secret'\]/);
});

test("one broker on a list of listeners: mqtt://, ws:// and wss:// clients meet; tls is for the TLS listener only", async () => {
  const b = new MqttBroker(loop.manager, { listen: ["mqtt://127.0.0.1:0", "ws://127.0.0.1:0", "wss://127.0.0.1:0"], tls: { cert: certs.server.cert, key: certs.server.key } });
  assert.equal(b.listeners.length, 3);
  assert.equal(b.listener, b.listeners[0]);
  const sub = new Recorder();
  const s = loop.manager.mqttConnect(`ws://127.0.0.1:${b.listeners[1]!.localAddr.port}`, sub.handler, { version: 5 });
  await sub.waitOpen();
  s.mqttSub("mixed/#", { qos: 1 });
  await sub.waitCmd(MQTT_CMD_SUBACK);
  const pub = new Recorder();
  const p = loop.manager.mqttConnect(`mqtt://127.0.0.1:${b.listeners[0]!.localAddr.port}`, pub.handler);
  await pub.waitOpen();
  const sec = new Recorder();
  const q = loop.manager.mqttConnect(`wss://localhost:${b.listeners[2]!.localAddr.port}`, sec.handler, { tls: { ca: certs.ca } });
  await sec.waitOpen();
  assert.equal(p.isTls, false);
  assert.equal(q.isTls, true);
  p.mqttPub("mixed/a", "tcp to ws", { qos: 1 });
  q.mqttPub("mixed/b", "wss to ws", { qos: 1 });
  await sub.waitMsgs(2);
  assert.deepEqual(sub.msgs.map((m) => m.text).sort(), ["tcp to ws", "wss to ws"]);
  assert.equal(b.clientCount, 3);
  b.close();
  await waitFor(() => sub.closed && pub.closed && sec.closed);
});

test("tsmongoose mqtt-broker --listen mqtt://... --listen ws://...: Paho over WebSocket gets mosquitto_pub's message, both logged", async () => {
  const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
  const child = new Child(process.execPath, [cli, "mqtt-broker", "--listen", "mqtt://127.0.0.1:0", "--listen", "ws://127.0.0.1:0"]);
  try {
    const t = await child.waitFor(/MQTT broker on mqtt:\/\/127\.0\.0\.1:(\d+)/);
    const m = await child.waitFor(/MQTT broker on ws:\/\/127\.0\.0\.1:(\d+)/);
    // Retained, so the subscriber that comes after gets it at once.
    const pub = await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", t[1]!, "-i", "cli-tcp", "-t", "cli/ws", "-m", "over the cli", "-q", "1", "-r"]);
    assert.equal(pub.code, 0, pub.stderr);
    const r = await paho(Number(m[1]), `
got = []
c = mqtt.Client("cli-ws", transport="websockets")
c.on_message = lambda c, u, m: got.append(m.payload.decode())
c.connect("127.0.0.1", PORT)
c.loop_start()
c.subscribe("cli/ws", 1)
deadline = time.time() + 5
while not got and time.time() < deadline: time.sleep(0.02)
print(got)
c.disconnect(); c.loop_stop()
`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /'over the cli'/);
    await child.waitFor(/client "cli-ws" disconnected/);
    assert.match(child.stdout, /client "cli-ws" connected from 127\.0\.0\.1:\d+ \(MQTT 3\.1\.1/);
    assert.match(child.stdout, /client "cli-tcp" connected from 127\.0\.0\.1:\d+/);
  } finally {
    await child.stop();
  }
});

test("tsmongoose sub and pub take -L ws://host:port/path", async () => {
  const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
  const u = `ws://127.0.0.1:${ws.listener.localAddr.port}/mqtt`;
  ws.publish("cli/sub", "first", { retain: true });
  const sub = new Child(process.execPath, [cli, "sub", "-L", u, "-t", "cli/sub", "-C", "2", "-v", "-q", "1"]);
  try {
    await sub.waitFor(/cli\/sub first\n/);
    const pub = await run(process.execPath, [cli, "pub", "-L", u, "-t", "cli/sub", "-m", "second", "-q", "1"]);
    assert.equal(pub.code, 0, pub.stderr);
    assert.equal(await sub.exit(), 0, sub.stderr); // -C 2: exits after the second
    assert.equal(sub.stdout, "cli/sub first\ncli/sub second\n");
  } finally {
    await sub.stop();
  }
});

leakCheckAfterAll();
