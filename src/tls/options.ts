/** TLS settings for a connection. PEM may be given as a string or as bytes. */
export interface TlsOpts {
  /** CA certificate(s): clients verify the server against it; servers require and verify client certificates. */
  ca?: string | Uint8Array;
  /** Certificate chain (PEM). Required on servers. */
  cert?: string | Uint8Array;
  /** Private key (PEM). Required on servers. */
  key?: string | Uint8Array;
  /** Client: SNI and the host name the certificate must match. */
  name?: string;
  /** Client: accept any certificate. Only for testing. */
  skipVerification?: boolean;
}
