// What the application asks to send, checked against the properties a packet type may
// carry (MQTT 5.0 section 2.2.2.2): the receiver refuses a property not allowed there
// (Malformed Packet) or given twice (Protocol Error), so sending refuses them first, with
// ERR_INVALID_ARG, instead of losing the connection. Unknown identifiers are left to the
// encoder, which refuses them with its own message.
import type { MqttProperty } from "./message.js";
import { mqttPropType } from "./constants.js";
import { mqttPropAllowed, mqttPropRepeats, PROPS_WILL } from "./props.js";
import { MgError } from "../util/errors.js";

const NAMES = ["", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"];

/** Throws when `props` has a property packet type `ctx` (or PROPS_WILL) does not allow, or one twice that may not repeat. */
export function checkSendProps(ctx: number, props: readonly MqttProperty[] | undefined, what: string): void {
  if (props === undefined || props.length === 0) return;
  let lo = 0, hi = 0;
  for (const p of props) {
    const id = p.id;
    if (mqttPropType(id) < 0) continue;
    if (!mqttPropAllowed(ctx, id)) throw new MgError("ERR_INVALID_ARG", `${what}: property ${hex(id)} is not allowed in ${ctx === PROPS_WILL ? "will properties" : NAMES[ctx]} (MQTT 5 section 2.2.2.2)`);
    const m = 1 << (id & 31);
    const seen = (id < 32 ? lo : hi) & m;
    if (seen !== 0 && !mqttPropRepeats(ctx, id)) throw new MgError("ERR_INVALID_ARG", `${what}: property ${hex(id)} is given more than once (a protocol error, MQTT 5 section 2.2.2.2)`);
    if (id < 32) lo |= m; else hi |= m;
  }
}

/** A property identifier as the messages name it (0x0b). Only built for an error. */
function hex(id: number): string { return `0x${id.toString(16).padStart(2, "0")}`; }
