/** Everything a joined node keeps: its keys, its certificate and the daemon it trusts. */
export interface NodeIdentity {
  version: 1;
  deviceId: string;
  name: string;
  /** HOST:PORT of the daemon's gRPC port. */
  daemonAddress: string;
  /** SHA-256 (hex) of the CA certificate proven during pairing. */
  caFingerprint: string;
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
