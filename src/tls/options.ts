/** A certificate chain and its private key (PEM, as a string or bytes). */
export interface TlsCertKey {
  /** The certificate chain (PEM): the leaf first, then its intermediates. */
  cert: string | Uint8Array;
  /** The certificate's private key (PEM). */
  key: string | Uint8Array;
}

/** TLS settings for a connection. PEM may be given as a string or as bytes. */
export interface TlsOpts {
  /** CA certificate(s): clients verify the server against it; servers require and verify client certificates. */
  ca?: string | Uint8Array;
  /** Certificate chain (PEM). Required on servers. On clients: the client certificate for mutual TLS. */
  cert?: string | Uint8Array;
  /** Private key (PEM). Required on servers. On clients: the key of the client certificate. */
  key?: string | Uint8Array;
  /** Client: SNI and the host name the certificate must match (default: the URL's host). */
  name?: string;
  /** Client: accept any certificate. Only for testing. */
  skipVerification?: boolean;
  /**
   * Server: more certificates, chosen by the name the client asks for (SNI). Keys are
   * host names, `*.example.com` wildcards allowed; `cert`/`key` serve clients that ask
   * for another name or none (when they are absent, the first entry does).
   */
  sni?: Record<string, TlsCertKey>;
  /** ALPN protocols to offer (client) or accept (server). Default: ["http/1.1"] on HTTP connections, none otherwise. */
  alpn?: string[];
  /** Time allowed for the handshake, in milliseconds. Default 30000. */
  handshakeTimeoutMs?: number;
}
