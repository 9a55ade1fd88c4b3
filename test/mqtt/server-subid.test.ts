// [MQTT-3.3.4-6]: a PUBLISH sent by a client carries no Subscription Identifier. The
// codec cannot tell who sent a packet; the server layer (mqttListen, without MqttBroker)
// refuses it with DISCONNECT 0x82 and never hands it to the handler.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Manager, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MQTT_CMD_CONNACK, MQTT_CMD_CONNECT, MQTT_CMD_DISCONNECT, MQTT_CMD_PUBLISH, type EventHandler, type MqttPacket } from "../../src/index.js";
import { MQTT_PROP_SUBSCRIPTION_IDENTIFIER, MQTT_PROP_USER_PROPERTY } from "../../src/mqtt/constants.js";
import { buildConnect, buildPublish } from "../../src/mqtt/builder.js";
import { startLoop, leakCheckAfterAll } from "../helpers.js";
import { RawPeer } from "./broker-raw.js";

const manager = new Manager();
const loop = startLoop(manager);
after(() => loop.stop());

const delivered: string[] = [];
const h: EventHandler = (c, ev, data) => {
  if (ev === MG_EV_MQTT_CMD && (data as MqttPacket).cmd === MQTT_CMD_CONNECT) c.mqttConnack(0);
  if (ev === MG_EV_MQTT_MSG) delivered.push((data as MqttPacket).topic);
};
const listener = manager.mqttListen("mqtt://127.0.0.1:0", h);
after(() => listener.close());

async function connected(): Promise<RawPeer> {
  const r = new RawPeer(listener.localAddr.port, 5);
  r.send(buildConnect({ version: 5, clientId: "subid", keepAlive: 0, clean: true }));
  await r.wait(MQTT_CMD_CONNACK);
  return r;
}

test("mqttListen: a client's PUBLISH with a Subscription Identifier gets DISCONNECT 0x82 and is not delivered", async () => {
  const r = await connected();
  r.send(buildPublish(5, "t/bad", "x", 0, false, false, 0, [{ id: MQTT_PROP_SUBSCRIPTION_IDENTIFIER, iv: 7 }]));
  await r.waitClosed();
  const d = r.of(MQTT_CMD_DISCONNECT);
  assert.equal(d.length, 1);
  assert.equal(d[0]!.ack, 0x82);
  assert.deepEqual(delivered, []);
});

test("mqttListen: a client's PUBLISH with other properties is delivered", async () => {
  const r = await connected();
  r.send(buildPublish(5, "t/ok", "x", 0, false, false, 0, [{ id: MQTT_PROP_USER_PROPERTY, key: "k", val: "v" }]));
  r.send(buildPublish(5, "t/ok2", "y", 0, false, false, 0));
  const t0 = Date.now();
  const ok = () => delivered.filter((t) => t.startsWith("t/ok"));
  while (ok().length < 2 && Date.now() - t0 < 5000) await new Promise((res) => setTimeout(res, 10));
  assert.deepEqual(ok(), ["t/ok", "t/ok2"]);
  assert.equal(r.of(MQTT_CMD_PUBLISH).length, 0);
  r.end();
});

leakCheckAfterAll();
