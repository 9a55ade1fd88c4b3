// Request / response over MQTT 5: the requester publishes each request with a Response
// Topic (where to answer) and Correlation Data (which request an answer is for); the
// responder answers on that topic with the same Correlation Data. Answers may arrive
// in any order; the correlation data matches them up.
//
// Run:  node dist/examples/mqtt/request-response.js BROKER-URL responder
//       node dist/examples/mqtt/request-response.js BROKER-URL request 3 4 12
//       (the responder squares numbers sent to service/square until Ctrl-C; the requester exits when all are answered)
import {
  Manager, MG_EV_MQTT_OPEN, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_ERROR, MG_EV_CLOSE, MQTT_CMD_SUBACK,
  MQTT_PROP_RESPONSE_TOPIC, MQTT_PROP_CORRELATION_DATA, type EventHandler, type MqttMessage,
} from "../../src/index.js";

const [url = "mqtt://127.0.0.1:1883", role = "request", ...numbers] = process.argv.slice(2);
const SERVICE = "service/square";

const prop = (m: MqttMessage, id: number) => m.properties().find((p) => p.id === id);

let done = false;
let exitCode = 0;
let handler: EventHandler;

if (role === "responder") {
  handler = (conn, ev, data) => {
    if (ev === MG_EV_MQTT_OPEN && data === 0) conn.mqttSub(SERVICE, { qos: 1 });
    else if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_SUBACK) console.log(`responder ready on ${SERVICE}`);
    else if (ev === MG_EV_MQTT_MSG) {
      const replyTo = prop(data, MQTT_PROP_RESPONSE_TOPIC)?.val;
      const corr = prop(data, MQTT_PROP_CORRELATION_DATA)?.bin;
      if (replyTo === undefined) { console.log(`request without a response topic: ${data.text}`); return; }
      const n = Number(data.text);
      const answer = Number.isFinite(n) ? String(n * n) : "not a number";
      // The same Correlation Data goes back, untouched (MQTT 5 section 4.10).
      conn.mqttPub(replyTo, answer, { qos: 1, props: corr === undefined ? [] : [{ id: MQTT_PROP_CORRELATION_DATA, bin: corr }] });
      console.log(`answered ${data.text} -> ${answer} on ${replyTo}`);
    } else if (ev === MG_EV_ERROR) { console.error(`error: ${data}`); exitCode = 1; }
    else if (ev === MG_EV_CLOSE) done = true;
  };
} else {
  const replies = `replies/${process.pid}`;
  const pending = new Map<string, string>(); // correlation id -> the number asked about
  handler = (conn, ev, data) => {
    if (ev === MG_EV_MQTT_OPEN && data === 0) conn.mqttSub(replies, { qos: 1 });
    else if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_SUBACK) {
      numbers.forEach((n, i) => {
        const corr = `req-${i + 1}`;
        pending.set(corr, n);
        conn.mqttPub(SERVICE, n, {
          qos: 1,
          props: [{ id: MQTT_PROP_RESPONSE_TOPIC, val: replies }, { id: MQTT_PROP_CORRELATION_DATA, bin: Buffer.from(corr) }],
        });
      });
      if (numbers.length === 0) conn.mqttDisconnect();
    } else if (ev === MG_EV_MQTT_MSG) {
      const corr = Buffer.from(prop(data, MQTT_PROP_CORRELATION_DATA)?.bin ?? []).toString();
      const asked = pending.get(corr);
      if (asked === undefined) { console.log(`answer to an unknown request: ${corr}`); return; }
      pending.delete(corr);
      console.log(`square(${asked}) = ${data.text} [${corr}]`);
      if (pending.size === 0) conn.mqttDisconnect();
    } else if (ev === MG_EV_ERROR) { console.error(`error: ${data}`); exitCode = 1; }
    else if (ev === MG_EV_CLOSE) done = true;
  };
}

const manager = new Manager(handler);
manager.mqttConnect(url, { version: 5 }); // Response Topic and Correlation Data are MQTT 5 properties
const stop = (): void => { done = true; };
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
while (!done) await manager.poll(100);
await manager.close();
process.exit(exitCode);
