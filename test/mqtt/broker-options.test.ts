// MqttBroker's option checks: what the broker cannot honour is refused where it is given.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Manager, MqttBroker, type ConnectionOptions, type MqttBrokerOptions } from "../../src/index.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

// Every option of the broker itself, wrong: [what is given, a fragment of the message]. Each
// throws ERR_INVALID_OPTION from the constructor, before anything listens.
const LISTEN = "mqtt://127.0.0.1:0";
const BAD: [string, Record<string, unknown>, string][] = [
  ["listen a number", { listen: 5 }, "MqttBroker: option listen must be a URL"],
  ["listen missing", {}, "MqttBroker: option listen must be a URL"],
  ["listen empty", { listen: "" }, "option listen must be"],
  ["listen an empty list", { listen: [] }, "option listen must be"],
  ["listen a list with a number", { listen: [LISTEN, 5] }, "option listen must be"],
  ["authenticate a number", { listen: LISTEN, authenticate: 1 }, "MqttBroker: option authenticate must be a function, got 1"],
  ["authorize a string", { listen: LISTEN, authorize: "yes" }, 'MqttBroker: option authorize must be a function, got "yes"'],
  ["auth an object", { listen: LISTEN, auth: {} }, "MqttBroker: option auth must be a function, got an object"],
  ["maxQueuedMessages negative", { listen: LISTEN, maxQueuedMessages: -1 }, "MqttBroker: option maxQueuedMessages must be an integer from 0"],
  ["maxQueuedBytes a string", { listen: LISTEN, maxQueuedBytes: "1" }, "option maxQueuedBytes must be an integer"],
  ["maxInflightMessages 0", { listen: LISTEN, maxInflightMessages: 0 }, "option maxInflightMessages must be an integer from 1 to 65535"],
  ["maxSendQueueBytes 1.5", { listen: LISTEN, maxSendQueueBytes: 1.5 }, "option maxSendQueueBytes must be an integer"],
  ["receiveMaximum 70000", { listen: LISTEN, receiveMaximum: 70000 }, "option receiveMaximum must be an integer from 1 to 65535"],
  ["topicAliasMaximum -1", { listen: LISTEN, topicAliasMaximum: -1 }, "option topicAliasMaximum must be an integer from 0 to 65535"],
  ["outboundTopicAliases 1", { listen: LISTEN, outboundTopicAliases: 1 }, "option outboundTopicAliases must be true or false"],
  ["maxSessionExpiry a string", { listen: LISTEN, maxSessionExpiry: "60" }, "option maxSessionExpiry must be an integer"],
  ["maxKeepAlive 65536", { listen: LISTEN, maxKeepAlive: 65536 }, "option maxKeepAlive must be an integer from 0 to 65535"],
  ["maxQos 3", { listen: LISTEN, maxQos: 3 }, "MqttBroker: option maxQos must be an integer from 0 to 2, got 3"],
  ["retainAvailable a string", { listen: LISTEN, retainAvailable: "no" }, "option retainAvailable must be true or false"],
  ["wildcardSubscriptions 0", { listen: LISTEN, wildcardSubscriptions: 0 }, "option wildcardSubscriptions must be true or false"],
  ["subscriptionIdentifiers null", { listen: LISTEN, subscriptionIdentifiers: null }, "option subscriptionIdentifiers must be true or false"],
  ["sharedSubscriptions a string", { listen: LISTEN, sharedSubscriptions: "true" }, "option sharedSubscriptions must be true or false"],
  ["connectTimeoutMs 0", { listen: LISTEN, connectTimeoutMs: 0 }, "option connectTimeoutMs must be an integer from 1"],
  ["sysInterval over a day", { listen: LISTEN, sysInterval: 86_401 }, "option sysInterval must be an integer from 0 to 86400"],
  ["persistence a number", { listen: LISTEN, persistence: 5 }, "option persistence must be"],
  ["cluster a string", { listen: LISTEN, cluster: "redis://x" }, "option cluster must be"],
  ["a connection option: tls", { listen: LISTEN, tls: 5 }, "option tls must be"],
  ["a connection option: mqttMaxPacketSize", { listen: LISTEN, mqttMaxPacketSize: "big" }, "option mqttMaxPacketSize must be"],
];

test("every option of the broker is checked at construction: ERR_INVALID_OPTION naming it", () => {
  const m = new Manager();
  for (const [what, o, fragment] of BAD) {
    assert.throws(() => new MqttBroker(m, o as unknown as MqttBrokerOptions), (e: Error & { code?: string }) => {
      assert.equal(e.code, "ERR_INVALID_OPTION", `${what}: ${e.message}`);
      assert.ok(e.message.includes(fragment), `${what}: ${JSON.stringify(e.message)} lacks ${JSON.stringify(fragment)}`);
      return true;
    }, what);
    assert.equal(m.connections.length, 0, `${what}: nothing listens after a refused option`);
  }
});

test("no options, or options that are not an object: ERR_INVALID_OPTION saying what to give", () => {
  const m = new Manager();
  const make = (o: unknown) => () => new MqttBroker(m, o as MqttBrokerOptions);
  assert.throws(make(undefined), (e: Error & { code?: string }) => refused(e, /^MqttBroker: options are required, at least listen: new MqttBroker\(manager, \{ listen: "mqtt:/));
  assert.throws(make(null), (e: Error & { code?: string }) => refused(e, /MqttBroker: options are required/));
  assert.throws(make(5), (e: Error & { code?: string }) => refused(e, /option MqttBroker options must be an options object, got 5/));
  assert.throws(make([LISTEN]), (e: Error & { code?: string }) => refused(e, /option MqttBroker options must be an options object, got an array/));
  assert.equal(m.connections.length, 0);
});

test("a full, valid options object is accepted: the broker listens on each URL", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsmg-broker-opts-"));
  const m = new Manager();
  try {
    // Every option of the broker's own (the type makes a new one fail to compile here), but
    // cluster (not with persistence; test/broker covers it), and some connection options.
    const full: Required<Omit<MqttBrokerOptions, keyof ConnectionOptions | "cluster">> & MqttBrokerOptions = {
      listen: ["mqtt://127.0.0.1:0", "ws://127.0.0.1:0/mqtt"],
      authenticate: () => true,
      authorize: () => true,
      auth: () => ({ status: "success" }),
      maxQueuedMessages: 10, maxQueuedBytes: 1 << 20, maxInflightMessages: 5, maxSendQueueBytes: 1 << 16,
      receiveMaximum: 20, topicAliasMaximum: 0, outboundTopicAliases: false, maxSessionExpiry: 3600, maxKeepAlive: 120,
      maxQos: 1, retainAvailable: false, wildcardSubscriptions: false, subscriptionIdentifiers: false,
      sharedSubscriptions: false, connectTimeoutMs: 5000, persistence: { dir, fsync: "never" }, sysInterval: 60,
      mqttMaxPacketSize: 1 << 16, maxRecvSize: 1 << 17, writeTimeoutMs: 10_000,
    };
    const b = new MqttBroker(m, full);
    assert.equal(b.listeners.length, 2);
    assert.ok(b.listeners.every((l) => l.isListening && l.localAddr.port > 0));
    b.close();
  } finally {
    await m.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

leakCheckAfterAll();
