import { PalyraError } from '@palyra/shared/errors';

/** Rules on what a dispatch request may carry, and the errors the coordinator answers with. */

/** Longest capability name or idempotency key a request may carry. */
const MAX_REQUEST_TEXT = 1024;

/**
 * Refuses text the journal's database could not store (PostgreSQL refuses NUL) or that is
 * unreasonably long: checked before the journal, because such a string would fail the shared
 * commit of every dispatch accepted in the same turn.
 */
export function assertJournalText(value: string, what: string): void {
  if (value.length > MAX_REQUEST_TEXT || value.includes('\u0000')) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `${what} must be at most ${MAX_REQUEST_TEXT} characters, without NUL`);
  }
}

/** The map key of an idempotency key: keys are per device (neither part holds a NUL: device ids have a fixed alphabet, assertJournalText refuses one in a key). */
export function idempotencyKeyOf(deviceId: string, idempotencyKey: string | undefined): string | undefined {
  return idempotencyKey ? `${deviceId}\u0000${idempotencyKey}` : undefined;
}

export function idempotencyMismatch(idempotencyKey: string, dispatchId: string): PalyraError {
  return new PalyraError(
    'PALYRA_E_IDEMPOTENCY_MISMATCH',
    `idempotency key "${idempotencyKey}" was used for dispatch ${dispatchId} with another capability or input: use a new key`,
    { details: { dispatchId } },
  );
}

export function dispatchNotFound(dispatchId: string): PalyraError {
  return new PalyraError('PALYRA_E_DISPATCH_NOT_FOUND', `no dispatch "${dispatchId}": list them with palyrad dispatches list`);
}

export function daemonStoppingError(): PalyraError {
  return new PalyraError(
    'PALYRA_E_DAEMON_UNREACHABLE',
    'the daemon is stopping; the dispatch stays in its journal: once the daemon is back, palyrad dispatches get <id> shows how it ended',
  );
}
