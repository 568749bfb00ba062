/** Everything a joined node keeps: its keys, its certificate and the daemon it trusts. */
export interface NodeIdentity {
  version: 1;
  deviceId: string;
  name: string;
  /** HOST:PORT of the daemon's gRPC port. */
  daemonAddress: string;
  /** SHA-256 (hex) of the CA certificate proven during pairing. */
  caFingerprint: string;
  /**
   * The CAs this node trusts, PEM: the one proven at pairing, then the bundle the daemon sends
   * with renewals and CA rotations (the current CA, and the next one during a rotation).
   */
  caCertPem: string;
  certPem: string;
  certExpiresAt: string;
  /** PKCS#8 PEM of the TLS key the certificate was issued for. */
  tlsPrivateKeyPem: string;
  /** base64 raw keys */
  ed25519PrivateKey: string;
  ed25519PublicKey: string;
  x25519PrivateKey: string;
  x25519PublicKey: string;
  joinedAt: string;
  /**
   * The certificate and TLS key held before the last renewal, kept until the daemon has seen
   * the new certificate (a RegisterNode with it succeeded): if the switch fails, the node
   * still has a certificate the daemon accepts.
   */
  previousCertPem?: string;
  previousTlsPrivateKeyPem?: string;
  previousCertExpiresAt?: string;
}

/** Where a node's identity lives. The OS vault is one backend; a 0600 file is another. */
export interface IdentityStore {
  /** Human-readable name of the backend, shown by `palyra-node status`. */
  readonly backend: string;
  load(options?: { signal?: AbortSignal }): Promise<NodeIdentity | undefined>;
  save(identity: NodeIdentity, options?: { signal?: AbortSignal }): Promise<void>;
  /** Deletes the identity; true when there was one. */
  remove(options?: { signal?: AbortSignal }): Promise<boolean>;
}
