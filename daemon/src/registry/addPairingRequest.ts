import type { PairingRequests } from './PairingRequests.js';
import type { RegisteredNodes } from './RegisteredNodes.js';
import type { Transaction } from './RegistryTransaction.js';
import type { NewPairingRequest } from './registryInputs.js';
import { checked, invalid } from './errors.js';
import type { PairingRequestRecord } from './types.js';
import { expired, isoAfter } from './utils.js';
import { validatePairingRequest } from './validation.js';
import { decide } from './requestDecisions.js';

/** What adding a request looks up: the committed indexes, and the default time to wait for a decision. */
export interface AddRequestContext {
  nodes: RegisteredNodes;
  requests: PairingRequests;
  requestTtlMs: number;
}

/**
 * Queues `input` for approval in `tx`, validated (everything in it came from the node).
 * `repair` is set when the identity key belongs to a registered node or a previously approved
 * request. A pending request of the same device is expired: the newer one replaces it.
 */
export function addPairingRequest(tx: Transaction, input: NewPairingRequest, { nodes, requests, requestTtlMs }: AddRequestContext): PairingRequestRecord {
  const requestedAt = input.requestedAt ?? tx.now.toISOString();
  const key = input.ed25519PublicKey;
  const request = checked('pairing request', () =>
    validatePairingRequest(
      {
        requestId: input.requestId,
        deviceId: input.deviceId,
        codeId: input.codeId,
        method: input.method,
        name: input.name,
        platform: input.platform,
        hostname: input.hostname,
        agentVersion: input.agentVersion,
        capabilities: [...input.capabilities],
        remoteAddress: input.remoteAddress,
        ed25519PublicKey: key,
        x25519PublicKey: input.x25519PublicKey,
        csr: input.csr,
        sas: input.sas,
        // Indexes of the committed rows: this mutation changed none yet.
        repair: nodes.hasKey(key) || requests.wasApproved(key),
        requestedAt,
        expiresAt: input.expiresAt ?? isoAfter(new Date(requestedAt), input.ttlMs ?? requestTtlMs),
        state: 'pending_approval',
      },
      'request',
    ),
  );
  if ((input.state ?? 'pending_approval') !== 'pending_approval') throw invalid('a new request must be pending_approval');
  if (expired(request.expiresAt, tx.now)) throw invalid(`request expiresAt ${request.expiresAt} is not in the future`);
  if (tx.requests.get(request.requestId) !== undefined) {
    throw invalid(`a pairing request with id ${request.requestId} exists already`);
  }
  const older = requests.pendingOf(request.deviceId);
  if (older !== undefined) decide(tx, older.requestId, 'expired');
  tx.requests.put(request);
  return request;
}
