// MQTT 5 enhanced authentication (section 4.12): the CONNECT names an Authentication
// Method; server and client then exchange AUTH packets (reason 0x18, continue) until the
// server answers CONNACK. The broker asks an `auth` hook at every step; a method the hook
// does not know gets CONNACK 0x8C (bad authentication method) [MQTT-4.12.0-1].

/** One step of an exchange, as the hook sees it. */
export interface MqttAuthRequest {
  clientId: string;
  /** The Authentication Method of the CONNECT. */
  method: string;
  /** Authentication Data of the CONNECT (step 0) or of the client's AUTH. */
  data: Buffer | undefined;
  /** 0 for the CONNECT (or the AUTH 0x19 starting a re-authentication), then 1, 2, ... */
  step: number;
  /** True for a re-authentication of a connected client (AUTH 0x19). */
  reauth: boolean;
  /** Yours to keep between the steps of one exchange (starts undefined). */
  state: unknown;
}

/**
 * What the hook answers: `continue` sends AUTH 0x18 with `data`; `success` completes
 * (CONNACK 0, or AUTH 0x00 on re-authentication) with optional `data`; `fail` refuses
 * (CONNACK 0x87 / DISCONNECT 0x87).
 */
export type MqttAuthResult =
  | { status: "continue"; data?: Uint8Array }
  | { status: "success"; data?: Uint8Array }
  | { status: "fail" };

/** Return undefined at step 0 for a method you do not support (CONNACK 0x8C). */
export type MqttAuthHook = (req: MqttAuthRequest) => MqttAuthResult | undefined;

/** Authentication reason codes (section 3.15.2.1) and CONNACK refusals. */
export const RC_AUTH_SUCCESS = 0x00, RC_CONTINUE_AUTH = 0x18, RC_REAUTHENTICATE = 0x19;
export const RC_NOT_AUTHORIZED = 0x87, RC_BAD_AUTH_METHOD = 0x8c;
