// The MQTT examples (examples/mqtt/*.ts), run as programs: the broker with its auth hooks
// (against mosquitto_pub / mosquitto_sub and our client), the publish/subscribe client,
// request/response with Response Topic and Correlation Data, and shared subscription workers.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Manager, MqttBroker, MQTT_CMD_SUBACK, type MqttPacket } from "../../src/index.js";
import { run, startLoop, waitFor, leakCheckAfterAll } from "../helpers.js";
import { Recorder } from "../mqtt/peers.js";
import { Child, examplePath } from "./spawn.js";

const mosq = (tool: string, port: number, args: string[]): ReturnType<typeof run> =>
  run(tool, ["-h", "127.0.0.1", "-p", String(port), ...args], { timeoutMs: 10000 });

describe("examples/mqtt/broker (authenticate + authorize) and examples/mqtt/pubsub", () => {
  let child: Child;
  let port = 0;
  const manager = new Manager();
  const loop = startLoop(manager);
  before(async () => {
    child = new Child(process.execPath, [examplePath("mqtt/broker"), "mqtt://127.0.0.1:0"]);
    port = Number((await child.waitFor(/listening on mqtt:\/\/[^\s:]+:(\d+)/))[1]);
  });
  after(async () => { await loop.stop(); await child.stop(); });

  it("lets a device publish under devices/<its id>/ to an admin subscriber, and refuses a bad password", async () => {
    const sub = mosq("mosquitto_sub", port, ["-u", "admin", "-P", "admin-secret", "-t", "devices/#", "-C", "1", "-v", "-W", "8"]);
    await child.waitFor(/login accepted: user admin/);
    await new Promise((r) => setTimeout(r, 200)); // mosquitto_sub subscribes just after its CONNACK
    const ok = await mosq("mosquitto_pub", port, ["-u", "sensor", "-P", "sensor-secret", "-i", "kitchen", "-t", "devices/kitchen/temp", "-m", "21.5", "-q", "1"]);
    assert.equal(ok.code, 0, ok.stderr);
    const out = await sub;
    assert.equal(out.stdout.trim(), "devices/kitchen/temp 21.5");
    const bad = await mosq("mosquitto_pub", port, ["-u", "sensor", "-P", "wrong", "-i", "intruder", "-t", "devices/intruder/x", "-m", "x"]);
    assert.notEqual(bad.code, 0);
    await child.waitFor(/login refused: user sensor, client intruder/);
  });

  it("refuses a device's publish outside its own topics and its subscription to admin/#", async () => {
    const rec = new Recorder();
    const c = manager.mqttConnect(`mqtt://sensor:sensor-secret@127.0.0.1:${port}`, rec.handler, { clientId: "hall", version: 5 });
    await rec.waitOpen();
    assert.deepEqual(rec.opens, [0]);
    const id = c.mqttSub("admin/#", { qos: 1 });
    await rec.waitCmd(MQTT_CMD_SUBACK, id);
    assert.deepEqual((rec.cmds.find((m) => m.cmd === MQTT_CMD_SUBACK) as MqttPacket).dgram.at(-1), 0x87); // not authorized
    c.mqttPub("devices/kitchen/temp", "spoofed");
    await child.waitFor(/denied: hall may not publish devices\/kitchen\/temp/);
    await child.waitFor(/denied: hall may not subscribe admin\/#/);
    c.mqttDisconnect();
  });

  it("pubsub subscribes, publishes 3 messages, gets them back through the broker and exits 0", async () => {
    const r = await run(process.execPath, [examplePath("mqtt/pubsub"), `mqtt://admin:admin-secret@127.0.0.1:${port}`, "3"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /connected to mqtt:/);
    assert.match(r.stdout, /received 1: hello 1 \(QoS 1\)\nreceived 2: hello 2 \(QoS 1\)\nreceived 3: hello 3 \(QoS 1\)\ndone\n$/);
    const refused = await run(process.execPath, [examplePath("mqtt/pubsub"), `mqtt://admin:nope@127.0.0.1:${port}`, "1"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refused by the broker: 134/); // 0x86 bad user name or password
  });
});

describe("examples/mqtt/request-response and examples/mqtt/shared-workers", () => {
  const manager = new Manager();
  const broker = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0" });
  const url = `mqtt://127.0.0.1:${broker.listener.localAddr.port}`;
  const loop = startLoop(manager);
  const children: Child[] = [];
  after(async () => { for (const c of children) await c.stop(); await loop.stop(); });

  it("the requester gets each answer matched by its correlation data", async () => {
    const responder = new Child(process.execPath, [examplePath("mqtt/request-response"), url, "responder"]);
    children.push(responder);
    await responder.waitFor(/responder ready on service\/square/);
    const r = await run(process.execPath, [examplePath("mqtt/request-response"), url, "request", "3", "4", "12"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n").sort(), ["square(12) = 144 [req-3]", "square(3) = 9 [req-1]", "square(4) = 16 [req-2]"]);
    await responder.waitFor(/answered 12 -> 144 on replies\/\d+/);
  });

  it("two workers share the jobs: each job done once, both get some", async () => {
    const workers = ["alpha", "beta"].map((n) => new Child(process.execPath, [examplePath("mqtt/shared-workers"), url, "worker", n]));
    children.push(...workers);
    for (const [i, w] of workers.entries()) await w.waitFor(new RegExp(`${["alpha", "beta"][i]} ready`));
    const p = await run(process.execPath, [examplePath("mqtt/shared-workers"), url, "produce", "10"]);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /produced 10 jobs/);
    const done = (): string[] => workers.flatMap((w) => [...w.stdout.matchAll(/did (jobs\/\d+)/g)].map((m) => m[1]!));
    await waitFor(() => done().length >= 10, 8000, "10 jobs done");
    assert.deepEqual(done().sort(), Array.from({ length: 10 }, (_, i) => `jobs/${i + 1}`).sort());
    for (const w of workers) assert.match(w.stdout, /did jobs\//);
  });
});

leakCheckAfterAll();
