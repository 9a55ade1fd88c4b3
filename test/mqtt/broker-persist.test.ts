// MqttBroker persistence: the broker is restarted (its manager closed, a new manager and
// broker opened on the same directory) between publishing and subscribing; retained
// messages, persistent sessions with their queued messages, and QoS 2 state in flight
// come back. A torn log tail is dropped and the valid prefix loads. Peers: our client,
// a raw socket peer (to hold acknowledgements back), mosquitto_pub / mosquitto_sub, the CLI.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Manager, MqttBroker, MqttFileStore, MQTT_CMD_CONNACK, MQTT_CMD_PUBLISH, MQTT_CMD_PUBREL, MQTT_CMD_SUBACK,
  MQTT_PROP_SESSION_EXPIRY_INTERVAL, MQTT_PROP_USER_PROPERTY, MQTT_PROP_CORRELATION_DATA, MQTT_PROP_WILL_DELAY_INTERVAL,
  type MqttBrokerOptions, type MqttConnectOptions, type MqttStore, type MqttStoreSnapshot, type MqttStoredDelivery,
  type MqttStoredMessage, type MqttStoredSession, type MqttPacket,
} from "../../src/index.js";
import { MQTT_CMD_PUBCOMP, MQTT_CMD_PUBREC, MQTT_CMD_SUBSCRIBE } from "../../src/mqtt/constants.js";
import { buildAck, buildConnect, buildSubscribe } from "../../src/mqtt/builder.js";
import { LOG_NAME } from "../../src/broker/broker-file-store.js";
import { startLoop, run, waitFor, leakCheckAfterAll, type Loop } from "../helpers.js";
import { Recorder, freePort } from "./peers.js";
import { RawPeer } from "./broker-raw.js";
import { Child } from "../examples/spawn.js";

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
function tempDir(): string { const d = mkdtempSync(join(tmpdir(), "mqtt-persist-")); dirs.push(d); return d; }

interface Running { broker: MqttBroker; loop: Loop; port: number; url: string; manager: Manager }

/** A broker on `port` (0: any) with persistence in `dir` (or the given store), polling in the background. */
function start(persistence: MqttBrokerOptions["persistence"], port = 0, extra: Partial<MqttBrokerOptions> = {}): Running {
  const manager = new Manager();
  const broker = new MqttBroker(manager, { listen: `mqtt://127.0.0.1:${port}`, persistence, ...extra });
  const p = broker.listener.localAddr.port;
  return { broker, manager, loop: startLoop(manager), port: p, url: `mqtt://127.0.0.1:${p}` };
}

/** Closes the manager (the broker's store closes with it), then starts a new broker on the same port and store. */
async function restart(r: Running, persistence: MqttBrokerOptions["persistence"]): Promise<Running> {
  await r.loop.stop();
  return start(persistence, r.port);
}

async function client(url: string, opts: MqttConnectOptions, manager: Manager): Promise<[ReturnType<Manager["mqttConnect"]>, Recorder]> {
  const rec = new Recorder();
  const c = manager.mqttConnect(url, rec.handler, opts);
  await rec.waitOpen();
  assert.deepEqual(rec.opens, [0]);
  return [c, rec];
}

const mosq = (tool: string, port: number, args: string[]): ReturnType<typeof run> =>
  run(tool, ["-h", "127.0.0.1", "-p", String(port), ...args], { timeoutMs: 10000 });

test("retained messages survive a restart (mosquitto_pub, then mosquitto_sub and our client after it); cleared ones stay cleared", async () => {
  const dir = tempDir();
  let b = start({ dir });
  assert.equal((await mosq("mosquitto_pub", b.port, ["-t", "ret/a", "-m", "kept-a", "-r", "-q", "1"])).code, 0);
  assert.equal((await mosq("mosquitto_pub", b.port, ["-t", "ret/gone", "-m", "x", "-r"])).code, 0);
  assert.equal((await mosq("mosquitto_pub", b.port, ["-t", "ret/gone", "-n", "-r"])).code, 0);
  // MQTT 5 properties are kept too.
  const [p] = await client(b.url, { version: 5 }, b.manager);
  p.mqttPub("ret/b", "kept-b", { qos: 1, retain: true, props: [{ id: MQTT_PROP_USER_PROPERTY, key: "k", val: "v" }, { id: MQTT_PROP_CORRELATION_DATA, bin: Buffer.from([1, 2, 3]) }] });
  await waitFor(() => b.broker.retainedTopics.includes("ret/b"), 5000, "retained ret/b");
  p.mqttDisconnect();

  b = await restart(b, { dir });
  assert.deepEqual(b.broker.retainedTopics.sort(), ["ret/a", "ret/b"]);
  const out = await mosq("mosquitto_sub", b.port, ["-t", "ret/#", "-C", "2", "-v", "-W", "5"]);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(out.stdout.trim().split("\n").sort(), ["ret/a kept-a", "ret/b kept-b"]);
  const [s, rec] = await client(b.url, { version: 5 }, b.manager);
  s.mqttSub("ret/b", { qos: 1 });
  await rec.waitMsgs(1);
  const m = rec.msgs[0]!;
  assert.equal(m.retain, true);
  const props = m.properties();
  assert.deepEqual(props.filter((x) => x.id === MQTT_PROP_USER_PROPERTY).map((x) => [x.key, x.val]), [["k", "v"]]);
  assert.deepEqual([...(props.find((x) => x.id === MQTT_PROP_CORRELATION_DATA)!.bin ?? [])], [1, 2, 3]);
  s.mqttDisconnect();
  await b.loop.stop();
});

