import type { Repositories } from '../store/types.js';
import type { RowChanges } from './RowTable.js';
import type { NodeRecord, PairingCodeRecord, PairingRequestRecord, RevokedCertRecord } from './types.js';

/** The rows one registry mutation changed: what it writes, in one store transaction, and nothing else. */
export interface RegistryChanges {
  codes: RowChanges<PairingCodeRecord>;
  requests: RowChanges<PairingRequestRecord>;
  nodes: RowChanges<NodeRecord>;
  /** Revocations are added, and deleted once their certificate has expired (pruneRevocations). */
  revoked: RowChanges<RevokedCertRecord>;
  lastSeen: readonly { deviceId: string; lastSeen: string }[];
}

export function isEmpty(changes: RegistryChanges): boolean {
  return (
    changes.codes.size === 0 &&
    changes.requests.size === 0 &&
    changes.nodes.size === 0 &&
    changes.revoked.size === 0 &&
    changes.lastSeen.length === 0
  );
}

/** Writes the changed rows: an upsert per changed record, a delete per removed one. */
export async function writeChanges(repos: Repositories, changes: RegistryChanges): Promise<void> {
  const deletedCodes: string[] = [];
  for (const [id, code] of changes.codes) {
    if (code === undefined) deletedCodes.push(id);
    else await repos.pairingCodes.upsert(code);
  }
  if (deletedCodes.length > 0) await repos.pairingCodes.delete(deletedCodes);
  const deletedRequests: string[] = [];
  for (const [id, request] of changes.requests) {
    if (request === undefined) deletedRequests.push(id);
    else await repos.pairingRequests.upsert(request);
  }
  if (deletedRequests.length > 0) await repos.pairingRequests.delete(deletedRequests);
  // Revocations before node rows: a removed node's certificate is refused before it is unregistered.
  const prunedRevocations: string[] = [];
  for (const [fingerprint, record] of changes.revoked) {
    if (record === undefined) prunedRevocations.push(fingerprint);
    else await repos.revocations.add(record);
  }
  if (prunedRevocations.length > 0) await repos.revocations.delete(prunedRevocations);
  for (const [deviceId, node] of changes.nodes) {
    if (node === undefined) await repos.nodes.delete(deviceId);
    else await repos.nodes.upsert(node);
  }
  if (changes.lastSeen.length > 0) await repos.nodes.setLastSeen(changes.lastSeen);
}
