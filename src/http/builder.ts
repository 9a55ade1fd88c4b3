// The HTTP builder (pure: values in, bytes out): header lines checked against response
// splitting, and status texts. reply.ts uses them to queue responses on a connection.
export { formatHeaders, type HeadersInit, type HeaderFacts } from "./reply.js";
export { statusText } from "./status.js";