test("an MQTT 5 persistent session gets its queued QoS 1 messages after a restart, with its subscriptions intact", async () => {
  const dir = tempDir();
  let b = start({ dir });
  const [s1, r1] = await client(b.url, { version: 5, clientId: "keeper", props: [{ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: 3600 }] }, b.manager);
  s1.mqttSub("jobs/#", { qos: 1 });
  await r1.waitCmd(MQTT_CMD_SUBACK);
  s1.mqttDisconnect();
  await waitFor(() => b.broker.sessionInfo("keeper")?.connected === false, 5000, "keeper away");
  const [p] = await client(b.url, {}, b.manager);
  for (const n of [1, 2, 3]) p.mqttPub(`jobs/${n}`, `job ${n}`, { qos: 1 });
  p.mqttPub("jobs/0", "qos 0 is not queued", { qos: 0 });
  await waitFor(() => b.broker.sessionInfo("keeper")?.queued === 3, 5000, "3 queued");
  p.mqttDisconnect();

  b = await restart(b, { dir });
  assert.deepEqual(b.broker.sessionInfo("keeper"), { connected: false, subscriptions: 1, queued: 3, queuedBytes: b.broker.sessionInfo("keeper")!.queuedBytes, inflight: 0, dropped: 0, sendQueueBytes: 0 });
  const [s2, r2] = await client(b.url, { version: 5, clientId: "keeper", clean: false, props: [{ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: 3600 }] }, b.manager);
  assert.equal((r2.cmds.find((m) => m.cmd === MQTT_CMD_CONNACK) as MqttPacket).sessionPresent, true);
  await r2.waitMsgs(3);
  assert.deepEqual(r2.msgs.map((m) => `${m.topic} ${m.text} ${m.qos}`), ["jobs/1 job 1 1", "jobs/2 job 2 1", "jobs/3 job 3 1"]);
  // The subscription came back with the session: a message published now arrives without subscribing again.
  const [p2] = await client(b.url, {}, b.manager);
  p2.mqttPub("jobs/4", "job 4", { qos: 1 });
  await r2.waitMsgs(4);
  assert.equal(r2.msgs[3]!.text, "job 4");
  await waitFor(() => b.broker.sessionInfo("keeper")?.inflight === 0, 5000, "all acknowledged");
  s2.mqttDisconnect();
  p2.mqttDisconnect();

  // Acknowledged messages are not sent again after one more restart.
  b = await restart(b, { dir });
  assert.equal(b.broker.sessionInfo("keeper")?.queued, 0);
  assert.equal(b.broker.sessionInfo("keeper")?.inflight, 0);
  await b.loop.stop();
});

test("an MQTT 3.1.1 clean-session-0 subscriber (mosquitto_sub -c) gets what was published while the broker restarted", async () => {
  const dir = tempDir();
  let b = start({ dir });
  // -E: exit once subscribed; the session stays (clean session 0).
  const first = await mosq("mosquitto_sub", b.port, ["-c", "-i", "sub311", "-q", "1", "-t", "v311/#", "-E"]);
  assert.equal(first.code, 0, first.stderr);
  await waitFor(() => b.broker.sessionInfo("sub311")?.connected === false, 5000, "sub311 away");
  for (const n of ["one", "two"]) assert.equal((await mosq("mosquitto_pub", b.port, ["-q", "1", "-t", `v311/${n}`, "-m", n])).code, 0);
  b = await restart(b, { dir });
  const out = await mosq("mosquitto_sub", b.port, ["-c", "-i", "sub311", "-q", "1", "-t", "v311/#", "-C", "2", "-v", "-W", "5"]);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(out.stdout.trim().split("\n"), ["v311/one one", "v311/two two"]);
  await b.loop.stop();
});

