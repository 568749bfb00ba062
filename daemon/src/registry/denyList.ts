import type { Transaction } from './RegistryTransaction.js';
import type { NodeRecord, RevokedCertRecord } from './types.js';
import { heldCertificate } from './heldCertificate.js';
import { expired } from './utils.js';

/** Deny-list edits made inside a registry transaction (committed, and listeners told, with it). */

/** Deny-lists every certificate of `node`: its current one and a previous one not yet confirmed. */
export function revokeAll(tx: Transaction, node: Readonly<NodeRecord>, reason: string): void {
  revokeFingerprint(tx, { fingerprint: node.certFingerprint, deviceId: node.deviceId, expiresAt: node.certExpiresAt }, reason);
  if (node.previousCertFingerprint !== undefined && node.previousCertExpiresAt !== undefined) {
    revokeFingerprint(tx, { fingerprint: node.previousCertFingerprint, deviceId: node.deviceId, expiresAt: node.previousCertExpiresAt }, reason);
  }
}

/** Deny-lists one certificate; an entry already there keeps its first reason and date. */
export function revokeFingerprint(tx: Transaction, cert: { fingerprint: string; deviceId: string; expiresAt: string }, reason: string): void {
  if (tx.revoked.get(cert.fingerprint) !== undefined) return;
  tx.revoked.put({ fingerprint: cert.fingerprint, deviceId: cert.deviceId, revokedAt: tx.now.toISOString(), reason, expiresAt: cert.expiresAt });
}

/**
 * Deletes the entries whose certificate has expired, except those a registered node still
 * holds (see NodeRegistry.pruneRevocations for why). Returns how many went.
 */
export function pruneExpiredRevocations(tx: Transaction): number {
  let pruned = 0;
  for (const record of tx.revoked.values()) {
    if (record.expiresAt !== undefined && expired(record.expiresAt, tx.now) && !stillHeld(tx, record)) {
      tx.revoked.delete(record.fingerprint);
      pruned += 1;
    }
  }
  return pruned;
}

/** A registered node still holds the revoked certificate (as current or previous). */
function stillHeld(tx: Transaction, record: Readonly<RevokedCertRecord>): boolean {
  const node = tx.nodes.get(record.deviceId);
  return node !== undefined && heldCertificate(node, record.fingerprint) !== undefined;
}
