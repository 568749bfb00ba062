import { createHash } from 'node:crypto';
import { PalyraError } from '@palyra/shared/errors';
import type { RuntimeState } from '../../registry/types.js';
import type { Repositories, Store } from '../types.js';

/**
 * The store_meta key that records which `node-runtime.v1.json` document the store's registry
 * came from: the SHA-256 (hex) of the file's bytes. The seed file is imported once.
 */
export const SEED_IMPORT_KEY = 'seed.node-runtime.v1.json.sha256';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface ImportedCounts {
  pairingCodes: number;
  requests: number;
  nodes: number;
  revoked: number;
}

/**
 * Writes a validated document into an EMPTY store, in one transaction, and records `sha256`
 * (of the bytes it was read from) under SEED_IMPORT_KEY. A store that holds anything is
 * refused with PALYRA_E_STATE_NOT_EMPTY and left as it was: merging two registries would have
 * to pick between two records of one device, and a silent pick can resurrect a removed node.
 * `source` names the document in messages.
 */
export async function importRuntimeState(
  store: Store,
  state: RuntimeState,
  { sha256, source, signal }: { sha256: string; source: string; signal?: AbortSignal },
): Promise<ImportedCounts> {
  return store.transaction(async (repos) => {
    const held = await heldRecords(repos);
    if (held.length > 0) {
      throw new PalyraError(
        'PALYRA_E_STATE_NOT_EMPTY',
        `the state store ${store.location} already holds ${held.join(', ')}: ${source} is imported into an empty store only, never merged; nothing was changed`,
        { details: { location: store.location, source, holds: held } },
      );
    }
    for (const code of state.pairingCodes) await repos.pairingCodes.upsert(code);
    for (const request of state.requests) await repos.pairingRequests.upsert(request);
    for (const node of state.nodes) await repos.nodes.upsert(node);
    for (const revoked of state.revoked) await repos.revocations.add(revoked);
    await repos.meta.set(SEED_IMPORT_KEY, sha256);
    return {
      pairingCodes: state.pairingCodes.length,
      requests: state.requests.length,
      nodes: state.nodes.length,
      revoked: state.revoked.length,
    };
  }, { signal });
}

/** What a store holds, for the refusal: e.g. ['3 nodes', '1 revoked certificate']; empty for an empty store. */
export async function heldRecords(repos: Repositories): Promise<string[]> {
  const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  const held: string[] = [];
  const nodes = await repos.nodes.count();
  if (nodes > 0) held.push(plural(nodes, 'node', 'nodes'));
  const requests = (await repos.pairingRequests.all()).length;
  if (requests > 0) held.push(plural(requests, 'pairing request', 'pairing requests'));
  const codes = (await repos.pairingCodes.all()).length;
  if (codes > 0) held.push(plural(codes, 'pairing code', 'pairing codes'));
  const revoked = (await repos.revocations.all()).length;
  if (revoked > 0) held.push(plural(revoked, 'revoked certificate', 'revoked certificates'));
  if ((await repos.dispatches.list({ limit: 1 })).length > 0) held.push('dispatches');
  return held;
}
