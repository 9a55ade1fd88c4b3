// MQTT 5 enhanced authentication (section 4.12): the CONNECT names an Authentication
// Method; server and client then exchange AUTH packets (reason 0x18, continue) until the
// server answers CONNACK. The broker asks an `auth` hook at every step; a method the hook
// does not know gets CONNACK 0x8C (bad authentication method) [MQTT-4.12.0-1].
import type { Connection } from "../connection.js";
import { MQTT_CMD_AUTH, MQTT_PROP_AUTHENTICATION_DATA, MQTT_PROP_AUTHENTICATION_METHOD } from "../mqtt/constants.js";
import type { MqttProperty } from "../mqtt/message.js";
import { buildSimple } from "../mqtt/builder.js";
import type { Client } from "./broker-session.js";
import type { MqttAuthHook, MqttAuthRequest } from "./broker-options.js";

export type { MqttAuthHook, MqttAuthRequest, MqttAuthResult } from "./broker-options.js";



/** Authentication reason codes (section 3.15.2.1) and CONNACK refusals. */
export const RC_AUTH_SUCCESS = 0x00, RC_CONTINUE_AUTH = 0x18, RC_REAUTHENTICATE = 0x19;
export const RC_NOT_AUTHORIZED = 0x87, RC_BAD_AUTH_METHOD = 0x8c;

/**
 * One step of the exchange in `cl.auth`: asks the hook with the client's `data` and
 * answers: AUTH 0x18 to continue, CONNACK (through `auth.finish`) or AUTH 0x00 on
 * success, CONNACK 0x8C for an unknown method, `refuse(0x87)` on failure.
 */
export function authStep(hook: MqttAuthHook, c: Connection, cl: Client, data: Uint8Array | undefined, refuse: (code: number) => void): void {
  const a = cl.auth!;
  const req: MqttAuthRequest = {
    clientId: a.clientId, method: a.method, data: data === undefined ? undefined : Buffer.from(data), step: a.step, reauth: a.reauth, state: a.state,
  };
  const r = hook(req);
  a.state = req.state;
  if (r === undefined && a.step === 0 && !a.reauth) { cl.auth = undefined; c.mqttConnack(RC_BAD_AUTH_METHOD); return; }
  const props = (d: Uint8Array | undefined): MqttProperty[] => {
    const p: MqttProperty[] = [{ id: MQTT_PROP_AUTHENTICATION_METHOD, val: a.method }];
    if (d !== undefined) p.push({ id: MQTT_PROP_AUTHENTICATION_DATA, bin: d });
    return p;
  };
  if (r?.status === "continue") {
    c.mqttSend(buildSimple(MQTT_CMD_AUTH, 5, RC_CONTINUE_AUTH, props(r.data)));
    return;
  }
  cl.auth = undefined;
  if (r?.status === "success") {
    if (a.reauth) c.mqttSend(buildSimple(MQTT_CMD_AUTH, 5, RC_AUTH_SUCCESS, props(r.data)));
    else a.finish!(props(r.data));
  } else {
    refuse(RC_NOT_AUTHORIZED);
  }
}
