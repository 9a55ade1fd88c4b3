// MQTT over WebSocket (MQTT 5.0 section 6) with real peers: Paho's Python client
// (transport="websockets") through our broker, and our client against mosquitto's
// websockets listener.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { Manager, MqttBroker, MQTT_CMD_SUBACK } from "../../src/index.js";
import { startLoop, waitFor, type Loop, leakCheckAfterAll } from "../helpers.js";
import { paho } from "../mqtt/broker-raw.js";
import { startMosquitto, freePort, Recorder, type Broker } from "../mqtt/peers.js";

let loop: Loop;
let broker: MqttBroker;
let port: number;
let mosq: Broker;
let mosqWs: number;

function canConnect(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(p, "127.0.0.1");
    s.on("connect", () => { s.destroy(); resolve(true); });
    s.on("error", () => resolve(false));
  });
}

before(async () => {
  loop = startLoop(new Manager());
  broker = new MqttBroker(loop.manager, { listen: "ws://127.0.0.1:0" });
  port = broker.listener.localAddr.port;
  // mosquitto 2.0 (libwebsockets) starts a websockets listener only beside a plain one,
  // and binds it to every interface whatever address it is given; we talk to it on loopback.
  mosqWs = await freePort();
  mosq = await startMosquitto(`listener ${mosqWs}\nprotocol websockets\n`);
  for (let i = 0; i < 250 && !(await canConnect(mosqWs)); i++) await new Promise((r) => setTimeout(r, 20));
});
after(async () => { broker.close(); await loop.stop(); await mosq.stop(); });

test("Paho (transport=websockets, MQTT 3.1.1) publishes and subscribes through our broker over ws://", async () => {
  const r = await paho(port, `
got = []
def on_message(c, u, m): got.append((m.topic, m.payload.decode(), m.qos))
sub = mqtt.Client("ws-sub", transport="websockets")
sub.ws_set_options(path="/mqtt")
sub.on_message = on_message
sub.connect("127.0.0.1", PORT)
sub.loop_start()
sub.subscribe("ws/#", 1)
time.sleep(0.3)
pub = mqtt.Client("ws-pub", transport="websockets")
pub.connect("127.0.0.1", PORT)
pub.loop_start()
pub.publish("ws/a", b"one", 1).wait_for_publish(5)
pub.publish("ws/b", b"x" * 70000, 0).wait_for_publish(5)
pub.publish("ws/c", b"two", 2).wait_for_publish(5)
deadline = time.time() + 5
while len(got) < 3 and time.time() < deadline: time.sleep(0.02)
print(sorted((t, len(p), q) for t, p, q in got))
pub.disconnect(); sub.disconnect(); pub.loop_stop(); sub.loop_stop()
`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\[\('ws\/a', 3, 1\), \('ws\/b', 70000, 0\), \('ws\/c', 3, 1\)\]/);
});

test("Paho MQTT 5 over ws:// gets its CONNACK properties and a retained message", async () => {
  broker.publish("ws5/r", "kept", { retain: true });
  const r = await paho(port, `
out = {}
def on_connect(c, u, f, rc, props=None): out["rc"] = str(rc); out["tam"] = getattr(props, "TopicAliasMaximum", None)
def on_message(c, u, m): out["msg"] = (m.topic, m.payload.decode(), m.retain)
c = mqtt.Client("ws-v5", protocol=mqtt.MQTTv5, transport="websockets")
c.on_connect = on_connect
c.on_message = on_message
c.connect("127.0.0.1", PORT)
c.loop_start()
c.subscribe("ws5/#", 1)
deadline = time.time() + 5
while "msg" not in out and time.time() < deadline: time.sleep(0.02)
print(out)
c.disconnect(); c.loop_stop()
`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /'rc': 'Success'/);
  assert.match(r.stdout, /'tam': 10/);
  assert.match(r.stdout, /'msg': \('ws5\/r', 'kept', (True|1)\)/);
});

test("our client over ws:// against mosquitto's websockets listener (3.1.1 and 5)", async () => {
  for (const version of [4, 5] as const) {
    const rec = new Recorder();
    const c = loop.manager.mqttConnect(`ws://127.0.0.1:${mosqWs}/mqtt`, rec.handler, { version });
    await rec.waitOpen();
    assert.deepEqual(rec.opens, [0]);
    assert.equal(c.isWebsocket, true);
    assert.equal(c.wsProtocol, "mqtt");
    c.mqttSub(`mws/${version}`, { qos: 1 });
    await rec.waitCmd(MQTT_CMD_SUBACK);
    c.mqttPub(`mws/${version}`, "via mosquitto", { qos: 1 });
    c.mqttPub(`mws/${version}`, Buffer.alloc(20_000, 7), { qos: 0 });
    await rec.waitMsgs(2);
    assert.equal(rec.msgs[0]!.text, "via mosquitto");
    assert.equal(rec.msgs[1]!.data.length, 20_000);
    c.mqttDisconnect();
    await waitFor(() => rec.closed, 5000, "close");
    assert.deepEqual(rec.errors, []);
  }
});

leakCheckAfterAll();
