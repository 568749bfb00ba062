/**
 * The daemon's persisted runtime state: `node-runtime.v1.json` in the state dir.
 * Times are ISO-8601 strings (UTC); binary values are base64.
 */
export const RUNTIME_STATE_VERSION = 1;
export const RUNTIME_STATE_FILE = 'node-runtime.v1.json';

export type PairingMethod = 'pin' | 'qr';
export type PairingCodeState = 'active' | 'used' | 'burned' | 'expired' | 'superseded';
export type PairingRequestState = 'pending_approval' | 'approved' | 'rejected' | 'expired';

/**
 * A pairing code as the state file keeps it: metadata only. What CPace is keyed with (the
 * PairingCodeDerivation) is a password equivalent: whoever holds it can pair while the code
 * is active, so it lives in the daemon's memory only and a restart ends every active code.
 */
export interface PairingCodeRecord {
  /** Random id (not secret). */
  id: string;
  method: PairingMethod;
  createdAt: string;
  expiresAt: string;
  /** Attempts that reached the CPace exchange. The code burns at MAX_PIN_ATTEMPTS. */
  attempts: number;
  state: PairingCodeState;
}

export interface PairingRequestRecord {
  requestId: string;
  deviceId: string;
  codeId: string;
  method: PairingMethod;
  name: string;
  platform: string;
  hostname: string;
  agentVersion: string;
  capabilities: string[];
  remoteAddress: string;
  /** base64 raw keys */
  ed25519PublicKey: string;
  x25519PublicKey: string;
  /** base64 DER */
  csr: string;
  sas: string;
  repair: boolean;
  requestedAt: string;
  expiresAt: string;
  state: PairingRequestState;
  decidedAt?: string;
  /** Set when approved: base64 DER of the issued certificate. */
  certificate?: string;
}

export interface NodeRecord {
  deviceId: string;
  name: string;
  platform: string;
  hostname: string;
  agentVersion: string;
  /** Capability ids, as announced by RegisterNode (or requested at pairing). */
  capabilities: string[];
  /** The node's own labels, as its last RegisterNode sent them (validated: @palyra/shared/labels). */
  labels: Record<string, string>;
  /**
   * Labels an operator set (LabelNode): they win over the node's own and survive its
   * re-registration. Stored in the nodes table's operator_labels column (migration 4).
   */
  operatorLabels?: Record<string, string>;
  ed25519PublicKey: string;
  x25519PublicKey: string;
  /** SHA-256 of the certificate DER, lowercase hex. */
  certFingerprint: string;
  certExpiresAt: string;
  pairedAt: string;
  lastSeen: string | null;
  /** notBefore of the current certificate (absent in records older than renewal). */
  certIssuedAt?: string;
  /** SHA-256 of the CA certificate that issued the current certificate (absent: the first CA). */
  certCaFingerprint?: string;
  /**
   * The certificate the node held before its last renewal. It stays valid (for RPCs and for a
   * renewal) until the node presents the current one, which then deny-lists it, or it
   * expires: a crash of either side between issuance and the switch never leaves the node
   * without a working certificate.
   */
  previousCertFingerprint?: string;
  previousCertExpiresAt?: string;
  /**
   * SHA-256 of the CA that issued the previous certificate (absent: the first CA): until the
   * node presents its renewed certificate it may still depend on that CA (ca finish).
   */
  previousCertCaFingerprint?: string;
  /** When the current certificate was issued by a renewal (absent: issued at pairing). */
  lastRenewedAt?: string;
  /** SHA-256 of every CA the node said it trusts (RegisterNode, TrustAck); absent: unknown. */
  trustedCaFingerprints?: string[];
}

export interface RevokedCertRecord {
  fingerprint: string;
  deviceId: string;
  revokedAt: string;
  reason: string;
  /**
   * notAfter of the revoked certificate: once it has passed, the certificate is refused as
   * expired anyway and the entry can leave the deny list (absent in older records).
   */
  expiresAt?: string;
}

export interface RuntimeState {
  version: typeof RUNTIME_STATE_VERSION;
  pairingCodes: PairingCodeRecord[];
  requests: PairingRequestRecord[];
  nodes: NodeRecord[];
  revoked: RevokedCertRecord[];
}

/** What CPace is keyed with for one code. Secret; never written to the state file. */
export interface PairingCodeDerivation {
  /**
   * Password-equivalent derived from the code (scrypt of the PIN, SHA-256 of a QR token) with
   * `salt`, base64. The code itself is never kept at all.
   */
  prs: string;
  /** base64; sent to the node in serverHello. */
  salt: string;
}

/** A code the pairing service can run an exchange with: its record and its derivation. */
export type UsablePairingCode = PairingCodeRecord & PairingCodeDerivation;

/**
 * Superseded PINs a node may still run an exchange against (the newest ones, unexpired, with
 * attempts left): a node holding one learns so without spending the active PIN's attempts.
 */
export const MAX_SUPERSEDED_PIN_CANDIDATES = 3;

/** A PIN (or QR) code burns when this many exchanges have started with it. */
export const MAX_PIN_ATTEMPTS = 5;
