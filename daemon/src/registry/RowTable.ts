import { deepFreeze } from '@palyra/plugin-sdk';

/** Keeps an index over a table's committed rows up to date as rows come and go. */
export interface RowIndex<R> {
  add(row: Readonly<R>): void;
  remove(row: Readonly<R>): void;
}

/** Changed rows by key: the new record, or undefined for a deleted row. */
export type RowChanges<R> = ReadonlyMap<string, R | undefined>;

/**
 * One concern's committed rows in memory (frozen), by key, with the indexes that make reads
 * O(1). Changed only by apply(), once the store committed the change.
 */
export class RowTable<R extends object> {
  private readonly rows = new Map<string, Readonly<R>>();

  constructor(
    readonly keyOf: (row: Readonly<R>) => string,
    private readonly indexes: readonly RowIndex<R>[] = [],
  ) {}

  get size(): number {
    return this.rows.size;
  }

  get(key: string): Readonly<R> | undefined {
    return this.rows.get(key);
  }

  has(key: string): boolean {
    return this.rows.has(key);
  }

  values(): IterableIterator<Readonly<R>> {
    return this.rows.values();
  }

  entries(): IterableIterator<[string, Readonly<R>]> {
    return this.rows.entries();
  }

  /** Makes `changes` current: rows replaced or removed, indexes updated. */
  apply(changes: RowChanges<R>): void {
    for (const [key, after] of changes) {
      const before = this.rows.get(key);
      if (before !== undefined) for (const index of this.indexes) index.remove(before);
      if (after === undefined) {
        this.rows.delete(key);
      } else {
        const row = deepFreeze(after);
        this.rows.set(key, row);
        for (const index of this.indexes) index.add(row);
      }
    }
  }
}

/**
 * A mutation's view of a RowTable: the committed rows with its own changes over them. Only
 * the rows it edits are copied (edit()), so a change costs the same whatever the table's size.
 */
export class RowDraft<R extends object> {
  private readonly changes = new Map<string, R | undefined>();

  constructor(readonly table: RowTable<R>) {}

  get(key: string): Readonly<R> | undefined {
    return this.changes.has(key) ? this.changes.get(key) : this.table.get(key);
  }

  /**
   * A copy of the row this mutation may change in place (its nested values are shared and
   * frozen: replace them, do not edit them). Undefined when there is no such row.
   */
  edit(key: string): R | undefined {
    if (this.changes.has(key)) return this.changes.get(key);
    const committed = this.table.get(key);
    if (committed === undefined) return undefined;
    const copy = { ...committed } as R;
    this.changes.set(key, copy);
    return copy;
  }

  put(row: R): void {
    this.changes.set(this.table.keyOf(row), row);
  }

  delete(key: string): void {
    this.changes.set(key, undefined);
  }

  /** Every row as this mutation sees it. */
  *values(): Generator<Readonly<R>> {
    for (const [key, row] of this.table.entries()) {
      if (!this.changes.has(key)) {
        yield row;
        continue;
      }
      const changed = this.changes.get(key);
      if (changed !== undefined) yield changed;
    }
    for (const [key, row] of this.changes) {
      if (row !== undefined && !this.table.has(key)) yield row;
    }
  }

  /** The rows that differ from the committed ones (an edited row left as it was is not one). */
  changed(): Map<string, R | undefined> {
    const changed = new Map<string, R | undefined>();
    for (const [key, after] of this.changes) {
      const before = this.table.get(key);
      const differs = after === undefined ? before !== undefined : before === undefined || JSON.stringify(before) !== JSON.stringify(after);
      if (differs) changed.set(key, after);
    }
    return changed;
  }
}
