// What the broker checks in a client's PUBLISH before routing it (MQTT 5 section 3.3):
// the limits it announced, topic aliases (resolved here), and the properties a client may
// not send. The answer is the message to route, or the reason code to refuse it with.
import {
  MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, MQTT_PROP_TOPIC_ALIAS,
} from "../mqtt/constants.js";
import type { MqttPacket, MqttProperty } from "../mqtt/message.js";
import type { BrokerLimits } from "./broker-options.js";
import type { Client, Stored } from "./broker-session.js";

const RC_MALFORMED = 0x81, RC_PROTOCOL_ERROR = 0x82, RC_RECEIVE_MAXIMUM_EXCEEDED = 0x93, RC_TOPIC_ALIAS_INVALID = 0x94;
const RC_RETAIN_NOT_SUPPORTED = 0x9a, RC_QOS_NOT_SUPPORTED = 0x9b;

/** The properties of a message that has none (3.1.1, most of 5.0): one shared array, frozen so nothing adds to it. */
const NO_PROPS: MqttProperty[] = Object.freeze([]) as unknown as MqttProperty[];

/** The message of PUBLISH `m` from `cl` (its payload a view), or a reason code refusing it. */
export function checkPublish(cl: Client, m: MqttPacket, l: BrokerLimits, now: number): Stored | number {
  // [MQTT-3.3.1-2]: QoS 0 never carries DUP (a malformed PUBLISH).
  if (m.dup && m.qos === 0) return RC_MALFORMED;
  let topic = m.topic;
  let props = NO_PROPS;
  let expiresAt = 0;
  if (cl.version >= 5) {
    if (m.qos > l.maxQos) return RC_QOS_NOT_SUPPORTED; // [MQTT-3.2.2-11]
    if (m.retain && !l.retain) return RC_RETAIN_NOT_SUPPORTED; // [MQTT-3.2.2-14]
    // Our Receive Maximum bounds the QoS 2 messages the client has not released (section 3.3.4).
    if (m.qos === 2 && cl.qos2In.size >= l.receiveMaximum) return RC_RECEIVE_MAXIMUM_EXCEEDED;
    let alias = 0;
    if (m.props.length > 0) {
      props = [];
      for (const p of m.properties()) {
        if (p.id === MQTT_PROP_TOPIC_ALIAS) alias = p.iv === 0 ? -1 : p.iv!;
        // [MQTT-3.3.4-6]: a client's PUBLISH carries no Subscription Identifier.
        else if (p.id === MQTT_PROP_SUBSCRIPTION_IDENTIFIER) return RC_PROTOCOL_ERROR;
        else if (p.id === MQTT_PROP_MESSAGE_EXPIRY_INTERVAL) expiresAt = now + p.iv! * 1000;
        else props.push(p);
      }
    }
    if (alias !== 0) {
      // [MQTT-3.3.2-8]: alias 0 is not allowed; above our Topic Alias Maximum is invalid [MQTT-3.2.2-17].
      if (alias < 0 || alias > l.topicAliasMaximum) return RC_TOPIC_ALIAS_INVALID;
      const map = (cl.aliasesIn ??= new Map());
      if (topic !== "") map.set(alias, topic);
      else {
        const t = map.get(alias);
        if (t === undefined) return RC_TOPIC_ALIAS_INVALID; // an alias never set on this connection
        topic = t;
      }
    } else if (topic === "") {
      return RC_PROTOCOL_ERROR; // section 3.3.2.1: an empty topic needs a Topic Alias
    }
  }
  // Every version: the session remembers it until PUBREL (exactly once across reconnects).
  if (m.qos === 2) cl.qos2In.add(m.id);
  // A 3.1.1 QoS 1/2 PUBLISH keeps its packet: deliveries at QoS 1/2 are copies of it (Stored.raw).
  return { topic, payload: m.data, qos: m.qos, retain: m.retain, props, expiresAt, raw: cl.version < 5 && m.qos > 0 ? m.dgram : undefined, rawFree: false, copy: undefined };
}
