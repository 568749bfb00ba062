import { PalyraError } from '@palyra/shared/errors';
import { deepFreeze } from '@palyra/plugin-sdk';
import { exportRuntimeState } from '../store/seed/exportRuntimeState.js';
import type { Store } from '../store/types.js';
import type { RegistryStore } from './NodeRegistry.js';
import type { RuntimeState } from './types.js';
import { StateValidationError, validateRuntimeState } from './validation.js';

/**
 * TRANSITIONAL, on branch i14-state only: the NodeRegistry's RegistryStore (snapshot/save of
 * the whole state) over the SQL store, so that the daemon of this branch keeps its registry
 * in the store its seed was imported into, and never writes `node-runtime.v1.json`. Each save
 * writes only the records that changed since the last one, in one transaction. The
 * i14-registry lane replaces the registry's whole-state model with repositories: at the merge
 * this file goes, with its use in Daemon.create.
 */
export class StoreBackedRuntimeState implements RegistryStore {
  /** Saves run one after another in call order, as RuntimeStateStore's do. */
  private tail: Promise<void> = Promise.resolve();

  private constructor(
    private readonly store: Store,
    private current: RuntimeState,
  ) {}

  static async open(store: Store, { signal }: { signal?: AbortSignal } = {}): Promise<StoreBackedRuntimeState> {
    return new StoreBackedRuntimeState(store, deepFreeze(await exportRuntimeState(store, { signal })));
  }

  snapshot(): RuntimeState {
    return structuredClone(this.current);
  }

  save(state: RuntimeState, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      validateRuntimeState(state);
      deepFreeze(state);
    } catch (error) {
      const problem = error instanceof StateValidationError ? error.message : String(error);
      return Promise.reject(new PalyraError('PALYRA_E_INTERNAL', `refusing to write the registry to ${this.store.location}: ${problem}`, { cause: error }));
    }
    const run = this.tail.then(() => this.write(state, signal));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async write(next: RuntimeState, signal: AbortSignal | undefined): Promise<void> {
    const previous = this.current;
    await this.store.transaction(async (repos) => {
      const codes = changes(previous.pairingCodes, next.pairingCodes, (c) => c.id);
      await repos.pairingCodes.delete(codes.gone);
      for (const code of codes.changed) await repos.pairingCodes.upsert(code);
      const requests = changes(previous.requests, next.requests, (r) => r.requestId);
      await repos.pairingRequests.delete(requests.gone);
      for (const request of requests.changed) await repos.pairingRequests.upsert(request);
      const nodes = changes(previous.nodes, next.nodes, (n) => n.deviceId);
      for (const deviceId of nodes.gone) await repos.nodes.delete(deviceId);
      for (const node of nodes.changed) await repos.nodes.upsert(node);
      // Revocations are only ever added.
      for (const revoked of changes(previous.revoked, next.revoked, (r) => r.fingerprint).changed) await repos.revocations.add(revoked);
    }, { signal });
    this.current = next;
  }
}

/** The keys that went, and the records that are new or differ. */
function changes<T>(before: readonly T[], after: readonly T[], key: (item: T) => string): { gone: string[]; changed: T[] } {
  const old = new Map(before.map((item) => [key(item), JSON.stringify(item)]));
  const kept = new Set(after.map(key));
  return {
    gone: [...old.keys()].filter((k) => !kept.has(k)),
    changed: after.filter((item) => old.get(key(item)) !== JSON.stringify(item)),
  };
}
