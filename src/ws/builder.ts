// The WebSocket builder (RFC 6455 §5.2, §5.3): frame headers and masking, pure; sender.ts
// queues the frames on a connection.
export { FIN, RSV1, headerLength, writeHeader, writeHeaderAt, writeMaskKey, maskInto, maskRange } from "./frame.js";
export { closePayload } from "./close.js";
