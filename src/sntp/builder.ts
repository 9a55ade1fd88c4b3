// The SNTP builder (RFC 4330 §4-§5; pure): a client request with its transmit timestamp.
export { buildRequest, requestTransmit, writeTimestamp } from "./packet.js";
