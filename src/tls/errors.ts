// OpenSSL's and Node's TLS error codes turned into sentences a person can act on. Every
// message keeps the original code in brackets so it can still be searched for.
import type { PeerCertificate } from "node:tls";

/** Which side we are: it decides whose certificate a verification code is about. */
export type TlsRole = "client" | "server";

// Certificate verification results (X509_V_ERR_* names, as Node reports them).
const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "CERT_UNTRUSTED", "CERT_SIGNATURE_FAILURE",
  "CERT_CHAIN_TOO_LONG", "INVALID_CA", "CERT_REJECTED", "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
]);

function subjectOf(cert: PeerCertificate | undefined): string {
  const cn = cert?.subject?.CN;
  return cn ? ` (CN=${Array.isArray(cn) ? cn.join(",") : cn})` : "";
}

/**
 * Explains a failed certificate verification. `code` is Node's authorizationError or
 * error code; `cert` the peer's certificate when it is still known; `name` the host name
 * a client expected.
 */
export function describeVerifyError(code: string, role: TlsRole, cert?: PeerCertificate, name?: string): string {
  const whose = role === "client" ? "the server's certificate" : "the client's certificate";
  const fix = role === "client"
    ? "pass its CA certificate as tls.ca (or skipVerification: true, for testing only)"
    : "the client must use a certificate signed by the CA in the server's tls.ca";
  if (code === "DEPTH_ZERO_SELF_SIGNED_CERT") {
    const selfFix = role === "client"
      ? "pass that certificate itself as tls.ca (or skipVerification: true, for testing only)"
      : fix;
    return `${whose}${subjectOf(cert)} is self-signed and not trusted [${code}]: ${selfFix}`;
  }
  if (UNTRUSTED.has(code)) return `${whose}${subjectOf(cert)} is not signed by a trusted CA [${code}]: ${fix}`;
  if (code === "CERT_HAS_EXPIRED") {
    const when = cert?.valid_to ? ` on ${cert.valid_to}` : "";
    return `${whose}${subjectOf(cert)} expired${when} [${code}]: it must be renewed`;
  }
  if (code === "CERT_NOT_YET_VALID") {
    const when = cert?.valid_from ? ` before ${cert.valid_from}` : "";
    return `${whose}${subjectOf(cert)} is not valid yet${when} [${code}]: check the clocks`;
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || code.startsWith("Hostname/IP does not match")) {
    const names = cert?.subjectaltname ? cert.subjectaltname : cert?.subject?.CN ? `CN=${String(cert.subject.CN)}` : "other names";
    return `${whose} is for ${names}, not for "${name ?? "?"}" [ERR_TLS_CERT_ALTNAME_INVALID]: ` +
      "connect with a name the certificate lists, or set tls.name to one of them";
  }
  if (code === "CERT_REVOKED") return `${whose}${subjectOf(cert)} has been revoked [${code}]`;
  return `${whose}${subjectOf(cert)} was not accepted [${code}]`;
}

// Alerts the peer sent us (OpenSSL names them ERR_SSL_SSLV3_ALERT_* / ERR_SSL_TLSV1*_ALERT_*).
function describeAlert(alert: string, role: TlsRole): string {
  switch (alert) {
    case "UNKNOWN_CA":
      return role === "server"
        ? "the client does not trust this server's certificate (alert: unknown CA): give the client the CA that signed it"
        : "the server does not trust our client certificate (alert: unknown CA): use a certificate signed by the server's CA";
    case "BAD_CERTIFICATE":
    case "UNSUPPORTED_CERTIFICATE":
      return `the ${role === "server" ? "client" : "server"} rejected our certificate (alert: ${words(alert)})` +
        (role === "server" ? ": does it match the name the client asked for?" : "");
    case "CERTIFICATE_EXPIRED":
      return `the ${role === "server" ? "client" : "server"} says our certificate has expired (alert: certificate expired)`;
    case "CERTIFICATE_REQUIRED":
      return "the server requires a client certificate (alert: certificate required): set tls.cert and tls.key";
    case "NO_APPLICATION_PROTOCOL":
      return "no ALPN protocol in common with the peer (alert: no application protocol): check tls.alpn";
    case "PROTOCOL_VERSION":
      return "no TLS version in common with the peer (alert: protocol version)";
    case "HANDSHAKE_FAILURE":
      return "the peer aborted the handshake (alert: handshake failure): no cipher or signature algorithm in common?";
    case "UNRECOGNIZED_NAME":
      return "the server has no certificate for the name we asked for (alert: unrecognized name): check tls.name";
    default:
      return `the peer aborted the handshake (alert: ${words(alert)})`;
  }
}

function words(s: string): string { return s.toLowerCase().replace(/_/g, " "); }

/** Explains why a handshake failed, from the side `role` of the connection. */
export function describeTlsError(err: unknown, role: TlsRole, name?: string): string {
  const e = err as NodeJS.ErrnoException & { cert?: PeerCertificate; reason?: string };
  const code = typeof e?.code === "string" ? e.code : "";
  const msg = e && typeof e.message === "string" ? e.message : String(err);
  const tag = code ? ` [${code}]` : "";
  const alert = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(.+)$/.exec(code);
  if (alert) return `${describeAlert(alert[1]!, role)}${tag}`;
  if (UNTRUSTED.has(code) || code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID" || code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return describeVerifyError(code, role, e.cert, name);
  }
  switch (code) {
    case "ERR_SSL_HTTP_REQUEST":
      return `the client sent a plain-text HTTP request to this TLS port: it should use https://${tag}`;
    case "ERR_SSL_WRONG_VERSION_NUMBER":
    case "ERR_SSL_PACKET_LENGTH_TOO_LONG":
    case "ERR_SSL_RECORD_LAYER_FAILURE":
    case "ERR_SSL_UNEXPECTED_EOF_WHILE_READING":
      return role === "server"
        ? `the client does not speak TLS (it sent something else than a TLS handshake)${tag}`
        : `the server did not answer with TLS: is it a plain-text port (http://, ws://, tcp://)?${tag}`;
    case "ERR_SSL_UNSUPPORTED_PROTOCOL":
    case "ERR_SSL_NO_PROTOCOLS_AVAILABLE":
      return `no TLS version in common with the peer${tag}`;
    case "ERR_SSL_NO_SHARED_CIPHER":
      return `no cipher in common with the client${tag}`;
    case "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE":
      return `the client sent no certificate, but this server requires one (its tls.ca is set)${tag}`;
    case "ERR_SSL_NO_APPLICATION_PROTOCOL":
      return `no ALPN protocol in common with the peer: check tls.alpn${tag}`;
    case "ERR_TLS_HANDSHAKE_TIMEOUT":
      return `the TLS handshake did not complete in time${tag}`;
    case "ECONNRESET":
    case "EPIPE":
      // Clients that check the certificate after the handshake (Node's, ours) hang up without an alert.
      return role === "server"
        ? `the client closed the connection during the TLS handshake (it may not trust this server's certificate)${tag}`
        : `the server closed the connection during the TLS handshake${tag}`;
    default:
      return `${msg}${tag && !msg.includes(code) ? tag : ""}`;
  }
}

/**
 * An error on an established TLS connection (an alert the peer sent after the handshake,
 * a corrupt record) explained, or undefined when it is not a TLS error.
 */
export function describeTlsSocketError(err: unknown, role: TlsRole): string | undefined {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (typeof code !== "string" || !(code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_"))) return undefined;
  return `TLS: ${describeTlsError(err, role)}`;
}
