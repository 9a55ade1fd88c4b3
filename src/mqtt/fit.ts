// Packets the application gives properties for, kept within the peer's Maximum Packet
// Size (MQTT 5 section 3.1.2.11.4 for the server's, 3.2.2.3.6 for the client's). For
// each packet the spec says the Reason String and User Properties are not sent when
// they would make it exceed that size (CONNACK [MQTT-3.2.2-19/20], PUBACK
// [MQTT-3.4.2-2/3], PUBREC [MQTT-3.5.2-2/3], SUBACK [MQTT-3.9.2-1/2], UNSUBACK
// [MQTT-3.11.2-1/2], DISCONNECT [MQTT-3.14.2-3/4]): so they go first, the Reason String
// before the User Properties. What is still too large is never sent [MQTT-3.1.2-24]: the
// caller gets ERR_INVALID_ARG.
import { MQTT_PROP_MAXIMUM_PACKET_SIZE, MQTT_PROP_REASON_STRING, MQTT_PROP_USER_PROPERTY } from "./constants.js";
import type { MqttPacket, MqttProperty } from "./message.js";
import type { MqttConnState } from "./state.js";
import { findIntProp } from "./props.js";
import { MgError } from "../util/errors.js";

/**
 * The properties of a packet `build` makes that fit the peer's Maximum Packet Size: all
 * of them, then without the Reason String, then without User Properties too. Throws when
 * even those leave it too large, or with `orBare` returns that smallest set (a CONNACK:
 * the server's limits in it cannot be left out, and without a CONNACK the client cannot
 * connect at all). Measures only when there is a limit.
 */
export function fitProps(st: MqttConnState, props: readonly MqttProperty[] | undefined, build: (p: readonly MqttProperty[] | undefined) => Buffer, what: string, orBare = false): readonly MqttProperty[] | undefined {
  const max = st.peerMaxPacket;
  if (max === Infinity) return props;
  let size = build(props).length;
  if (size <= max) return props;
  if (props !== undefined && props.length > 0) {
    const noReason = props.filter((p) => p.id !== MQTT_PROP_REASON_STRING);
    if (noReason.length < props.length && (size = build(noReason).length) <= max) return noReason;
    const bare = noReason.filter((p) => p.id !== MQTT_PROP_USER_PROPERTY);
    if (bare.length < noReason.length && (size = build(bare).length) <= max) return bare;
    if (orBare) return bare;
  }
  if (orBare) return props;
  const whose = st.isServer ? "client's" : "server's";
  throw new MgError("ERR_INVALID_ARG", `${what}: packet of ${size} bytes is over the ${whose} Maximum Packet Size of ${max}`);
}

/** Server, MQTT 5: the client's Maximum Packet Size from its CONNECT (section 3.1.2.11.4; absent: no limit). */
export function learnClientMaxPacket(st: MqttConnState, m: MqttPacket): void {
  if (m.version < 5 || m.props.length === 0) return;
  const max = findIntProp(m.props, MQTT_PROP_MAXIMUM_PACKET_SIZE);
  if (max > 0) st.peerMaxPacket = max;
}

/** The size of an MQTT 5 SUBACK or UNSUBACK with `n` reason codes and no properties (section 3.9, 3.11). */
export function subackSize(n: number): number {
  const rem = 2 + 1 + n;
  return 1 + (rem < 128 ? 1 : rem < 16384 ? 2 : rem < 2097152 ? 3 : 4) + rem;
}
