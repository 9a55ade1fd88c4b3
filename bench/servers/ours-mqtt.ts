// tsmongoose MQTT broker for the benchmarks: MqttBroker with its defaults (no auth hooks).
import { Manager, MqttBroker } from "../../src/index.js";
import { announce } from "../lib/child.js";

const manager = new Manager();
const broker = new MqttBroker(manager, { listen: "mqtt://127.0.0.1:0" });
announce(broker.listener.localAddr.port);
await manager.run({ pollMs: 100 });
process.exit(0);
