/**
 * Where the CA key (`ca.key`) and the server key (`server.key`) are kept, as PKCS#8 PEM.
 * The daemon keeps them in its encrypted vault (VaultKeyStore); PlaintextKeyFiles is the
 * first slice's layout (0600 PEM files), read when migrating.
 */
export interface CaKeyStore {
  /** The key stored under `name`, or null. */
  read(name: string): Promise<Buffer | null>;
  /** Stores a key that must not exist yet; false (nothing written) when it does. */
  create(name: string, pem: string): Promise<boolean>;
  /** Stores or replaces a key atomically. */
  replace(name: string, pem: string): Promise<void>;
  /** Where `name` lives, for messages: a path, or `ca.key in <vault>`. */
  where(name: string): string;
}

export interface LoadOrCreateOptions {
  /** The daemon's state directory; created 0700 when missing. */
  stateDir: string;
  /** Where the private keys live. Default: plaintext 0600 PEM files in the state dir (the daemon passes its vault). */
  keys?: CaKeyStore;
  signal?: AbortSignal;
  /** The clock the CA certificates' expiry is checked against (tests). */
  now?: () => Date;
}

export interface EnsureServerCertificateOptions {
  /** Host names and IP addresses clients dial; `localhost` and `127.0.0.1` are always added. */
  hosts: readonly string[];
  /** Fingerprint of the trusted CA generation to issue it (default: the current server CA). */
  issuer?: string;
  /** Lifetime of a new certificate; default SERVER_VALIDITY_DAYS. A longer-lived one on disk is replaced. */
  validityMs?: number;
  /** Issue a new key and certificate even when the pair on disk could be reused (renewal while running). */
  force?: boolean;
  signal?: AbortSignal;
}

export interface ServerCertificate {
  /** PKCS#8 PEM. */
  keyPem: string;
  certPem: string;
  certDer: Buffer;
  /** SHA-256 of certDer, lowercase hex. */
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
  /** True when a new key and certificate were written, false when the existing pair was reused. */
  issued: boolean;
}

export interface SignNodeCsrOptions {
  /** PKCS#10 DER from the node (see createCsr in @palyra/shared). */
  csrDer: Uint8Array;
  /** The node's device id (ULID); the only identity the certificate carries. */
  deviceId: string;
  /** Lifetime in milliseconds: default 24 h, from 1 s to 365 days. Never extends past the CA's own notAfter. */
  validityMs?: number;
  /**
   * Fingerprint of the trusted CA generation to issue it (default: the signing CA). Pairing
   * passes the server's CA: the node checks the certificate against the CA it pinned.
   */
  issuer?: string;
  signal?: AbortSignal;
}

export interface NodeCertificate {
  /** SHA-256 of the issuing CA certificate (the signing generation), lowercase hex. */
  caFingerprint: string;
  certDer: Buffer;
  certPem: string;
  /** SHA-256 of certDer, lowercase hex. */
  fingerprint: string;
  notAfter: Date;
  /** Lowercase hex. */
  serialNumber: string;
}