test("QoS 2 in flight resumes after a restart: PUBREL for a received message, PUBLISH with DUP=1 for an unacknowledged one", async () => {
  const dir = tempDir();
  let b = start({ dir });
  const connect = (clean: boolean): Buffer => buildConnect({ version: 5, clientId: "q2", keepAlive: 0, clean, props: [{ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: 600 }] });
  let raw = new RawPeer(b.port);
  raw.send(connect(true));
  await raw.wait(MQTT_CMD_CONNACK);
  raw.send(buildSubscribe(MQTT_CMD_SUBSCRIBE, 5, 1, [{ topic: "q2/t", options: 2 }]));
  await raw.wait(MQTT_CMD_SUBACK);
  b.broker.publish("q2/t", "a", { qos: 2 });
  b.broker.publish("q2/t", "b", { qos: 2 });
  const [pa, pb] = await raw.wait(MQTT_CMD_PUBLISH, 2);
  assert.deepEqual([pa!.text, pb!.text], ["a", "b"]);
  raw.send(buildAck(MQTT_CMD_PUBREC, 5, pa!.id)); // "a" received; "b" not acknowledged at all
  await raw.wait(MQTT_CMD_PUBREL);
  raw.end();
  await waitFor(() => b.broker.sessionInfo("q2")?.connected === false, 5000, "q2 away");

  b = await restart(b, { dir });
  assert.equal(b.broker.sessionInfo("q2")?.inflight, 2);
  raw = new RawPeer(b.port);
  raw.send(connect(false));
  const [ack] = await raw.wait(MQTT_CMD_CONNACK);
  assert.equal(ack!.sessionPresent, true);
  const [rel] = await raw.wait(MQTT_CMD_PUBREL);
  assert.equal(rel!.id, pa!.id);
  const [again] = await raw.wait(MQTT_CMD_PUBLISH);
  assert.deepEqual([again!.id, again!.text, again!.dup, again!.qos], [pb!.id, "b", true, 2]);
  raw.send(buildAck(MQTT_CMD_PUBCOMP, 5, pa!.id));
  raw.send(buildAck(MQTT_CMD_PUBREC, 5, pb!.id));
  await raw.wait(MQTT_CMD_PUBREL, 2);
  raw.send(buildAck(MQTT_CMD_PUBCOMP, 5, pb!.id));
  await waitFor(() => b.broker.sessionInfo("q2")?.inflight === 0, 5000, "both completed");
  raw.end();
  b = await restart(b, { dir });
  assert.equal(b.broker.sessionInfo("q2")?.inflight, 0, "completion was stored");
  await b.loop.stop();
});

test("shared subscriptions and a delayed will of a persistent session come back after a restart", async () => {
  const dir = tempDir();
  let b = start({ dir });
  const [s, rec] = await client(b.url, { clientId: "sh1", clean: false }, b.manager);
  s.mqttSub("$share/grp/sh/#", { qos: 1 });
  await rec.waitCmd(MQTT_CMD_SUBACK);
  s.mqttDisconnect();
  // A client with a will delayed by 3 s and a session kept an hour drops its connection.
  const raw = new RawPeer(b.port);
  raw.send(buildConnect({
    version: 5, clientId: "willer", keepAlive: 0, clean: true, props: [{ id: MQTT_PROP_SESSION_EXPIRY_INTERVAL, iv: 3600 }],
    will: { topic: "wills/willer", message: "gone", qos: 1, retain: true, props: [{ id: MQTT_PROP_WILL_DELAY_INTERVAL, iv: 3 }] },
  }));
  await raw.wait(MQTT_CMD_CONNACK);
  raw.end();
  await waitFor(() => b.broker.sessionInfo("willer")?.connected === false && b.broker.sessionInfo("sh1")?.connected === false, 5000, "both away");

  b = await restart(b, { dir });
  assert.equal(b.broker.retainedTopics.includes("wills/willer"), false, "the will waits for its delay");
  b.broker.publish("sh/1", "to the group", { qos: 1 });
  assert.equal(b.broker.sessionInfo("sh1")?.queued, 1, "the shared subscription's only member queues it");
  await waitFor(() => b.broker.retainedTopics.includes("wills/willer"), 8000, "the delayed will, sent by the restarted broker");
  await b.loop.stop();
});

