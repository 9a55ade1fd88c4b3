// The HTTP codec (pure: bytes in, values and bytes consumed out; no connection): the
// message head parser (RFC 9112 §2-§6) and the chunked body decoder (§7.1). Every
// protocol folder has a codec.ts; this one gathers the parser's files.
export { parseHead, HttpParseError, KNOWN_METHODS, type ParsedHead } from "./parser.js";
export { ChunkedDecoder } from "./chunked.js";
