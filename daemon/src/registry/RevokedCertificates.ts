import { RowTable, type RowChanges } from './RowTable.js';
import type { RevokedCertRecord } from './types.js';
import { timeOf } from './utils.js';

/**
 * The certificate deny list in memory, by fingerprint, with the earliest expiresAt of its
 * entries: the periodic prune (pruneRevocations) costs nothing until an entry can actually go.
 */
export class RevokedCertificates {
  readonly table = new RowTable<RevokedCertRecord>((record) => record.fingerprint);
  /** Earliest expiresAt (ms) of an entry; Infinity when no entry carries one. */
  private nextExpiry = Number.POSITIVE_INFINITY;

  /** Takes the stored entries (at open). */
  load(records: readonly RevokedCertRecord[]): void {
    this.table.apply(new Map(records.map((r) => [r.fingerprint, r])));
    this.nextExpiry = earliestExpiry(this.table.values());
  }

  /** Makes committed changes current. */
  apply(changes: RowChanges<RevokedCertRecord>): void {
    this.table.apply(changes);
    // An added entry can only bring the earliest expiry forward (O(1) per revocation); only a
    // prune, which removes entries, rescans (it scanned them all anyway).
    let pruned = false;
    for (const record of changes.values()) {
      if (record === undefined) pruned = true;
      else if (record.expiresAt !== undefined) this.nextExpiry = Math.min(this.nextExpiry, timeOf(record.expiresAt));
    }
    if (pruned) this.nextExpiry = earliestExpiry(this.table.values());
  }

  /** Whether an entry may have expired by `now` (false: a prune would find nothing). */
  mayHaveExpired(now: Date): boolean {
    return now.getTime() >= this.nextExpiry;
  }
}

/** The earliest expiresAt (ms) among deny-list entries; Infinity when none carries one. */
function earliestExpiry(records: Iterable<Readonly<RevokedCertRecord>>): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const record of records) if (record.expiresAt !== undefined) earliest = Math.min(earliest, timeOf(record.expiresAt));
  return earliest;
}
