// Shared subscription workers (MQTT 5 section 4.8.2): every worker subscribes to
// $share/workers/jobs/#, and the broker hands each job to one worker of the group, in
// turn, so adding workers spreads the load. The producer publishes numbered jobs.
//
// Run:  node dist/examples/mqtt/shared-workers.js BROKER-URL worker NAME   (until Ctrl-C)
//       node dist/examples/mqtt/shared-workers.js BROKER-URL produce COUNT
import {
  Manager, MG_EV_MQTT_OPEN, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_ERROR, MG_EV_CLOSE, MQTT_CMD_SUBACK, MQTT_CMD_PUBACK,
  type EventHandler,
} from "../../src/index.js";

const [url = "mqtt://127.0.0.1:1883", role = "worker", arg = ""] = process.argv.slice(2);

let done = false;
let exitCode = 0;
let handler: EventHandler;

if (role === "produce") {
  const count = Number(arg || 10);
  let acked = 0;
  handler = (conn, ev, data) => {
    if (ev === MG_EV_MQTT_OPEN && data === 0) {
      for (let i = 1; i <= count; i++) conn.mqttPub(`jobs/${i}`, `job ${i}`, { qos: 1 });
    } else if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_PUBACK) {
      // The broker has every job once each PUBACK is back.
      if (++acked === count) { console.log(`produced ${count} jobs`); conn.mqttDisconnect(); }
    } else if (ev === MG_EV_ERROR) { console.error(`error: ${data}`); exitCode = 1; }
    else if (ev === MG_EV_CLOSE) done = true;
  };
} else {
  const name = arg || `worker-${process.pid}`;
  handler = (conn, ev, data) => {
    if (ev === MG_EV_MQTT_OPEN && data === 0) conn.mqttSub("$share/workers/jobs/#", { qos: 1 });
    else if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_SUBACK) console.log(`${name} ready`);
    else if (ev === MG_EV_MQTT_MSG) console.log(`${name} did ${data.topic} (${data.text})`);
    else if (ev === MG_EV_ERROR) { console.error(`error: ${data}`); exitCode = 1; }
    else if (ev === MG_EV_CLOSE) done = true;
  };
}

const manager = new Manager(handler);
manager.mqttConnect(url, { version: 5, clientId: role === "produce" ? "" : `worker-${arg || process.pid}` });
const stop = (): void => { done = true; };
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
while (!done) await manager.poll(100);
await manager.close();
process.exit(exitCode);
