// The sentences for OpenSSL/Node error codes that the peer tests cannot easily provoke
// (cipher or version mismatch, revoked or not-yet-valid certificates, unknown alerts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { describeTlsError, describeVerifyError, describeTlsSocketError } from "../../src/tls/errors.js";
import { leakCheckAfterAll } from "../helpers.js";

function err(code: string, message = `some OpenSSL text for ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

test("every message names the reason in words and keeps the code", () => {
  const cases: [string, "client" | "server", RegExp][] = [
    ["ERR_SSL_NO_SHARED_CIPHER", "server", /^no cipher in common with the client \[ERR_SSL_NO_SHARED_CIPHER\]$/],
    ["ERR_SSL_UNSUPPORTED_PROTOCOL", "client", /^no TLS version in common with the peer \[/],
    ["ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION", "client", /no TLS version in common with the peer \(alert: protocol version\) \[/],
    ["ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", "client", /aborted the handshake \(alert: handshake failure\)/],
    ["ERR_SSL_SOMETHING_NEW", "client", /^some OpenSSL text for ERR_SSL_SOMETHING_NEW$/],
    ["ERR_SSL_TLSV1_ALERT_UNRECOGNIZED_NAME", "client", /no certificate for the name we asked for .* check tls\.name/],
    ["ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR", "server", /aborted the handshake \(alert: decrypt error\)/],
    ["ERR_SSL_WRONG_VERSION_NUMBER", "client", /did not answer with TLS: is it a plain-text port/],
    ["ERR_SSL_WRONG_VERSION_NUMBER", "server", /client does not speak TLS/],
    ["ERR_SSL_HTTP_REQUEST", "server", /plain-text HTTP request to this TLS port/],
    ["ERR_TLS_HANDSHAKE_TIMEOUT", "server", /did not complete in time/],
    ["ECONNRESET", "client", /server closed the connection during the TLS handshake \[ECONNRESET\]/],
    ["ECONNRESET", "server", /client closed the connection during the TLS handshake/],
    ["ERR_SSL_TLSV1_ALERT_UNKNOWN_CA", "client", /server does not trust our client certificate/],
    ["ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED", "client", /server says our certificate has expired/],
  ];
  for (const [code, role, re] of cases) assert.match(describeTlsError(err(code), role), re, `${code} (${role})`);
});

test("verification results name whose certificate failed and what to do", () => {
  assert.match(describeVerifyError("CERT_NOT_YET_VALID", "client"), /server's certificate is not valid yet \[CERT_NOT_YET_VALID\]: check the clocks/);
  assert.match(describeVerifyError("CERT_REVOKED", "server"), /client's certificate has been revoked/);
  assert.match(describeVerifyError("SELF_SIGNED_CERT_IN_CHAIN", "client"), /not signed by a trusted CA \[SELF_SIGNED_CERT_IN_CHAIN\]: pass its CA certificate as tls\.ca/);
  assert.match(describeVerifyError("UNABLE_TO_GET_ISSUER_CERT", "server"), /client's certificate is not signed by a trusted CA .*signed by the CA in the server's tls\.ca/);
  assert.match(describeVerifyError("SOMETHING_NEW", "client"), /server's certificate was not accepted \[SOMETHING_NEW\]/);
});

test("errors without a code keep their message; socket errors are TLS only when they are", () => {
  assert.equal(describeTlsError(new Error("odd failure"), "client"), "odd failure");
  assert.equal(describeTlsError("a string", "server"), "a string");
  assert.equal(describeTlsSocketError(err("ECONNRESET"), "server"), undefined);
  assert.match(describeTlsSocketError(err("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"), "client")!, /^TLS: the server requires a client certificate/);
});

// Leak check: nothing of this file is left open (sockets, timers, files, processes).
leakCheckAfterAll();
