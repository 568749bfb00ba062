import type { NodeRecord } from './types.js';

/** One of the (at most two) certificates a registered node may authenticate with. */
export interface HeldCertificate {
  /** SHA-256 of the DER, lowercase hex. */
  fingerprint: string;
  expiresAt: string;
  /**
   * `current`: the newest certificate issued to the node. `previous`: the one it held before
   * its last renewal, valid until the node presents the current one (then deny-listed) or it
   * expires.
   */
  role: 'current' | 'previous';
}

/** Which of `node`'s certificates has this fingerprint (lowercase hex), if any. */
export function heldCertificate(node: Readonly<NodeRecord>, fingerprint: string): HeldCertificate | undefined {
  if (node.certFingerprint === fingerprint) return { fingerprint, expiresAt: node.certExpiresAt, role: 'current' };
  if (node.previousCertFingerprint === fingerprint && node.previousCertExpiresAt !== undefined) {
    return { fingerprint, expiresAt: node.previousCertExpiresAt, role: 'previous' };
  }
  return undefined;
}
