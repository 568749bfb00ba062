import type { RegistryChanges } from './RegistryChanges.js';
import type { Tables } from './RegistryTransaction.js';

/**
 * Keys of the rows memory holds but the store may not: a write that failed yet had to take
 * effect (a node removal on a full disk), or codes ended by a restart. The next write that
 * reaches the store carries their current state, so the store catches up without a retry loop.
 */
export class UnsavedRows {
  readonly codes = new Set<string>();
  readonly requests = new Set<string>();
  readonly nodes = new Set<string>();
  readonly revoked = new Set<string>();

  /** `changes` plus the current state (in `tables`) of the unsaved rows it does not change itself. */
  mergeInto(changes: RegistryChanges, tables: Tables): RegistryChanges {
    const merge = <R>(changed: ReadonlyMap<string, R | undefined>, keys: Set<string>, current: (key: string) => R | undefined) => {
      if (keys.size === 0) return changed;
      const merged = new Map(changed);
      for (const key of keys) if (!merged.has(key)) merged.set(key, current(key));
      return merged;
    };
    return {
      codes: merge(changes.codes, this.codes, (k) => tables.codes.get(k)),
      requests: merge(changes.requests, this.requests, (k) => tables.requests.get(k)),
      nodes: merge(changes.nodes, this.nodes, (k) => tables.nodes.get(k)),
      revoked: merge(changes.revoked, this.revoked, (k) => tables.revoked.get(k)),
      lastSeen: changes.lastSeen,
    };
  }

  /** Notes the rows of `changes` as held in memory only. */
  mark(changes: RegistryChanges): void {
    for (const key of changes.codes.keys()) this.codes.add(key);
    for (const key of changes.requests.keys()) this.requests.add(key);
    for (const key of changes.nodes.keys()) this.nodes.add(key);
    for (const key of changes.revoked.keys()) this.revoked.add(key);
  }

  /** After a successful write, which carried every unsaved row. */
  clear(): void {
    this.codes.clear();
    this.requests.clear();
    this.nodes.clear();
    this.revoked.clear();
  }
}
