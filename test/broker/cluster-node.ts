// One node of a broker cluster, as a child process of the cluster tests: a Manager and an
// MqttBroker with the `cluster` option on 127.0.0.1 port 0. Prints "node PORT" once the
// broker is ready (Redis reached); SIGTERM closes it gracefully.
// Usage: node cluster-node.js REDIS_URL [JSON of extra MqttBrokerOptions]
import { Manager, MqttBroker, type MqttBrokerOptions } from "../../src/index.js";

const redis = process.argv[2]!;
const extra = JSON.parse(process.argv[3] ?? "{}") as Partial<MqttBrokerOptions>;
const manager = new Manager();
const broker = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0", ...extra, cluster: { redis, takeoverTimeoutMs: 3000, ...extra.cluster } });
let running = true;
const loop = (async () => { while (running) await manager.poll(20); })();
const stop = (): void => {
  running = false;
  void loop.then(async () => { await manager.close(); process.exit(0); });
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
await broker.ready;
process.stdout.write(`node ${broker.listener.localAddr.port}\n`);