test("a torn or garbage log tail is dropped: the valid prefix loads and later writes follow it", async () => {
  const dir = tempDir();
  const log = join(dir, LOG_NAME);
  let b = start({ dir });
  for (const n of [1, 2, 3]) b.broker.publish(`torn/${n}`, `v${n}`, { retain: true });
  await b.loop.stop();
  // A crash in the middle of writing the last record.
  truncateSync(log, statSync(log).size - 3);
  const probe = new MqttFileStore({ dir });
  assert.deepEqual(probe.load().retained.map((m) => m.topic), ["torn/1", "torn/2"]);
  assert.ok(probe.loaded.discardedBytes > 0);
  probe.close();
  // Garbage after valid records: random bytes, and a frame header announcing more than there is.
  appendFileSync(log, Buffer.concat([Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 9]), Buffer.from("not a record at all")]));
  b = start({ dir });
  assert.deepEqual(b.broker.retainedTopics.sort(), ["torn/1", "torn/2"]);
  b.broker.publish("torn/4", "v4", { retain: true });
  await b.loop.stop();
  b = start({ dir });
  assert.deepEqual(b.broker.retainedTopics.sort(), ["torn/1", "torn/2", "torn/4"]);
  await b.loop.stop();
  // A file that is not a broker log is refused rather than overwritten.
  const other = tempDir();
  writeFileSync(join(other, LOG_NAME), "something else entirely");
  assert.throws(() => new MqttBroker(new Manager(), { listen: "mqtt://127.0.0.1:0", persistence: { dir: other } }), /not an MQTT broker log/);
  assert.equal(readFileSync(join(other, LOG_NAME), "utf8"), "something else entirely");
});

test("the log is compacted (write-then-rename) once it outgrows the state it holds", async () => {
  const dir = tempDir();
  const b = start({ dir, compactBytes: 4096 });
  for (let i = 0; i < 200; i++) b.broker.publish("compact/one", `value ${i} ${"x".repeat(50)}`, { retain: true });
  // One retained message is the whole state: the log shrinks back under the threshold at a tick.
  await waitFor(() => statSync(join(dir, LOG_NAME)).size < 4096, 5000, "compaction");
  await b.loop.stop();
  const again = start({ dir });
  assert.deepEqual(again.broker.retainedTopics, ["compact/one"]);
  await again.loop.stop();
});

/** A store of the test's own, in memory: any object with MqttStore's methods can replace the file store. */
class MemoryStore implements MqttStore {
  retained = new Map<string, MqttStoredMessage>();
  sessions = new Map<string, { session: MqttStoredSession; deliveries: Map<number, MqttStoredDelivery> }>();
  commits = 0;
  closed = 0;
  load(): MqttStoreSnapshot {
    return { retained: [...this.retained.values()], sessions: [...this.sessions.values()].map((s) => ({ session: s.session, deliveries: [...s.deliveries.values()] })) };
  }
  setRetained(topic: string, msg: MqttStoredMessage | undefined): void { if (msg) this.retained.set(topic, msg); else this.retained.delete(topic); }
  setSession(session: MqttStoredSession): void { this.sessions.set(session.clientId, { session, deliveries: this.sessions.get(session.clientId)?.deliveries ?? new Map() }); }
  deleteSession(clientId: string): void { this.sessions.delete(clientId); }
  addDelivery(clientId: string, d: MqttStoredDelivery): void { this.sessions.get(clientId)?.deliveries.set(d.key, { ...d }); }
  updateDelivery(clientId: string, key: number, packetId: number, released: boolean): void {
    const d = this.sessions.get(clientId)?.deliveries.get(key);
    if (d) { d.packetId = packetId; d.released = released; }
  }
  deleteDelivery(clientId: string, key: number): void { this.sessions.get(clientId)?.deliveries.delete(key); }
  commit(): void { this.commits++; }
  close(): void { this.closed++; }
}

test("a store of one's own plugs in with persistence: { store }", async () => {
  const store = new MemoryStore();
  let b = start({ store });
  b.broker.publish("mem/r", "retained", { retain: true, qos: 1 });
  const [s, rec] = await client(b.url, { clientId: "mem", clean: false }, b.manager);
  s.mqttSub("mem/q", { qos: 1 });
  await rec.waitCmd(MQTT_CMD_SUBACK);
  s.mqttDisconnect();
  await waitFor(() => b.broker.sessionInfo("mem")?.connected === false, 5000, "mem away");
  b.broker.publish("mem/q", "queued", { qos: 1 });
  assert.equal(store.sessions.get("mem")?.deliveries.size, 1);
  assert.deepEqual(store.sessions.get("mem")?.session.subscriptions.map((x) => [x.filter, x.qos]), [["mem/q", 1]]);
  assert.ok(store.commits > 0);
  b = await restart(b, { store });
  assert.equal(store.closed, 1);
  assert.deepEqual(b.broker.retainedTopics, ["mem/r"]);
  const [s2, rec2] = await client(b.url, { clientId: "mem", clean: false }, b.manager);
  await rec2.waitMsgs(1);
  assert.equal(rec2.msgs[0]!.text, "queued");
  await waitFor(() => store.sessions.get("mem")?.deliveries.size === 0, 5000, "delivery removed on PUBACK");
  s2.mqttDisconnect();
  await b.loop.stop();
});

