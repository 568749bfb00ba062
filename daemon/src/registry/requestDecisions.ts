import { PalyraError } from '@palyra/shared/errors';
import type { PairingRequests } from './PairingRequests.js';
import { CommitThenThrow, type Transaction } from './RegistryTransaction.js';
import type { PairingRequestRecord } from './types.js';
import { expired } from './utils.js';

/** Deciding pairing requests inside a registry transaction. */

/** Decides the request `requestId` in `tx`; returns the decided record. */
export function decide(tx: Transaction, requestId: string, state: 'rejected' | 'expired'): PairingRequestRecord {
  const request = tx.requests.edit(requestId) as PairingRequestRecord;
  request.state = state;
  request.decidedAt = tx.now.toISOString();
  return request;
}

/**
 * The pending request `id` (requestId, or deviceId of its pending request) names, editable in
 * `tx`, or the error to raise. One found past its expiresAt is expired, and that expiry is
 * committed before the error (CommitThenThrow): the next look must not find it pending again.
 */
export function pendingRequest(tx: Transaction, requests: PairingRequests, id: string): PairingRequestRecord | CommitThenThrow {
  const found = tx.requests.get(id) ?? requests.pendingOf(id);
  if (found === undefined) {
    throw new PalyraError(
      'PALYRA_E_REQUEST_NOT_FOUND',
      `no pending pairing request matches "${id}": list them with palyrad nodes pending`,
    );
  }
  const request = tx.requests.edit(found.requestId) as PairingRequestRecord;
  if (request.state === 'pending_approval' && expired(request.expiresAt, tx.now)) {
    decide(tx, request.requestId, 'expired');
    return new CommitThenThrow(
      new PalyraError(
        'PALYRA_E_REQUEST_NOT_FOUND',
        `pairing request ${request.requestId} expired at ${request.expiresAt} before a decision: the node must pair again`,
      ),
    );
  }
  if (request.state !== 'pending_approval') {
    throw new PalyraError(
      'PALYRA_E_REQUEST_NOT_FOUND',
      `pairing request ${request.requestId} is no longer pending: it was ${request.state} at ${request.decidedAt ?? '?'}`,
    );
  }
  return request;
}
