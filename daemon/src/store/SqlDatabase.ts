/**
 * The little SQL the repositories need, the same on SQLite (better-sqlite3) and PostgreSQL
 * (pg). Statements use `?` placeholders (the PostgreSQL driver numbers them) and portable SQL:
 * TEXT, INTEGER, BIGINT columns, `ON CONFLICT ... DO UPDATE`, partial indexes.
 */
export type SqlValue = string | number | null;

export type SqlRow = Record<string, SqlValue>;

export interface SqlExecutor {
  /** Every row of a query. BIGINT columns come back as numbers (they hold milliseconds). */
  all<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row, or undefined. */
  get<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement that returns no rows; how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export type StoreEngine = 'sqlite' | 'postgres';

export interface TransactionOptions {
  signal?: AbortSignal;
  /**
   * A consistent read of several statements that writes nothing (an export): it takes no write
   * lock, so the daemon's writes go on meanwhile (SQLite: a deferred transaction on the WAL
   * snapshot; PostgreSQL: REPEATABLE READ, READ ONLY).
   */
  readOnly?: boolean;
}

export interface SqlDatabase extends SqlExecutor {
  readonly engine: StoreEngine;
  /**
   * Runs `body` in one transaction: committed (durably) when it resolves, rolled back when it
   * throws. Transactions and single statements run one at a time, in call order.
   */
  transaction<T>(body: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}
