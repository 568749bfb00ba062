import { PalyraError } from '@palyra/shared/errors';
import { RUNTIME_STATE_VERSION, type RuntimeState } from '../../registry/types.js';
import { StateValidationError, validateRuntimeState } from '../../registry/validation.js';
import type { Repositories, Store } from '../types.js';

/**
 * The store's registry as a `node-runtime.v1.json` document (the format of the first
 * releases), read in one transaction so that it is one consistent moment of the store.
 * Dispatches are not part of the format. Validated before it is returned: a document that
 * would not import back is refused (PALYRA_E_STATE_CORRUPT, naming the field).
 */
export async function exportRuntimeState(store: Store, { signal }: { signal?: AbortSignal } = {}): Promise<RuntimeState> {
  const state = await store.transaction((repos) => readRuntimeState(repos), { signal, readOnly: true });
  try {
    return validateRuntimeState(state);
  } catch (error) {
    if (!(error instanceof StateValidationError)) throw error;
    throw new PalyraError('PALYRA_E_STATE_CORRUPT', `the state store ${store.location} holds a record that is not valid: ${error.message}; restore a backup`, {
      cause: error,
      details: { location: store.location, problem: error.message },
    });
  }
}

/** The registry's records over `repos`, in the repositories' stable order (so that two exports of one state are byte-identical). */
export async function readRuntimeState(repos: Repositories): Promise<RuntimeState> {
  return {
    version: RUNTIME_STATE_VERSION,
    pairingCodes: await repos.pairingCodes.all(),
    requests: await repos.pairingRequests.all(),
    nodes: await repos.nodes.all(),
    revoked: await repos.revocations.all(),
  };
}

/** The document as the first releases wrote the file: compact JSON and a newline, so an export can stand in for one. */
export function serializeRuntimeState(state: RuntimeState): string {
  return `${JSON.stringify(state)}\n`;
}
