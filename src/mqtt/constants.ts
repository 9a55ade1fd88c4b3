// MQTT numbers, as Mongoose's mqtt.h names them: packet types (MQTT 3.1.1 section 2.2.1,
// MQTT 5.0 section 2.1.2), property identifiers (5.0 section 2.2.2.2) and the value
// types that properties are encoded with.

/** Packet type 1, CONNECT: a client asks to open a session. */
export const MQTT_CMD_CONNECT = 1;
/** Packet type 2, CONNACK: the server's answer to CONNECT. */
export const MQTT_CMD_CONNACK = 2;
/** Packet type 3, PUBLISH: an application message. */
export const MQTT_CMD_PUBLISH = 3;
/** Packet type 4, PUBACK: acknowledges a QoS 1 PUBLISH. */
export const MQTT_CMD_PUBACK = 4;
/** Packet type 5, PUBREC: first answer to a QoS 2 PUBLISH. */
export const MQTT_CMD_PUBREC = 5;
/** Packet type 6, PUBREL: second step of QoS 2 (answers PUBREC). */
export const MQTT_CMD_PUBREL = 6;
/** Packet type 7, PUBCOMP: last step of QoS 2 (answers PUBREL). */
export const MQTT_CMD_PUBCOMP = 7;
/** Packet type 8, SUBSCRIBE: a client subscribes to topic filters. */
export const MQTT_CMD_SUBSCRIBE = 8;
/** Packet type 9, SUBACK: the server's answer to SUBSCRIBE (one code per filter). */
export const MQTT_CMD_SUBACK = 9;
/** Packet type 10, UNSUBSCRIBE: a client removes subscriptions. */
export const MQTT_CMD_UNSUBSCRIBE = 10;
/** Packet type 11, UNSUBACK: the server's answer to UNSUBSCRIBE. */
export const MQTT_CMD_UNSUBACK = 11;
/** Packet type 12, PINGREQ: a client's keep-alive ping. */
export const MQTT_CMD_PINGREQ = 12;
/** Packet type 13, PINGRESP: the server's answer to PINGREQ. */
export const MQTT_CMD_PINGRESP = 13;
/** Packet type 14, DISCONNECT: the sender closes the session cleanly (MQTT 5: either side, with a reason code). */
export const MQTT_CMD_DISCONNECT = 14;
/** Packet type 15, AUTH (MQTT 5): a step of enhanced authentication. */
export const MQTT_CMD_AUTH = 15;

