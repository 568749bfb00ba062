import { PalyraError } from '@palyra/shared/errors';
import { deepFreeze, throwIfAborted } from '@palyra/plugin-sdk';
import type { Store } from '../store/types.js';
import { SerialQueue } from '../store/SerialQueue.js';
import type { PairingCodes } from './PairingCodes.js';
import type { PairingRequests } from './PairingRequests.js';
import type { RegisteredNodes } from './RegisteredNodes.js';
import type { RevokedCertificates } from './RevokedCertificates.js';
import type { RegistryListeners } from './RegistryListeners.js';
import { isEmpty, writeChanges, type RegistryChanges } from './RegistryChanges.js';
import { CommitThenThrow, Transaction, type Tables } from './RegistryTransaction.js';
import type { UnsavedRows } from './UnsavedRows.js';
import { timeOf } from './utils.js';

/** The registry's committed rows in memory, one indexed table per concern. */
export interface CommittedState {
  codes: PairingCodes;
  requests: PairingRequests;
  nodes: RegisteredNodes;
  revoked: RevokedCertificates;
}

export interface RegistryWriterOptions {
  now: () => Date;
  retentionMs: number;
  maxRetained: number;
  onError: (error: unknown) => void;
  listeners: RegistryListeners;
  unsaved: UnsavedRows;
}

export interface MutateOptions {
  /** Take effect in memory even when the store cannot record it (see mutate). */
  evenIfUnsaved?: boolean;
  /** What happened, for the PALYRA_E_STATE_IO message of such a write. */
  what?: string;
}

/**
 * Runs the registry's mutations one at a time and makes each take effect only once the store
 * committed it: memory, readers and listeners never see a change the store refused (except an
 * `evenIfUnsaved` one). Each mutation writes only the rows it changed, in one store transaction.
 */
export class RegistryWriter {
  private readonly queue = new SerialQueue();
  /** Mutations queued or running: while there are any, the committed state may be about to change. */
  private pending = 0;

  constructor(
    private readonly store: Store,
    private readonly state: CommittedState,
    private readonly options: RegistryWriterOptions,
  ) {}

  /**
   * No mutation is queued or running: a read of the committed state now is what a mutation
   * would start from, so a caller may skip queueing one that would change nothing.
   */
  get idle(): boolean {
    return this.pending === 0;
  }

  /**
   * Runs `body` after every earlier mutation, on a Transaction; writes the rows it changed
   * (pruned, with the rows memory holds unsaved) in one store transaction, and only then makes
   * them current and tells listeners. A throw discards the changes; CommitThenThrow writes,
   * then throws. With `evenIfUnsaved`, a failed write still takes effect in memory (the rows
   * stay marked unsaved) and the call rejects with PALYRA_E_STATE_IO saying `what` happened.
   */
  mutate<T>(
    signal: AbortSignal | undefined,
    body: (tx: Transaction) => T | CommitThenThrow,
    { evenIfUnsaved = false, what = '' }: MutateOptions = {},
  ): Promise<T> {
    const run = async (): Promise<T> => {
      throwIfAborted(signal);
      const tx = new Transaction(this.tables(), this.options.now());
      const outcome = body(tx);
      const changes = this.changesOf(tx);
      // flush() writes the unsaved rows even when nothing else changed.
      const written = isEmpty(changes) && !tx.flushLastSeen ? changes : this.options.unsaved.mergeInto(changes, this.tables());
      if (!isEmpty(written)) {
        try {
          await this.store.transaction((repos) => writeChanges(repos, written), { signal });
        } catch (error) {
          if (!evenIfUnsaved || (error instanceof PalyraError && error.code === 'PALYRA_E_CANCELLED')) throw error;
          this.options.unsaved.mark(changes);
          this.commit(changes, tx.now);
          const failure = new PalyraError(
            'PALYRA_E_STATE_IO',
            `${what} in memory, but the state store could not record it (${error instanceof Error ? error.message : String(error)}): it is enforced until the daemon stops, and written at the next successful write; free disk space now, or it is undone by a restart`,
            { cause: error },
          );
          this.options.onError(failure);
          throw failure;
        }
        this.options.unsaved.clear();
        this.commit(changes, tx.now);
      }
      if (outcome instanceof CommitThenThrow) throw outcome.error;
      return deepFreeze(outcome);
    };
    this.pending += 1;
    return this.queue.run(run).finally(() => {
      this.pending -= 1;
    });
  }

  private tables(): Tables {
    const { codes, requests, nodes, revoked } = this.state;
    return { codes: codes.table, requests: requests.table, nodes: nodes.table, revoked: revoked.table };
  }

  /** The rows `tx` changed, pruned, with newer lastSeen values folded into node rows written anyway. */
  private changesOf(tx: Transaction): RegistryChanges {
    const { codes, requests, nodes } = this.state;
    const cutoff = tx.now.getTime() - this.options.retentionMs;
    // Pruning runs with a change of its table: its cost is that of the retained rows (at most
    // maxRetained spent ones), whatever the number of nodes.
    if (tx.codes.changed().size > 0) codes.prune(tx.codes, cutoff, this.options.maxRetained);
    if (tx.requests.changed().size > 0) requests.prune(tx.requests, cutoff, this.options.maxRetained);
    const changedNodes = tx.nodes.changed();
    for (const node of changedNodes.values()) {
      const seen = node === undefined ? undefined : nodes.pendingLastSeen(node.deviceId);
      if (node !== undefined && seen !== undefined && (node.lastSeen === null || timeOf(seen) > timeOf(node.lastSeen))) node.lastSeen = seen;
    }
    return {
      codes: tx.codes.changed(),
      requests: tx.requests.changed(),
      nodes: changedNodes,
      revoked: tx.revoked.changed(),
      lastSeen: tx.flushLastSeen ? nodes.unwrittenLastSeen() : [],
    };
  }

  /** Makes committed `changes` current, then tells the listeners. */
  private commit(changes: RegistryChanges, now: Date): void {
    const { codes, requests, nodes, revoked } = this.state;
    codes.table.apply(changes.codes);
    if (changes.codes.size > 0) codes.forgetSpent(now);
    requests.table.apply(changes.requests);
    nodes.table.apply(changes.nodes);
    for (const [deviceId, node] of changes.nodes) {
      if (node === undefined) nodes.forgetLastSeen(deviceId);
      else if (node.lastSeen !== null) nodes.lastSeenWritten([{ deviceId, lastSeen: node.lastSeen }]);
    }
    nodes.lastSeenWritten(changes.lastSeen);
    revoked.apply(changes.revoked);
    for (const [id, request] of changes.requests) {
      const current = requests.table.get(id);
      if (request === undefined || current === undefined) continue;
      this.options.listeners.requestChanged(current);
    }
    for (const fingerprint of changes.revoked.keys()) {
      const record = revoked.table.get(fingerprint);
      if (record === undefined) continue;
      this.options.listeners.revoked(record);
    }
  }
}
