// MqttBroker enhanced authentication (MQTT 5 section 4.12): unknown methods refused with
// 0x8C, a challenge-response exchange through the `auth` hook, re-authentication.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import {
  Manager, MqttBroker, MQTT_CMD_AUTH, MQTT_CMD_CONNACK, MQTT_CMD_SUBACK, MQTT_CMD_SUBSCRIBE, MQTT_CMD_DISCONNECT,
  MQTT_PROP_AUTHENTICATION_METHOD, MQTT_PROP_AUTHENTICATION_DATA, type MqttProperty,
} from "../../src/index.js";
import type { MqttAuthRequest } from "../../src/index.js";
import { buildConnect, buildPublish, buildSimple, buildSubscribe } from "../../src/mqtt/builder.js";
import { startLoop, leakCheckAfterAll } from "../helpers.js";
import { RawPeer, paho, prop } from "./broker-raw.js";

const manager = new Manager();
const plain = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0" });
const steps: MqttAuthRequest[] = [];
const withAuth = new MqttBroker(manager, {
  listen: "mqtt://127.0.0.1:0",
  // "demo": the client says hello, gets a challenge, must answer "response".
  auth: (req) => {
    steps.push({ ...req });
    if (req.method !== "demo") return undefined;
    if (req.step === 0) { req.state = "challenged"; return { status: "continue", data: Buffer.from("challenge") }; }
    return req.state === "challenged" && req.data?.toString() === "response" ? { status: "success", data: Buffer.from("welcome") } : { status: "fail" };
  },
});
const plainPort = plain.listener.localAddr.port, authPort = withAuth.listener.localAddr.port;
const loop = startLoop(manager);
after(() => loop.stop());

const authProps = (method: string, data?: string): MqttProperty[] => [
  { id: MQTT_PROP_AUTHENTICATION_METHOD, val: method },
  ...(data === undefined ? [] : [{ id: MQTT_PROP_AUTHENTICATION_DATA, bin: Buffer.from(data) }]),
];
const connect = (clientId: string, method: string, data?: string): Buffer =>
  buildConnect({ version: 5, clientId, keepAlive: 0, clean: true, props: authProps(method, data) });

test("an Authentication Method the broker does not support gets CONNACK 0x8C (Paho's client and a raw one) [MQTT-4.12.0-1]", async () => {
  const r = await paho(plainPort, `
codes = []
def on_connect(c, u, f, rc, props=None): codes.append(rc.value)
c = mqtt.Client("auth-x", protocol=mqtt.MQTTv5)
c.on_connect = on_connect
p = Properties(PacketTypes.CONNECT); p.AuthenticationMethod = "SCRAM-SHA-1"
c.connect("127.0.0.1", PORT, properties=p)
c.loop_start()
for i in range(50):
  if codes: break
  time.sleep(0.1)
print("codes", codes)
c.loop_stop()
`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /codes \[140\]/);
  for (const port of [plainPort, authPort]) {
    const raw = new RawPeer(port);
    raw.send(connect("auth-other", "other"));
    const [ack] = await raw.wait(MQTT_CMD_CONNACK);
    assert.equal(ack!.ack, 0x8c);
    await raw.waitClosed();
  }
});

test("a challenge-response exchange through the auth hook, then the connection works", async () => {
  steps.length = 0;
  const raw = new RawPeer(authPort);
  raw.send(connect("auth-ok", "demo", "hello"));
  const [challenge] = await raw.wait(MQTT_CMD_AUTH);
  assert.equal(challenge!.ack, 0x18);
  assert.equal(prop(challenge!.properties(), MQTT_PROP_AUTHENTICATION_METHOD)?.val, "demo");
  assert.equal(prop(challenge!.properties(), MQTT_PROP_AUTHENTICATION_DATA)?.val, "challenge");
  assert.equal(raw.of(MQTT_CMD_CONNACK).length, 0, "no CONNACK before the exchange ends");
  raw.send(buildSimple(MQTT_CMD_AUTH, 5, 0x18, authProps("demo", "response")));
  const [ack] = await raw.wait(MQTT_CMD_CONNACK);
  assert.equal(ack!.ack, 0);
  assert.equal(prop(ack!.properties(), MQTT_PROP_AUTHENTICATION_DATA)?.val, "welcome");
  assert.deepEqual(steps.map((s) => [s.clientId, s.step, s.data?.toString(), s.reauth]), [["auth-ok", 0, "hello", false], ["auth-ok", 1, "response", false]]);
  raw.send(buildSubscribe(MQTT_CMD_SUBSCRIBE, 5, 1, [{ topic: "a/b", options: 1 }]));
  await raw.wait(MQTT_CMD_SUBACK);
  // Re-authentication (section 4.12.1): AUTH 0x19, the same exchange, then AUTH 0x00.
  raw.send(buildSimple(MQTT_CMD_AUTH, 5, 0x19, authProps("demo", "hello")));
  await raw.wait(MQTT_CMD_AUTH, 2);
  raw.send(buildSimple(MQTT_CMD_AUTH, 5, 0x18, authProps("demo", "response")));
  const auths = await raw.wait(MQTT_CMD_AUTH, 3);
  assert.deepEqual(auths.map((a) => a.ack), [0x18, 0x18, 0x00]);
  assert.equal(steps[2]!.reauth, true);
  raw.send(buildSimple(MQTT_CMD_DISCONNECT, 5));
  await raw.waitClosed();
});

test("a wrong answer gets CONNACK 0x87; other packets during the exchange are a protocol error [MQTT-3.1.2-30]", async () => {
  const bad = new RawPeer(authPort);
  bad.send(connect("auth-bad", "demo", "hello"));
  await bad.wait(MQTT_CMD_AUTH);
  bad.send(buildSimple(MQTT_CMD_AUTH, 5, 0x18, authProps("demo", "guess")));
  const [ack] = await bad.wait(MQTT_CMD_CONNACK);
  assert.equal(ack!.ack, 0x87);
  await bad.waitClosed();
  const eager = new RawPeer(authPort);
  eager.send(connect("auth-eager", "demo", "hello"));
  await eager.wait(MQTT_CMD_AUTH);
  eager.send(buildPublish(5, "a/b", "too soon", 0, false, false, 0));
  const [ack2] = await eager.wait(MQTT_CMD_CONNACK);
  assert.equal(ack2!.ack, 0x82);
  await eager.waitClosed();
  assert.ok(!withAuth.sessionIds.includes("auth-eager"));
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
