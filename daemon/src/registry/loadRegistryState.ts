import { throwIfAborted } from '@palyra/plugin-sdk';
import type { Store } from '../store/types.js';
import { stateCorruptError } from './errors.js';
import type { NodeRecord, PairingCodeRecord, PairingRequestRecord, RevokedCertRecord } from './types.js';
import { StateValidationError, validateNode, validatePairingCode, validatePairingRequest, validateRevoked } from './validation.js';

export interface RegistryRows {
  codes: PairingCodeRecord[];
  requests: PairingRequestRecord[];
  nodes: NodeRecord[];
  revoked: RevokedCertRecord[];
}

/**
 * Reads the registry's rows once, at start, and validates every one of them as the JSON
 * state file's records were: a row that fails is PALYRA_E_STATE_CORRUPT naming its table and
 * key, never dropped (a silently dropped revocation would let a removed node back in).
 */
export async function loadRegistryState(store: Store, { signal }: { signal?: AbortSignal } = {}): Promise<RegistryRows> {
  throwIfAborted(signal);
  const rows = {
    codes: await store.pairingCodes.all(),
    requests: await store.pairingRequests.all(),
    nodes: await store.nodes.all(),
    revoked: await store.revocations.all(),
  };
  throwIfAborted(signal);
  const check = <T>(table: string, items: readonly T[], key: (item: T) => unknown, validate: (item: T, path: string) => T): T[] =>
    items.map((item) => {
      const path = `${table} row ${JSON.stringify(key(item))}`;
      try {
        return validate(item, path);
      } catch (error) {
        if (error instanceof StateValidationError) throw stateCorruptError(store.location, error.message, error);
        throw error;
      }
    });
  const loaded: RegistryRows = {
    codes: check('pairing_codes', rows.codes, (c) => c.id, validatePairingCode),
    requests: check('pairing_requests', rows.requests, (r) => r.requestId, validatePairingRequest),
    nodes: check('nodes', rows.nodes, (n) => n.deviceId, validateNode),
    revoked: check('revoked_certs', rows.revoked, (r) => r.fingerprint, validateRevoked),
  };
  // What the JSON file's validation checked across records (the primary keys cover the rest).
  unique(store, loaded.codes, 'pairing_codes', (c) => (c.method === 'pin' && c.state === 'active' ? 'pin' : undefined), (c) => c.id, 'a second active PIN code');
  unique(
    store,
    loaded.requests,
    'pairing_requests',
    (r) => (r.state === 'pending_approval' ? r.deviceId : undefined),
    (r) => r.requestId,
    'a second pending request for its deviceId',
  );
  return loaded;
}

function unique<T>(
  store: Store,
  items: readonly T[],
  table: string,
  group: (item: T) => string | undefined,
  key: (item: T) => string,
  problem: string,
): void {
  const seen = new Map<string, T>();
  for (const item of items) {
    const k = group(item);
    if (k === undefined) continue;
    const first = seen.get(k);
    if (first !== undefined) {
      throw stateCorruptError(store.location, `${table} row ${JSON.stringify(key(item))}: ${problem} (row ${JSON.stringify(key(first))} is one too)`);
    }
    seen.set(k, item);
  }
}
