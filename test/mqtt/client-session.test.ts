// The client's session (MqttClientSession): a connection cut before our QoS 1/2 flow
// completed is resumed by the next one with the same session object. Session Present 1:
// the PUBLISH goes again with DUP=1 and its packet identifier, or the PUBREL ([MQTT-4.4.0-1]);
// Session Present 0: they are dropped and listed in `session.dropped` ([MQTT-3.2.2-5]).
// Against MqttBroker and mosquitto, through a proxy that cuts the connection just before
// the broker's acknowledgement would reach us.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  Manager, MqttBroker, MqttClientSession, MQTT_CMD_PUBACK, MQTT_CMD_PUBCOMP, MQTT_CMD_PUBLISH, MQTT_CMD_PUBREL, MQTT_CMD_SUBACK,
  type Connection, type MqttConnectOptions,
} from "../../src/index.js";
import { startLoop, waitFor, type Loop, leakCheckAfterAll } from "../helpers.js";
import { startMosquitto, Recorder, type Broker } from "./peers.js";
import { CutProxy } from "./cut-proxy.js";

let loop: Loop;
let mosq: Broker;
let ours: MqttBroker;
before(async () => {
  mosq = await startMosquitto();
  loop = startLoop(new Manager());
  ours = new MqttBroker(loop.manager, { listen: "mqtt://127.0.0.1:0" });
});
after(async () => { ours.close(); await loop.stop(); await mosq.stop(); });

const targets = (): [string, number][] => [["MqttBroker", ours.listener.localAddr.port], ["mosquitto", mosq.port]];

async function connect(port: number, opts: MqttConnectOptions): Promise<[Connection, Recorder]> {
  const rec = new Recorder();
  const c = loop.manager.mqttConnect(`mqtt://127.0.0.1:${port}`, rec.handler, { keepAlive: 0, ...opts });
  await rec.waitOpen();
  assert.deepEqual(rec.opens, [0]);
  return [c, rec];
}

async function subscriber(port: number, filter: string, version: 4 | 5): Promise<[Connection, Recorder]> {
  const [c, rec] = await connect(port, { version });
  const id = c.mqttSub(filter, { qos: 2 });
  await rec.waitCmd(MQTT_CMD_SUBACK, id);
  return [c, rec];
}

/** The publisher's first connection, through a proxy cutting it after the client's packet `cutAfter`. */
async function cutPublish(proxy: CutProxy, opts: MqttConnectOptions, topic: string, qos: number, cutAfter: number): Promise<number> {
  proxy.cutAfter = cutAfter;
  const [c, rec] = await connect(await proxyPort(proxy), opts);
  const id = c.mqttPub(topic, "once", { qos });
  await waitFor(() => rec.closed, 5000, "the proxy cut the connection");
  return id;
}

const ports = new WeakMap<CutProxy, number>();
async function proxyPort(p: CutProxy): Promise<number> {
  let n = ports.get(p);
  if (n === undefined) { n = await p.listen(); ports.set(p, n); }
  return n;
}

async function done(...cs: [Connection, Recorder][]): Promise<void> {
  for (const [c, r] of cs) if (!c.isClosing && !r.closed) c.mqttDisconnect();
  await waitFor(() => cs.every(([, r]) => r.closed), 5000, "close");
}