/** MQTT 5 property 0x01, Payload Format Indicator (byte: 0 bytes, 1 UTF-8 text); PUBLISH, will. */
export const MQTT_PROP_PAYLOAD_FORMAT_INDICATOR = 0x01;
/** MQTT 5 property 0x02, Message Expiry Interval (four-byte integer, seconds); PUBLISH, will. */
export const MQTT_PROP_MESSAGE_EXPIRY_INTERVAL = 0x02;
/** MQTT 5 property 0x03, Content Type (string, e.g. a MIME type); PUBLISH, will. */
export const MQTT_PROP_CONTENT_TYPE = 0x03;
/** MQTT 5 property 0x08, Response Topic (string) for request/response; PUBLISH, will. */
export const MQTT_PROP_RESPONSE_TOPIC = 0x08;
/** MQTT 5 property 0x09, Correlation Data (binary) for request/response; PUBLISH, will. */
export const MQTT_PROP_CORRELATION_DATA = 0x09;
/** MQTT 5 property 0x0B, Subscription Identifier (variable byte integer); SUBSCRIBE, PUBLISH. */
export const MQTT_PROP_SUBSCRIPTION_IDENTIFIER = 0x0b;
/** MQTT 5 property 0x11, Session Expiry Interval (four-byte integer, seconds); CONNECT, CONNACK, DISCONNECT. */
export const MQTT_PROP_SESSION_EXPIRY_INTERVAL = 0x11;
/** MQTT 5 property 0x12, Assigned Client Identifier (string); CONNACK. */
export const MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER = 0x12;
/** MQTT 5 property 0x13, Server Keep Alive (two-byte integer, seconds); CONNACK. */
export const MQTT_PROP_SERVER_KEEP_ALIVE = 0x13;
/** MQTT 5 property 0x15, Authentication Method (string); CONNECT, CONNACK, AUTH. */
export const MQTT_PROP_AUTHENTICATION_METHOD = 0x15;
/** MQTT 5 property 0x16, Authentication Data (binary); CONNECT, CONNACK, AUTH. */
export const MQTT_PROP_AUTHENTICATION_DATA = 0x16;
/** MQTT 5 property 0x17, Request Problem Information (byte); CONNECT. */
export const MQTT_PROP_REQUEST_PROBLEM_INFORMATION = 0x17;
/** MQTT 5 property 0x18, Will Delay Interval (four-byte integer, seconds); will. */
export const MQTT_PROP_WILL_DELAY_INTERVAL = 0x18;
/** MQTT 5 property 0x19, Request Response Information (byte); CONNECT. */
export const MQTT_PROP_REQUEST_RESPONSE_INFORMATION = 0x19;
/** MQTT 5 property 0x1A, Response Information (string); CONNACK. */
export const MQTT_PROP_RESPONSE_INFORMATION = 0x1a;
/** MQTT 5 property 0x1C, Server Reference (string: another server to use); CONNACK, DISCONNECT. */
export const MQTT_PROP_SERVER_REFERENCE = 0x1c;
/** MQTT 5 property 0x1F, Reason String (string, for people); acks, DISCONNECT, AUTH. */
export const MQTT_PROP_REASON_STRING = 0x1f;
/** MQTT 5 property 0x21, Receive Maximum (two-byte integer: QoS 1/2 publishes in flight); CONNECT, CONNACK. */
export const MQTT_PROP_RECEIVE_MAXIMUM = 0x21;
/** MQTT 5 property 0x22, Topic Alias Maximum (two-byte integer); CONNECT, CONNACK. */
export const MQTT_PROP_TOPIC_ALIAS_MAXIMUM = 0x22;
/** MQTT 5 property 0x23, Topic Alias (two-byte integer); PUBLISH. */
export const MQTT_PROP_TOPIC_ALIAS = 0x23;
/** MQTT 5 property 0x24, Maximum QoS (byte: 0 or 1); CONNACK. */
export const MQTT_PROP_MAXIMUM_QOS = 0x24;
/** MQTT 5 property 0x25, Retain Available (byte); CONNACK. */
export const MQTT_PROP_RETAIN_AVAILABLE = 0x25;
/** MQTT 5 property 0x26, User Property (string pair: `key` and `val`); any packet with properties. */
export const MQTT_PROP_USER_PROPERTY = 0x26;
/** MQTT 5 property 0x27, Maximum Packet Size (four-byte integer, bytes); CONNECT, CONNACK. */
export const MQTT_PROP_MAXIMUM_PACKET_SIZE = 0x27;
/** MQTT 5 property 0x28, Wildcard Subscription Available (byte); CONNACK. */
export const MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28;
/** MQTT 5 property 0x29, Subscription Identifier Available (byte); CONNACK. */
export const MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29;
/** MQTT 5 property 0x2A, Shared Subscription Available (byte); CONNACK. */
export const MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE = 0x2a;

// Value types, in Mongoose's order.
/** Value type of a property: one byte (`iv`). */
export const MQTT_PROP_TYPE_BYTE = 0;
/** Value type of a property: a UTF-8 string (`val`). */
export const MQTT_PROP_TYPE_STRING = 1;
/** Value type of a property: a UTF-8 string pair (`key` and `val`). */
export const MQTT_PROP_TYPE_STRING_PAIR = 2;
/** Value type of a property: binary data (`bin`, or `val` as UTF-8). */
export const MQTT_PROP_TYPE_BINARY_DATA = 3;
/** Value type of a property: a variable byte integer (`iv`). */
export const MQTT_PROP_TYPE_VARIABLE_INT = 4;
/** Value type of a property: a four-byte integer (`iv`). */
export const MQTT_PROP_TYPE_INT = 5;
/** Value type of a property: a two-byte integer (`iv`). */
export const MQTT_PROP_TYPE_SHORT = 6;

/** Protocol level 4: MQTT 3.1.1 (the default; level 3, MQTT 3.1, is accepted by servers). */
export const MQTT_VERSION_311 = 4;
/** Protocol level 5: MQTT 5.0. */
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