test("persistence and sysInterval options are checked where given", () => {
  const m = new Manager();
  const mk = (o: Partial<MqttBrokerOptions>): MqttBroker => new MqttBroker(m, { listen: "mqtt://127.0.0.1:0", ...o });
  const bad = (o: unknown, re: RegExp): void => assert.throws(() => mk({ persistence: o as MqttBrokerOptions["persistence"] }), (e: Error & { code?: string }) => e.code === "ERR_INVALID_OPTION" && re.test(e.message));
  bad("dir", /persistence must be/);
  bad({}, /persistence\.dir/);
  bad({ dir: 5 }, /persistence\.dir/);
  bad({ dir: tempDir(), store: new MemoryStore() }, /either dir or store/);
  bad({ dir: tempDir(), fsync: "sometimes" }, /persistence\.fsync/);
  bad({ dir: tempDir(), fsyncIntervalMs: -1 }, /fsyncIntervalMs/);
  bad({ store: { load() { return { retained: [], sessions: [] }; } } }, /setRetained/);
  assert.throws(() => mk({ sysInterval: -1 }), /sysInterval/);
  assert.throws(() => mk({ sysInterval: 1.5 }), /sysInterval/);
  assert.equal(m.connections.length, 0, "nothing listens after a refused option");
});

test("fsync policies: always and never write the same log", async () => {
  for (const fsync of ["always", "never"] as const) {
    const dir = tempDir();
    let b = start({ dir, fsync });
    b.broker.publish(`fs/${fsync}`, "x", { retain: true });
    b = await restart(b, { dir, fsync });
    assert.deepEqual(b.broker.retainedTopics, [`fs/${fsync}`]);
    await b.loop.stop();
  }
});

test("tsmongoose mqtt-broker --data DIR keeps retained messages across a restart of the process", async () => {
  const dir = tempDir();
  const port = await freePort();
  const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
  const startCli = async (): Promise<Child> => {
    const c = new Child(process.execPath, [cli, "mqtt-broker", "--listen", `mqtt://127.0.0.1:${port}`, "--data", dir, "--fsync", "always", "--quiet"]);
    await c.waitFor(/MQTT broker on/);
    return c;
  };
  let c = await startCli();
  assert.equal((await mosq("mosquitto_pub", port, ["-t", "cli/r", "-m", "from before", "-r", "-q", "1"])).code, 0);
  assert.equal(await c.stop(), 0);
  c = await startCli();
  const out = await mosq("mosquitto_sub", port, ["-t", "cli/#", "-C", "1", "-v", "-W", "5"]);
  assert.equal(out.stdout.trim(), "cli/r from before");
  // Killed outright (no chance to close its store): what was acknowledged is still there.
  assert.equal((await mosq("mosquitto_sub", port, ["-c", "-i", "cli-sub", "-q", "1", "-t", "cli/q", "-E"])).code, 0);
  assert.equal((await mosq("mosquitto_pub", port, ["-t", "cli/q", "-m", "queued before the kill", "-q", "1"])).code, 0);
  assert.equal((await mosq("mosquitto_pub", port, ["-t", "cli/k", "-m", "retained before the kill", "-r", "-q", "1"])).code, 0);
  c.proc.kill("SIGKILL");
  await c.exit();
  c = await startCli();
  const q = await mosq("mosquitto_sub", port, ["-c", "-i", "cli-sub", "-q", "1", "-t", "cli/q", "-C", "1", "-W", "5"]);
  assert.equal(q.stdout.trim(), "queued before the kill");
  const k = await mosq("mosquitto_sub", port, ["-t", "cli/k", "-C", "1", "-W", "5"]);
  assert.equal(k.stdout.trim(), "retained before the kill");
  await c.stop();
  const bad = await run(process.execPath, [cli, "mqtt-broker", "--fsync", "always"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--fsync needs --data/);
});

leakCheckAfterAll();
