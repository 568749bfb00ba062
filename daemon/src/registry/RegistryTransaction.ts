import type { PalyraError } from '@palyra/shared/errors';
import { RowDraft, type RowTable } from './RowTable.js';
import type { NodeRecord, PairingCodeRecord, PairingRequestRecord, RevokedCertRecord } from './types.js';

/** A mutation's outcome: persist what changed (an expiry flip), then fail with `error`. */
export class CommitThenThrow {
  constructor(readonly error: PalyraError) {}
}

/** The registry's committed rows, one table per concern. */
export interface Tables {
  codes: RowTable<PairingCodeRecord>;
  requests: RowTable<PairingRequestRecord>;
  nodes: RowTable<NodeRecord>;
  revoked: RowTable<RevokedCertRecord>;
}

/** One serialized mutation: its own view of each table; only the rows it edits are copied. */
export class Transaction {
  readonly codes: RowDraft<PairingCodeRecord>;
  readonly requests: RowDraft<PairingRequestRecord>;
  readonly nodes: RowDraft<NodeRecord>;
  readonly revoked: RowDraft<RevokedCertRecord>;
  /** Write the lastSeen values kept in memory (flush()). */
  flushLastSeen = false;

  constructor(
    tables: Tables,
    readonly now: Date,
  ) {
    this.codes = new RowDraft(tables.codes);
    this.requests = new RowDraft(tables.requests);
    this.nodes = new RowDraft(tables.nodes);
    this.revoked = new RowDraft(tables.revoked);
  }
}
