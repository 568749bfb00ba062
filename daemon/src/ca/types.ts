export interface LoadOrCreateOptions {
  /** The daemon's state directory; created 0700 when missing. */
  stateDir: string;
  signal?: AbortSignal;
}

export interface EnsureServerCertificateOptions {
  /** Host names and IP addresses clients dial; `localhost` and `127.0.0.1` are always added. */
  hosts: readonly string[];
  signal?: AbortSignal;
}

export interface ServerCertificate {
  /** PKCS#8 PEM. */
  keyPem: string;
  certPem: string;
  certDer: Buffer;
  /** SHA-256 of certDer, lowercase hex. */
  fingerprint: string;
  notAfter: Date;
  /** True when a new key and certificate were written, false when the existing pair was reused. */
  issued: boolean;
}

export interface SignNodeCsrOptions {
  /** PKCS#10 DER from the node (see createCsr in @palyra/shared). */
  csrDer: Uint8Array;
  /** The node's device id (ULID); the only identity the certificate carries. */
  deviceId: string;
  /** Default 30, at most 365; fractions allowed. Never extends past the CA's own notAfter. */
  validityDays?: number;
  signal?: AbortSignal;
}

export interface NodeCertificate {
  certDer: Buffer;
  certPem: string;
  /** SHA-256 of certDer, lowercase hex. */
  fingerprint: string;
  notAfter: Date;
  /** Lowercase hex. */
  serialNumber: string;
}
