// MQTT numbers, as Mongoose's mqtt.h names them: packet types (MQTT 3.1.1 section 2.2.1,
// MQTT 5.0 section 2.1.2), property identifiers (5.0 section 2.2.2.2) and the value
// types that properties are encoded with.

export const MQTT_CMD_CONNECT = 1;
export const MQTT_CMD_CONNACK = 2;
export const MQTT_CMD_PUBLISH = 3;
export const MQTT_CMD_PUBACK = 4;
export const MQTT_CMD_PUBREC = 5;
export const MQTT_CMD_PUBREL = 6;
export const MQTT_CMD_PUBCOMP = 7;
export const MQTT_CMD_SUBSCRIBE = 8;
export const MQTT_CMD_SUBACK = 9;
export const MQTT_CMD_UNSUBSCRIBE = 10;
export const MQTT_CMD_UNSUBACK = 11;
export const MQTT_CMD_PINGREQ = 12;
export const MQTT_CMD_PINGRESP = 13;
export const MQTT_CMD_DISCONNECT = 14;
export const MQTT_CMD_AUTH = 15;

export const MQTT_PROP_PAYLOAD_FORMAT_INDICATOR = 0x01;
export const MQTT_PROP_MESSAGE_EXPIRY_INTERVAL = 0x02;
export const MQTT_PROP_CONTENT_TYPE = 0x03;
export const MQTT_PROP_RESPONSE_TOPIC = 0x08;
export const MQTT_PROP_CORRELATION_DATA = 0x09;
export const MQTT_PROP_SUBSCRIPTION_IDENTIFIER = 0x0b;
export const MQTT_PROP_SESSION_EXPIRY_INTERVAL = 0x11;
export const MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER = 0x12;
export const MQTT_PROP_SERVER_KEEP_ALIVE = 0x13;
export const MQTT_PROP_AUTHENTICATION_METHOD = 0x15;
export const MQTT_PROP_AUTHENTICATION_DATA = 0x16;
export const MQTT_PROP_REQUEST_PROBLEM_INFORMATION = 0x17;
export const MQTT_PROP_WILL_DELAY_INTERVAL = 0x18;
export const MQTT_PROP_REQUEST_RESPONSE_INFORMATION = 0x19;
export const MQTT_PROP_RESPONSE_INFORMATION = 0x1a;
export const MQTT_PROP_SERVER_REFERENCE = 0x1c;
export const MQTT_PROP_REASON_STRING = 0x1f;
export const MQTT_PROP_RECEIVE_MAXIMUM = 0x21;
export const MQTT_PROP_TOPIC_ALIAS_MAXIMUM = 0x22;
export const MQTT_PROP_TOPIC_ALIAS = 0x23;
export const MQTT_PROP_MAXIMUM_QOS = 0x24;
export const MQTT_PROP_RETAIN_AVAILABLE = 0x25;
export const MQTT_PROP_USER_PROPERTY = 0x26;
export const MQTT_PROP_MAXIMUM_PACKET_SIZE = 0x27;
export const MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28;
export const MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29;
export const MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE = 0x2a;

// Value types, in Mongoose's order.
export const MQTT_PROP_TYPE_BYTE = 0;
export const MQTT_PROP_TYPE_STRING = 1;
export const MQTT_PROP_TYPE_STRING_PAIR = 2;
export const MQTT_PROP_TYPE_BINARY_DATA = 3;
export const MQTT_PROP_TYPE_VARIABLE_INT = 4;
export const MQTT_PROP_TYPE_INT = 5;
export const MQTT_PROP_TYPE_SHORT = 6;

/** Protocol levels: 4 is MQTT 3.1.1, 5 is MQTT 5.0 (3 is 3.1, accepted by servers). */
export const MQTT_VERSION_311 = 4;
export const MQTT_VERSION_5 = 5;

const PROP_TYPES = new Map<number, number>([
  [0x01, MQTT_PROP_TYPE_BYTE], [0x02, MQTT_PROP_TYPE_INT], [0x03, MQTT_PROP_TYPE_STRING],
  [0x08, MQTT_PROP_TYPE_STRING], [0x09, MQTT_PROP_TYPE_BINARY_DATA], [0x0b, MQTT_PROP_TYPE_VARIABLE_INT],
  [0x11, MQTT_PROP_TYPE_INT], [0x12, MQTT_PROP_TYPE_STRING], [0x13, MQTT_PROP_TYPE_SHORT],
  [0x15, MQTT_PROP_TYPE_STRING], [0x16, MQTT_PROP_TYPE_BINARY_DATA], [0x17, MQTT_PROP_TYPE_BYTE],
  [0x18, MQTT_PROP_TYPE_INT], [0x19, MQTT_PROP_TYPE_BYTE], [0x1a, MQTT_PROP_TYPE_STRING],
  [0x1c, MQTT_PROP_TYPE_STRING], [0x1f, MQTT_PROP_TYPE_STRING], [0x21, MQTT_PROP_TYPE_SHORT],
  [0x22, MQTT_PROP_TYPE_SHORT], [0x23, MQTT_PROP_TYPE_SHORT], [0x24, MQTT_PROP_TYPE_BYTE],
  [0x25, MQTT_PROP_TYPE_BYTE], [0x26, MQTT_PROP_TYPE_STRING_PAIR], [0x27, MQTT_PROP_TYPE_INT],
  [0x28, MQTT_PROP_TYPE_BYTE], [0x29, MQTT_PROP_TYPE_BYTE], [0x2a, MQTT_PROP_TYPE_BYTE],
]);

/** The value type of property `id`, or -1 for an unknown identifier. */
export function mqttPropType(id: number): number {
  return PROP_TYPES.get(id) ?? -1;
}
