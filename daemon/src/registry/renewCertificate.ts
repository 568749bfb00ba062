import { PalyraError } from '@palyra/shared/errors';
import type { RegisteredNodes } from './RegisteredNodes.js';
import type { Transaction } from './RegistryTransaction.js';
import type { RenewedCertificate } from './registryInputs.js';
import { checked, invalid } from './errors.js';
import { heldCertificate } from './heldCertificate.js';
import { revokeFingerprint } from './denyList.js';
import type { NodeRecord } from './types.js';
import { isoOf } from './utils.js';
import { validateNode } from './validation.js';

/** What renewCertificate recorded; also what onCertificateRenewed listeners receive. */
export interface CertificateRenewal {
  deviceId: string;
  /** How the node authenticated: its client certificate, or (expired) its identity key within the grace. */
  path: 'mtls' | 'grace';
  /** The certificate the node proved it holds (kept as `previous` until the node presents the new one). */
  presentedFingerprint: string;
  certFingerprint: string;
  certIssuedAt: string;
  certExpiresAt: string;
  renewedAt: string;
  /** Fingerprints this renewal deny-listed (an older previous, or a current one never presented). */
  revokedFingerprints: string[];
}

/**
 * Records a renewal in `tx`: the issued certificate becomes the node's current one, the one it
 * presented (lowercase `presented`) its previous one. See NodeRegistry.renewCertificate for
 * what gets deny-listed and the errors.
 */
export function recordRenewal(
  tx: Transaction,
  nodes: RegisteredNodes,
  deviceId: string,
  presented: string,
  certificate: RenewedCertificate,
  path: 'mtls' | 'grace',
): CertificateRenewal {
  if (tx.revoked.get(presented) !== undefined) {
    throw new PalyraError('PALYRA_E_NODE_REVOKED', 'this node certificate was revoked (the node was removed or paired again): pair it again with palyra-node join');
  }
  const node = tx.nodes.get(deviceId);
  if (node === undefined) {
    throw new PalyraError('PALYRA_E_NODE_REVOKED', `node ${deviceId} is not registered (it was removed): pair it again with palyra-node join`);
  }
  const held = heldCertificate(node, presented);
  if (held === undefined) {
    throw new PalyraError('PALYRA_E_RENEWAL_REFUSED', `certificate ${presented.slice(0, 16)}… is not one of node ${deviceId}'s certificates`);
  }
  const fingerprint = certificate.fingerprint.toLowerCase();
  if (tx.revoked.get(fingerprint) !== undefined || (nodes.byCertFingerprint(fingerprint) ?? node).deviceId !== deviceId) {
    throw invalid(`certificate ${fingerprint} is revoked or belongs to another node`);
  }
  const revokedFingerprints: string[] = [];
  const deny = (fp: string, expiresAt: string, reason: string): void => {
    if (fp === fingerprint) return;
    revokeFingerprint(tx, { fingerprint: fp, deviceId, expiresAt }, reason);
    revokedFingerprints.push(fp);
  };
  if (held.role === 'previous') deny(node.certFingerprint, node.certExpiresAt, 'superseded by a renewal before the node presented it');
  else if (node.previousCertFingerprint !== undefined && node.previousCertExpiresAt !== undefined) {
    deny(node.previousCertFingerprint, node.previousCertExpiresAt, 'superseded by a second renewal');
  }
  const renewedAt = tx.now.toISOString();
  // The CA of the certificate kept as previous (ca finish must not retire it while the node may still run on it).
  const heldCa = held.role === 'previous' ? node.previousCertCaFingerprint : node.certCaFingerprint;
  const base: NodeRecord = { ...node };
  delete base.previousCertCaFingerprint;
  const updated = checked('renewed certificate', () =>
    validateNode(
      {
        ...base,
        ...(heldCa === undefined ? {} : { previousCertCaFingerprint: heldCa }),
        certFingerprint: fingerprint,
        certExpiresAt: isoOf(certificate.notAfter),
        certIssuedAt: isoOf(certificate.issuedAt),
        ...(certificate.caFingerprint === undefined ? {} : { certCaFingerprint: certificate.caFingerprint }),
        previousCertFingerprint: held.fingerprint,
        previousCertExpiresAt: held.expiresAt,
        lastRenewedAt: renewedAt,
      },
      'node',
    ),
  );
  tx.nodes.put(updated);
  return {
    deviceId,
    path,
    presentedFingerprint: presented,
    certFingerprint: updated.certFingerprint,
    certIssuedAt: updated.certIssuedAt ?? renewedAt,
    certExpiresAt: updated.certExpiresAt,
    renewedAt,
    revokedFingerprints,
  };
}

/**
 * Whether `node` has a renewal to confirm when it authenticates with `fingerprint` (lowercase):
 * that is its current certificate while a previous one is still recorded.
 */
export function awaitsConfirmation(node: Readonly<NodeRecord> | undefined, fingerprint: string): node is Readonly<NodeRecord> {
  return node !== undefined && node.certFingerprint === fingerprint && node.previousCertFingerprint !== undefined;
}

/**
 * The node presented its renewed certificate (lowercase `fingerprint`): in `tx`, the previous
 * one is deny-listed (its connections close) and forgotten. Returns whether it changed anything.
 */
export function confirmRenewal(tx: Transaction, deviceId: string, fingerprint: string): boolean {
  const node = tx.nodes.get(deviceId);
  if (!awaitsConfirmation(node, fingerprint) || node.previousCertFingerprint === undefined || node.previousCertExpiresAt === undefined) return false;
  revokeFingerprint(tx, { fingerprint: node.previousCertFingerprint, deviceId, expiresAt: node.previousCertExpiresAt }, 'superseded by a renewal the node has presented');
  const confirmed: NodeRecord = { ...node };
  delete confirmed.previousCertFingerprint;
  delete confirmed.previousCertExpiresAt;
  delete confirmed.previousCertCaFingerprint;
  tx.nodes.put(confirmed);
  return true;
}
