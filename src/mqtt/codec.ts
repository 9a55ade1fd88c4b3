// The MQTT codec (pure: bytes in, packets out; MQTT 3.1.1 and 5.0): the fixed header and
// each packet type (parser.ts), variable byte integers and strings (wire.ts), properties
// (props.ts).
export { parseFixedHeader, parsePacket, type FixedHeader } from "./parser.js";
export { MqttParseError } from "./wire.js";
export { decodeProps } from "./props.js";
