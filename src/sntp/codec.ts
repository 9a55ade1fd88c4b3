// The SNTP codec (RFC 4330 §4-§5, RFC 5905 timestamps; pure): parses and checks a reply
// against the request it answers.
export { parseReply, readTimestamp, ntpToEpochMs, SNTP_PACKET_SIZE, type SntpReply, type SntpReject } from "./packet.js";