for (const version of [5, 4] as const) {
  const resume = (id: string, session: MqttClientSession): MqttConnectOptions =>
    ({ version, clientId: id, clean: false, session, ...(version === 5 ? { sessionExpiry: 300 } : {}) });

  test(`MQTT ${version === 5 ? "5" : "3.1.1"}: QoS 1 PUBLISH cut before PUBACK is resent with DUP=1 and its id after reconnect (MqttBroker, mosquitto)`, async () => {
    for (const [name, port] of targets()) {
      const topic = `cs${version}/q1/${name}`;
      const sub = await subscriber(port, topic, version);
      const proxy = new CutProxy(port, version);
      const session = new MqttClientSession();
      const id = await cutPublish(proxy, resume(`cs-q1-${version}-${name}`, session), topic, 1, MQTT_CMD_PUBLISH);
      assert.equal(session.pending.length, 1, name);
      assert.equal(session.pending[0]!.id, id);
      const again = await connect(await proxyPort(proxy), resume(`cs-q1-${version}-${name}`, session));
      await again[1].waitCmd(MQTT_CMD_PUBACK, id);
      const resent = proxy.sent[1]!.filter((m) => m.cmd === MQTT_CMD_PUBLISH);
      assert.equal(resent.length, 1, `${name}: one PUBLISH on the second connection`);
      assert.equal(resent[0]!.id, id, `${name}: the original packet identifier`);
      assert.equal(resent[0]!.dup, true, `${name}: DUP=1`);
      assert.equal(session.pending.length, 0, `${name}: the flow is complete`);
      await sub[1].waitMsgs(1); // at least once: the first copy reached the broker too
      assert.ok(sub[1].msgs.every((m) => m.text === "once"));
      await done(again, sub);
      await proxy.close();
    }
  });

  test(`MQTT ${version === 5 ? "5" : "3.1.1"}: QoS 2 cut before PUBREC (PUBLISH resent) and before PUBCOMP (PUBREL resent): delivered exactly once (MqttBroker, mosquitto)`, async () => {
    for (const [name, port] of targets()) {
      for (const cutAfter of [MQTT_CMD_PUBLISH, MQTT_CMD_PUBREL]) {
        const topic = `cs${version}/q2/${name}/${cutAfter}`;
        const cid = `cs-q2-${version}-${name}-${cutAfter}`;
        const sub = await subscriber(port, topic, version);
        const proxy = new CutProxy(port, version);
        const session = new MqttClientSession();
        const id = await cutPublish(proxy, resume(cid, session), topic, 2, cutAfter);
        assert.equal(session.pending[0]!.released, cutAfter === MQTT_CMD_PUBREL, name);
        const again = await connect(await proxyPort(proxy), resume(cid, session));
        await again[1].waitCmd(MQTT_CMD_PUBCOMP, id);
        const second = proxy.sent[1]!;
        if (cutAfter === MQTT_CMD_PUBLISH) {
          const p = second.find((m) => m.cmd === MQTT_CMD_PUBLISH)!;
          assert.deepEqual([p.id, p.dup], [id, true], `${name}: the PUBLISH again, DUP=1`);
        } else {
          assert.equal(second.filter((m) => m.cmd === MQTT_CMD_PUBLISH).length, 0, `${name}: no PUBLISH after PUBREC`);
        }
        assert.ok(second.some((m) => m.cmd === MQTT_CMD_PUBREL && m.id === id), `${name}: PUBREL ${id}`);
        assert.equal(session.pending.length, 0);
        // A later message on the same topic from the same client comes after any duplicate would.
        const endId = again[0].mqttPub(topic, "end", { qos: 1 });
        await again[1].waitCmd(MQTT_CMD_PUBACK, endId);
        await waitFor(() => sub[1].msgs.some((m) => m.text === "end"), 5000, "the end marker");
        assert.deepEqual(sub[1].msgs.map((m) => m.text), ["once", "end"], `${name}: exactly once`);
        await done(again, sub);
        await proxy.close();
      }
    }
  });

  test(`MQTT ${version === 5 ? "5" : "3.1.1"}: Session Present 0 drops the unacknowledged publishes, lists them, and resends nothing (MqttBroker, mosquitto)`, async () => {
    for (const [name, port] of targets()) {
      const proxy = new CutProxy(port, version);
      const session = new MqttClientSession();
      const id = await cutPublish(proxy, resume(`cs-drop-${version}-${name}`, session), `cs${version}/drop`, 1, MQTT_CMD_PUBLISH);
      // A clean start: the broker has no session for it now.
      const again = await connect(await proxyPort(proxy), { ...resume(`cs-drop-${version}-${name}`, session), clean: true });
      assert.deepEqual(session.dropped.map((m) => [m.id, m.topic, m.payload.toString(), m.qos]), [[id, `cs${version}/drop`, "once", 1]], name);
      assert.equal(session.pending.length, 0);
      // The id is free again, and a new publish completes.
      const n = again[0].mqttPub(`cs${version}/drop`, "new", { qos: 1 });
      await again[1].waitCmd(MQTT_CMD_PUBACK, n);
      assert.deepEqual(proxy.sent[1]!.filter((m) => m.cmd === MQTT_CMD_PUBLISH).map((m) => m.text), ["new"], `${name}: nothing resent`);
      await done(again);
      await proxy.close();
    }
  });
}

test("session option is checked", () => {
  assert.throws(() => loop.manager.mqttConnect("mqtt://127.0.0.1:1", { session: {} as MqttClientSession }), (e: Error & { code?: string }) => e.code === "ERR_INVALID_OPTION" && /session/.test(e.message));
});

leakCheckAfterAll();
