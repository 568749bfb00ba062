import type { PairingRequestRecord } from './types.js';

/** What callers hand the registry to record: a pairing request, a node's announcement, an issued certificate. */

/** A new request. The registry computes `repair` and sets `state` to 'pending_approval'. */
export type NewPairingRequest = Omit<
  PairingRequestRecord,
  'repair' | 'requestedAt' | 'expiresAt' | 'state' | 'decidedAt' | 'certificate'
> & {
  /** Default: now. */
  requestedAt?: string;
  /** Default: requestedAt + ttlMs. */
  expiresAt?: string;
  ttlMs?: number;
  /** Ignored: the registry decides. */
  repair?: boolean;
  state?: 'pending_approval';
};

export interface IssuedCertificate {
  /** base64 DER */
  certDer: string;
  /** SHA-256 of the DER, hex. */
  fingerprint: string;
  notAfter: string | Date;
  /** SHA-256 (hex) of the CA certificate that issued it (recorded as the node's certCaFingerprint). */
  caFingerprint?: string;
  /**
   * When it was issued (not the back-dated notBefore): the start of the lifetime that
   * certificate states and the agent's schedule measure. Default: when the registry records it.
   */
  issuedAt?: string | Date;
}

/** A certificate issued by a renewal (RenewCertificate). */
export interface RenewedCertificate extends IssuedCertificate {
  /** notBefore of the new certificate. */
  issuedAt: string | Date;
  /** SHA-256 of the CA certificate that signed it. */
  caFingerprint?: string;
}

export interface NodeInfoUpdate {
  platform: string;
  hostname: string;
  agentVersion: string;
  capabilities: string[];
  name?: string;
  /** The node's own labels (already validated); absent: unchanged. */
  labels?: Record<string, string>;
}
