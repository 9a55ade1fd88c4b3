// An MQTT broker with authentication and authorization hooks: every client logs in with
// a user name and password from a table; devices may publish only under
// devices/<their client id>/ and may not subscribe to admin/#, the admin may do anything.
// With DATA_DIR set, retained messages and persistent sessions survive a restart.
//
// Run:  node dist/examples/mqtt/broker.js [listen-url]
//       (or LISTEN_URL=...; default mqtt://0.0.0.0:1883; DATA_DIR=dir to persist; SYS_INTERVAL=s for $SYS)
// Try:  mosquitto_sub -h 127.0.0.1 -u admin -P admin-secret -t '#' -v
//       mosquitto_pub -h 127.0.0.1 -u sensor -P sensor-secret -i kitchen -t devices/kitchen/temp -m 21.5
import { Manager, MqttBroker, type MqttAction } from "../../src/index.js";

const listen = process.argv[2] ?? process.env.LISTEN_URL ?? "mqtt://0.0.0.0:1883";

// Passwords in clear for the example; a real broker would keep salted hashes.
const users = new Map([["admin", "admin-secret"], ["sensor", "sensor-secret"]]);
/** Who logged in with which client id (authorize is asked by client id). */
const userOf = new Map<string, string>();

function authenticate(user: string | undefined, pass: string | undefined, clientId: string): boolean {
  const ok = user !== undefined && users.get(user) === pass;
  console.log(`login ${ok ? "accepted" : "refused"}: user ${user ?? "(none)"}, client ${clientId}`);
  if (ok) userOf.set(clientId, user);
  return ok;
}

function authorize(clientId: string, topic: string, action: MqttAction): boolean {
  const user = userOf.get(clientId);
  let ok: boolean;
  if (user === "admin") ok = true;
  else if (action === "publish") ok = topic.startsWith(`devices/${clientId}/`);
  else ok = !(topic === "admin" || topic.startsWith("admin/") || topic === "#");
  if (!ok) console.log(`denied: ${clientId} may not ${action} ${topic}`);
  return ok;
}

const manager = new Manager();
const broker = new MqttBroker(manager, {
  listen,
  authenticate,
  authorize,
  persistence: process.env.DATA_DIR ? { dir: process.env.DATA_DIR } : undefined,
  sysInterval: Number(process.env.SYS_INTERVAL ?? 0),
});
const { ip, port } = broker.listener.localAddr;
console.log(`listening on mqtt://${ip}:${port}`);
await manager.run(); // until Ctrl-C / SIGTERM; the store (if any) is closed with the manager
