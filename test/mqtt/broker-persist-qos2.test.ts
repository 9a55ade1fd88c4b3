// The broker's QoS 2 receive state across a restart with persistence: a client's QoS 2
// PUBLISH that got PUBREC but not yet PUBREL, resent after the broker restarted, is
// acknowledged again and not delivered a second time ([MQTT-4.3.3-10]); its PUBREL then
// completes it, and the same packet identifier is a new message after PUBCOMP
// ([MQTT-4.3.3-12]). Peers: raw sockets (to hold the PUBREL back).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Manager, MqttBroker, MqttFileStore, MQTT_CMD_CONNACK, MQTT_CMD_PUBLISH, MQTT_CMD_PUBREL, MQTT_CMD_SUBACK,
  MQTT_PROP_SESSION_EXPIRY_INTERVAL,
} from "../../src/index.js";
import { MQTT_CMD_PUBCOMP, MQTT_CMD_PUBREC, MQTT_CMD_SUBSCRIBE } from "../../src/mqtt/constants.js";
import { buildAck, buildConnect, buildPublish, buildSubscribe } from "../../src/mqtt/builder.js";
import { startLoop, leakCheckAfterAll, type Loop } from "../helpers.js";
import { RawPeer, sleep } from "./broker-raw.js";

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function start(dir: string, port = 0): { broker: MqttBroker; loop: Loop; port: number } {
  const manager = new Manager();
  const broker = new MqttBroker(manager, { listen: `mqtt://127.0.0.1:${port}`, persistence: { dir } });
  return { broker, loop: startLoop(manager), port: broker.listener.localAddr.port };
}

/** A raw client: persistent (Session Expiry 1 h, Clean Start 0) when `keep`, at protocol level `v`. */
async function peer(port: number, id: string, v: number, keep: boolean): Promise<RawPeer> {
  const r = new RawPeer(port, v);
  r.send(buildConnect({
    version: v, clientId: id, keepAlive: 0, clean: !keep,
    props: v >= 5 && keep ? [{ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: 3600 }] : undefined,
  }));
  await r.wait(MQTT_CMD_CONNACK);
  return r;
}

async function subscriber(port: number, id: string): Promise<RawPeer> {
  const s = await peer(port, id, 5, false);
  s.send(buildSubscribe(MQTT_CMD_SUBSCRIBE, 5, 1, [{ topic: "q2/#", options: 0 }]));
  await s.wait(MQTT_CMD_SUBACK);
  return s;
}

for (const v of [5, 4]) {
  test(`v${v}: a QoS 2 PUBLISH awaiting PUBREL is not delivered again when resent after a broker restart [MQTT-4.3.3-10]`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "mqtt-qos2-"));
    dirs.push(dir);
    let b = start(dir);
    const s1 = await subscriber(b.port, "q2-sub1");
    let p = await peer(b.port, "q2-pub", v, true);
    p.send(buildPublish(v, "q2/x", "once", 2, false, false, 7));
    await p.wait(MQTT_CMD_PUBREC);
    await s1.wait(MQTT_CMD_PUBLISH);
    p.end(); // no PUBREL
    s1.end();
    await b.loop.stop();

    // The store holds the id awaiting PUBREL in the publisher's session record.
    const store = new MqttFileStore({ dir });
    const snap = store.load();
    store.close();
    assert.deepEqual(snap.sessions.find((x) => x.session.clientId === "q2-pub")?.session.qos2In, [7]);

    b = start(dir, b.port);
    const s2 = await subscriber(b.port, "q2-sub2");
    p = await peer(b.port, "q2-pub", v, true);
    assert.equal(p.of(MQTT_CMD_CONNACK)[0]!.sessionPresent, true);
    p.send(buildPublish(v, "q2/x", "once", 2, false, true, 7)); // the resend, DUP=1
    const [rec] = await p.wait(MQTT_CMD_PUBREC);
    assert.equal(rec!.id, 7);
    p.send(buildAck(MQTT_CMD_PUBREL, v, 7));
    const [comp] = await p.wait(MQTT_CMD_PUBCOMP);
    assert.equal(comp!.id, 7);
    // After PUBCOMP the identifier is free: a PUBLISH with it is a new message [MQTT-4.3.3-12].
    p.send(buildPublish(v, "q2/x", "new", 2, false, false, 7));
    await p.wait(MQTT_CMD_PUBREC, 2);
    await s2.wait(MQTT_CMD_PUBLISH);
    await sleep(100);
    assert.deepEqual(s2.of(MQTT_CMD_PUBLISH).map((m) => m.text), ["new"], "the resent one was not delivered again");
    p.send(buildAck(MQTT_CMD_PUBREL, v, 7));
    await p.wait(MQTT_CMD_PUBCOMP, 2);
    p.end();
    s2.end();
    await b.loop.stop();

    // Released: nothing awaits PUBREL in the store any more.
    const after2 = new MqttFileStore({ dir });
    const snap2 = after2.load();
    after2.close();
    assert.deepEqual(snap2.sessions.find((x) => x.session.clientId === "q2-pub")?.session.qos2In ?? [], []);
    assert.equal(p.of(MQTT_CMD_PUBREL).length, 0);
  });
}

leakCheckAfterAll();
