/**
 * The daemon's persisted runtime state: `node-runtime.v1.json` in the state dir.
 * Times are ISO-8601 strings (UTC); binary values are base64.
 */
export const RUNTIME_STATE_VERSION = 1;
export const RUNTIME_STATE_FILE = 'node-runtime.v1.json';

export type PairingMethod = 'pin' | 'qr';
export type PairingCodeState = 'active' | 'used' | 'burned' | 'expired' | 'superseded';
export type PairingRequestState = 'pending_approval' | 'approved' | 'rejected' | 'expired';

export interface PairingCodeRecord {
  /** Random id (not secret). */
  id: string;
  method: PairingMethod;
  /**
   * Password-equivalent derived from the code (scrypt of the PIN, SHA-256 of a QR token) with
   * `salt`: CPace is keyed with it. The code itself is never persisted.
   */
  prs: string;
  salt: string;
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
  labels: Record<string, string>;
  ed25519PublicKey: string;
  x25519PublicKey: string;
  /** SHA-256 of the certificate DER, lowercase hex. */
  certFingerprint: string;
  certExpiresAt: string;
  pairedAt: string;
  lastSeen: string | null;
}

export interface RevokedCertRecord {
  fingerprint: string;
  deviceId: string;
  revokedAt: string;
  reason: string;
}

export interface RuntimeState {
  version: typeof RUNTIME_STATE_VERSION;
  pairingCodes: PairingCodeRecord[];
  requests: PairingRequestRecord[];
  nodes: NodeRecord[];
  revoked: RevokedCertRecord[];
}

/** A PIN (or QR) code burns when this many exchanges have started with it. */
export const MAX_PIN_ATTEMPTS = 5;
