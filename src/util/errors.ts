// Errors the library throws and reports. Every one is an `MgError` with a stable `code`
// (the README lists them in one table); protocol failures also carry the protocol's own
// number: the HTTP status, the WebSocket close code, the MQTT reason code or the TLS alert.

/** The stable codes of MgError. */
export type MgErrorCode =
  // Arguments and options
  | "ERR_INVALID_ARG"        // a function argument of the wrong type or range
  | "ERR_INVALID_OPTION"     // an option of listen/connect/wsConnect/mqttConnect/httpRequest/MqttBroker/... of the wrong type or range, or a required one missing
  | "ERR_INVALID_URL"        // a URL that cannot be parsed, or a scheme not supported there
  // Connection lifecycle
  | "ERR_CONN_CLOSED"        // sending on a connection that is closed or closing
  | "ERR_WRONG_CONN"         // a protocol call on a connection of another kind (wsSend on HTTP, ...)
  | "ERR_MANAGER_CLOSED"     // listen/connect on a closed manager
  | "ERR_BIND"               // the address cannot be bound
  | "ERR_CONNECT"            // the peer cannot be reached
  | "ERR_RESOLVE"            // a host name cannot be resolved
  | "ERR_SOCKET"             // a socket error on an established connection
  | "ERR_TIMEOUT"            // something did not happen in the time allowed
  // Protocols
  | "ERR_TLS"                // TLS handshake, certificate or key failure (`alert` when known)
  | "ERR_HTTP_PARSE"         // malformed or oversized HTTP input (`status`: what was answered)
  | "ERR_HTTP_STATE"         // an HTTP call out of order (a second reply to one request, ...)
  | "ERR_WS_PROTOCOL"        // a WebSocket protocol failure (`closeCode`)
  | "ERR_WS_HANDSHAKE"       // a WebSocket opening handshake refused or broken
  | "ERR_MQTT_PROTOCOL"      // an MQTT protocol failure (`reasonCode` when MQTT 5 has one)
  | "ERR_SNTP"               // a bad, spoofed or kiss-o'-death SNTP reply
  | "ERR_DNS"                // a bad DNS answer
  | "ERR_HANDLER"            // a handler threw (the original error is `cause`)
  | "ERR_INTERNAL";          // a bug in the library: please report it

/** The protocol numbers and cause an {@link MgError} may carry (the third argument of its constructor). */
export interface MgErrorDetails {
  /** HTTP status answered or received. */
  status?: number;
  /** WebSocket close code sent or received. */
  closeCode?: number;
  /** MQTT reason code (MQTT 5) or CONNACK return code (3.1.1). */
  reasonCode?: number;
  /** TLS alert or OpenSSL error code. */
  alert?: string;
  /** The underlying error (Node's, OpenSSL's, ...), kept as the standard `error.cause`. */
  cause?: unknown;
}

/** An error of the library: `code` is stable across versions, `message` is for people. */
export class MgError extends Error {
  /** What went wrong, stable across versions (the README lists every code). */
  readonly code: MgErrorCode;
  /** HTTP status answered or received, when the error is about HTTP. */
  readonly status: number | undefined;
  /** WebSocket close code sent or received, when the error is about WebSocket. */
  readonly closeCode: number | undefined;
  /** MQTT reason code (MQTT 5) or CONNACK return code (3.1.1), when the error is about MQTT. */
  readonly reasonCode: number | undefined;
  /** TLS alert or OpenSSL error code, when the error is about TLS. */
  readonly alert: string | undefined;

  constructor(code: MgErrorCode, message: string, details: MgErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "MgError";
    this.code = code;
    this.status = details.status;
    this.closeCode = details.closeCode;
    this.reasonCode = details.reasonCode;
    this.alert = details.alert;
  }
}

/** Shorthand for a bad argument. */
export function argError(message: string): MgError {
  return new MgError("ERR_INVALID_ARG", message);
}

/** Shorthand for a bad option: names the option and what is allowed (after `where: ` when given, e.g. "MqttBroker"). */
export function optionError(name: string, allowed: string, got: unknown, where?: string): MgError {
  return new MgError("ERR_INVALID_OPTION", `${where === undefined ? "" : `${where}: `}option ${name} must be ${allowed}, got ${describe(got)}`);
}

function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || v === undefined || v === null || typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return "an array";
  return `a${typeof v === "object" ? "n object" : ` ${typeof v}`}`;
}

/** A TypeError (as Node throws for an argument of the wrong type) with the stable code ERR_INVALID_ARG. */
export function typeError(message: string): TypeError & { code: MgErrorCode } {
  const e = new TypeError(message) as TypeError & { code: MgErrorCode };
  e.code = "ERR_INVALID_ARG";
  return e;
}

/** A RangeError (as Node throws for an argument out of range) with the stable code ERR_INVALID_ARG. */
export function rangeError(message: string): RangeError & { code: MgErrorCode } {
  const e = new RangeError(message) as RangeError & { code: MgErrorCode };
  e.code = "ERR_INVALID_ARG";
  return e;
}
