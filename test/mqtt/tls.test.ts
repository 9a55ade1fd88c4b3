// mqtts://: our client against mosquitto's TLS listener, and our mqttListen over TLS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Manager, MG_EV_MQTT_CMD, MQTT_CMD_CONNECT, MQTT_CMD_SUBACK, type EventHandler } from "../../src/index.js";
import { startLoop, run, waitFor, type Loop, leakCheckAfterAll } from "../helpers.js";
import { makeTestCerts, type TestCerts } from "../tls/certs.js";
import { startMosquitto, Recorder, type Broker } from "./peers.js";

let certs: TestCerts;
let broker: Broker;
let loop: Loop;
before(async () => {
  certs = makeTestCerts();
  broker = await startMosquitto(`certfile ${certs.server.certFile}\nkeyfile ${certs.server.keyFile}\n`);
  loop = startLoop(new Manager());
});
after(async () => { await loop.stop(); await broker.stop(); certs.cleanup(); });

test("mqtts:// to mosquitto: handshake, subscribe, publish", async () => {
  const rec = new Recorder();
  const c = loop.manager.mqttConnect(`mqtts://localhost:${broker.port}`, rec.handler, { tls: { ca: certs.ca }, version: 5 });
  await rec.waitOpen();
  assert.deepEqual(rec.opens, [0]);
  assert.equal(c.isTls, true);
  c.mqttSub("s/t", { qos: 1 });
  await rec.waitCmd(MQTT_CMD_SUBACK);
  c.mqttPub("s/t", "secret", { qos: 1 });
  await rec.waitMsgs(1);
  assert.equal(rec.msgs[0]!.text, "secret");
  c.mqttDisconnect();
});

test("mqtts:// with an untrusted certificate: MG_EV_ERROR, nothing in clear", async () => {
  const rec = new Recorder();
  loop.manager.mqttConnect(`mqtts://localhost:${broker.port}`, rec.handler, { tls: { ca: certs.rogueCa } });
  await waitFor(() => rec.closed, 5000, "close");
  assert.equal(rec.opens.length, 0);
  assert.ok(rec.errors.length > 0);
});

test("mqttListen over TLS with mosquitto_pub as the client", async () => {
  const seen: string[] = [];
  const h: EventHandler = (c, ev, data) => {
    if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_CONNECT) c.mqttConnack(0);
    else if (ev === MG_EV_MQTT_CMD && data.cmd === 3) seen.push(data.text);
  };
  const lsn = loop.manager.mqttListen("mqtts://127.0.0.1:0", h, { tls: { cert: certs.server.cert, key: certs.server.key } });
  const r = await run("mosquitto_pub", ["--cafile", certs.caFile, "-h", "localhost", "-p", String(lsn.localAddr.port), "-t", "a", "-m", "over tls"]);
  assert.equal(r.code, 0, r.stderr);
  await waitFor(() => seen.includes("over tls"));
  lsn.close();
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
