import type { PairingRequests } from './PairingRequests.js';
import type { RegisteredNodes } from './RegisteredNodes.js';
import { CommitThenThrow, type Transaction } from './RegistryTransaction.js';
import type { IssuedCertificate } from './registryInputs.js';
import { checked, invalid } from './errors.js';
import { identityChangeError, identityChangeOf } from './identityChange.js';
import { revokeAll } from './denyList.js';
import { pendingRequest } from './requestDecisions.js';
import type { PairingRequestRecord } from './types.js';
import { isoOf } from './utils.js';
import { validateNode, validatePairingRequest } from './validation.js';

/**
 * Approves the pending request `id` in `tx` with the certificate issued for it: registers the
 * node, or updates it for a re-pair of the same device, whose old certificates are revoked.
 * See NodeRegistry.approve for the errors.
 */
export function approvePairingRequest(
  tx: Transaction,
  { nodes, requests }: { nodes: RegisteredNodes; requests: PairingRequests },
  id: string,
  certificate: IssuedCertificate,
  replaceIdentity: boolean,
): PairingRequestRecord | CommitThenThrow {
  const request = pendingRequest(tx, requests, id);
  if (request instanceof CommitThenThrow) return request;
  const fingerprint = certificate.fingerprint.toLowerCase();
  const notAfter = certificate.notAfter instanceof Date ? certificate.notAfter.toISOString() : certificate.notAfter;
  const existing = tx.nodes.get(request.deviceId);
  // Checked here, in the same transaction that would register the node: whatever a caller
  // looked at before, the registry never swaps an identity key unless told to.
  const change = identityChangeOf(existing, request);
  if (change !== undefined && !replaceIdentity) throw identityChangeError(request, change);
  const node = checked('certificate', () =>
    validateNode(
      {
        deviceId: request.deviceId,
        name: request.name,
        platform: request.platform,
        hostname: request.hostname,
        agentVersion: request.agentVersion,
        capabilities: [...request.capabilities],
        labels: existing?.labels ?? {},
        // An operator's labels belong to the device: a re-pair keeps them.
        ...(existing?.operatorLabels === undefined ? {} : { operatorLabels: existing.operatorLabels }),
        ed25519PublicKey: request.ed25519PublicKey,
        x25519PublicKey: request.x25519PublicKey,
        certFingerprint: fingerprint,
        certExpiresAt: notAfter,
        // Without it a 24-hour certificate would be measured against the 30 days assumed for
        // records older than renewal, and look expiring from the start.
        certIssuedAt: isoOf(certificate.issuedAt ?? tx.now),
        pairedAt: tx.now.toISOString(),
        lastSeen: existing?.lastSeen ?? null,
        ...(certificate.caFingerprint === undefined ? {} : { certCaFingerprint: certificate.caFingerprint.toLowerCase() }),
      },
      'node',
    ),
  );
  if (tx.revoked.get(fingerprint) !== undefined) throw invalid(`certificate ${fingerprint} is revoked`);
  const holder = nodes.byCertFingerprint(fingerprint);
  if (holder !== undefined && holder.deviceId !== request.deviceId) throw invalid(`certificate ${fingerprint} belongs to another node`);
  const approved = checked('certificate', () =>
    validatePairingRequest({ ...request, state: 'approved', decidedAt: tx.now.toISOString(), certificate: certificate.certDer }, 'request'),
  );
  tx.requests.put(approved);
  if (existing !== undefined && existing.certFingerprint !== fingerprint) {
    revokeAll(tx, existing, change === undefined ? 'replaced by a new pairing' : 'replaced by a new identity key (--replace-identity)');
  }
  tx.nodes.put(node);
  return approved;
}
