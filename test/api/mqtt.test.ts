// API.md's MQTT names through the public entry point: constants, mqttConnect, the mqtt*
// methods, MG_EV_MQTT_OPEN/CMD/MSG with MqttMessage, MqttBroker.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as mg from "../../src/index.js";
import { Manager, MqttBroker, MG_EV_MQTT_OPEN, MG_EV_MQTT_MSG, MG_EV_MQTT_CMD, MQTT_CMD_SUBACK, type MqttMessage } from "../../src/index.js";
import { startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";

describe("API.md: MQTT", () => {
  it("MQTT_CMD_* and MQTT_PROP_TYPE_* have Mongoose's values", () => {
    const cmds = ["CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE", "SUBACK",
      "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"];
    const e = mg as unknown as Record<string, number>;
    cmds.forEach((n, i) => assert.equal(e[`MQTT_CMD_${n}`], i + 1, n));
    ["BYTE", "STRING", "STRING_PAIR", "BINARY_DATA", "VARIABLE_INT", "INT", "SHORT"]
      .forEach((n, i) => assert.equal(e[`MQTT_PROP_TYPE_${n}`], i, n));
  });

  it("mqttConnect to a MqttBroker: MQTT_OPEN 0, mqttSub, mqttPub QoS 1, MQTT_MSG fields", async () => {
    const m = new Manager();
    const broker = new MqttBroker(m, { listen: "mqtt://127.0.0.1:0" });
    const url = `mqtt://127.0.0.1:${broker.listener.localAddr.port}`;
    let code = -1;
    let subacked = false;
    const got: MqttMessage[] = [];
    const sub = m.mqttConnect(url, (c, ev, data) => {
      if (ev === MG_EV_MQTT_OPEN) { code = data; c.mqttSub("sensors/+/temp", { qos: 1 }); }
      if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_SUBACK) subacked = true;
      if (ev === MG_EV_MQTT_MSG) got.push(data);
    }, { clientId: "sub" });
    const loop = startLoop(m);
    await waitFor(() => subacked, 5000, "SUBACK");
    assert.equal(code, 0);
    const pub = m.mqttConnect(url, (c, ev, _data) => {
      if (ev === MG_EV_MQTT_OPEN) {
        const id = c.mqttPub("sensors/kitchen/temp", new Uint8Array([0x32, 0x31]), { qos: 1, retain: false });
        assert.ok(id > 0, "QoS 1 publish has a message id");
      }
    }, { clientId: "pub" });
    await waitFor(() => got.length === 1, 5000, "message");
    assert.equal(got[0]!.topic, "sensors/kitchen/temp");
    assert.equal(got[0]!.text, "21");
    assert.ok(Buffer.isBuffer(got[0]!.data));
    assert.equal(got[0]!.qos, 1);
    assert.equal(got[0]!.retain, false);
    assert.ok(Array.isArray(got[0]!.properties()));
    pub.mqttDisconnect();
    sub.mqttDisconnect();
    await waitFor(() => m.connections.length === 1, 5000, "clients gone");
    await loop.stop();
  });
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
