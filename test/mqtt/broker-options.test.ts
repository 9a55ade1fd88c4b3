// MqttBroker's option checks: what the broker cannot honour is refused where it is given.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Manager, MqttBroker, type MqttBrokerOptions } from "../../src/index.js";
import { leakCheckAfterAll } from "../helpers.js";

const refused = (e: Error & { code?: string }, re: RegExp): boolean => e.code === "ERR_INVALID_OPTION" && re.test(e.message);

test("mqttManualAcks is refused: the broker acknowledges every QoS 1/2 PUBLISH itself", () => {
  const m = new Manager();
  for (const v of [true, false]) {
    const o = { listen: "mqtt://127.0.0.1:0", mqttManualAcks: v } as unknown as MqttBrokerOptions;
    assert.throws(() => new MqttBroker(m, o), (e: Error & { code?: string }) => refused(e, /mqttManualAcks/) && /acknowledges/.test(e.message));
  }
  assert.equal(m.connections.length, 0, "nothing listens after a refused option");
});

test("limits out of range are ERR_INVALID_OPTION naming the option", () => {
  const m = new Manager();
  const mk = (o: Partial<MqttBrokerOptions>): MqttBroker => new MqttBroker(m, { listen: "mqtt://127.0.0.1:0", ...o });
  assert.throws(() => mk({ receiveMaximum: 0 }), (e: Error & { code?: string }) => refused(e, /receiveMaximum/));
  assert.throws(() => mk({ maxQos: 3 }), (e: Error & { code?: string }) => refused(e, /maxQos/));
  assert.throws(() => mk({ retainAvailable: "yes" as unknown as boolean }), (e: Error & { code?: string }) => refused(e, /retainAvailable/));
  assert.equal(m.connections.length, 0);
});

leakCheckAfterAll();
