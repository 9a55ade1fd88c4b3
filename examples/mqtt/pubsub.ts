// An MQTT client that subscribes to a topic filter, publishes a few messages that match
// it, prints each one as it comes back through the broker, and exits once all did.
//
// Run:  node dist/examples/mqtt/pubsub.js [broker-url] [count]
//       (default mqtt://127.0.0.1:1883 and 3; user and password go in the URL: mqtt://user:pass@host:port)
import {
  Manager, MG_EV_MQTT_OPEN, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_ERROR, MG_EV_CLOSE, MQTT_CMD_SUBACK, type EventHandler,
} from "../../src/index.js";

const url = process.argv[2] ?? process.env.MQTT_URL ?? "mqtt://127.0.0.1:1883";
const count = Number(process.argv[3] ?? 3);
const clientId = `pubsub-${process.pid}`;
const filter = `demo/${clientId}/#`;

let received = 0;
let done = false;
let exitCode = 0;

const handler: EventHandler = (conn, ev, data) => {
  if (ev === MG_EV_MQTT_OPEN) {
    // data: the CONNACK reason code; anything but 0 closes the connection.
    if (data !== 0) { console.error(`refused by the broker: ${data}`); exitCode = 1; return; }
    console.log(`connected to ${url} as ${clientId}`);
    conn.mqttSub(filter, { qos: 1 });
  } else if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_SUBACK) {
    console.log(`subscribed to ${filter}`);
    for (let i = 1; i <= count; i++) conn.mqttPub(`demo/${clientId}/${i}`, `hello ${i}`, { qos: 1 });
  } else if (ev === MG_EV_MQTT_MSG) {
    console.log(`received ${data.topic.slice(`demo/${clientId}/`.length)}: ${data.text} (QoS ${data.qos})`);
    if (++received === count) conn.mqttDisconnect(); // sends DISCONNECT, closes once it is written
  } else if (ev === MG_EV_ERROR) {
    console.error(`error: ${data}`);
    exitCode = 1;
  } else if (ev === MG_EV_CLOSE) {
    done = true;
  }
};

const manager = new Manager(handler);
manager.mqttConnect(url, { clientId, version: 5 });
while (!done) await manager.poll(100);
await manager.close();
console.log(received === count ? "done" : `only ${received} of ${count} came back`);
process.exit(received === count ? exitCode : 1);
