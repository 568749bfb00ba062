import { constants as fsConstants, fdatasync, closeSync, openSync } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { PalyraError } from '@palyra/shared/errors';
import { checkOwnFile } from '@palyra/shared/fs';
import { throwIfAborted } from '@palyra/plugin-sdk';
import { SerialQueue } from '../SerialQueue.js';
import type { SqlDatabase, SqlExecutor, SqlRow, SqlValue, TransactionOptions } from '../SqlDatabase.js';
import { createPrivateDatabaseFile } from './privateDatabaseFile.js';
import { sqliteError } from './sqliteError.js';

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * A SQLite database file through better-sqlite3. Its calls are synchronous and short (small
 * transactions on an indexed file); the async surface is that of PostgreSQL's, so that the
 * repositories are written once.
 *
 * Every write is durable when its promise resolves: WAL mode, and the WAL file fdatasync'ed
 * after the commit. The sync runs on libuv's thread pool, not inside COMMIT (SQLite's
 * synchronous=FULL would fsync on the event loop, ~1-3 ms of a blocked daemon per commit on a
 * virtual disk); commits made while a sync runs share the next one (group commit). SQLite
 * itself runs at synchronous=NORMAL, which in WAL mode keeps the file consistent on power loss
 * and syncs around checkpoints; the explicit sync adds the durability of each commit.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly engine = 'sqlite' as const;
  private readonly queue = new SerialQueue();
  private readonly statements = new Map<string, Database.Statement>();
  private closed = false;
  /** The -wal file, opened at the first sync (it exists once something was committed). */
  private walFd: number | undefined;
  private syncing = false;
  /** Writes committed since the running sync began: they wait for the next one. */
  private syncWaiters: { resolve(): void; reject(error: unknown): void }[] = [];

  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
  ) {}

  /**
   * Opens (or creates, 0600) the database file and checks it before anything is written to it:
   * a file that is not a SQLite database, or fails `PRAGMA quick_check`, is refused with
   * PALYRA_E_STATE_CORRUPT and left as it was. The caller checks the schema version next
   * (assertKnownVersion), then calls prepareForWrites().
   */
  static async open(file: string, { signal }: { signal?: AbortSignal } = {}): Promise<SqliteDatabase> {
    throwIfAborted(signal);
    // Another opener may create the file between the check and the creation: check it then.
    let existed = await checkExistingFile(file);
    if (!existed && !(await createPrivateDatabaseFile(file, 'the state database'))) existed = await checkExistingFile(file);
    let db: Database.Database;
    try {
      db = new Database(file, { fileMustExist: true });
    } catch (error) {
      throw sqliteError(error, file, 'open');
    }
    const database = new SqliteDatabase(file, db);
    try {
      if (existed) database.quickCheck();
      // better-sqlite3 waits for a lock synchronously, so a wait stalls the whole daemon. The
      // daemon is the file's only writer (the state dir lock; `state export` and `state backup`
      // only read, which WAL never blocks): only an outside tool holding the lock makes it wait,
      // and then a write fails after 1 s (PALYRA_E_STATE_IO) rather than freezing the daemon.
      db.pragma('busy_timeout = 1000');
      return database;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** WAL, durable commits, foreign keys: the first writes to the file, made once it passed its checks. */
  prepareForWrites(): void {
    try {
      const mode = this.db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') throw new Error(`journal_mode is ${String(mode)}, not wal`);
      // Durability comes from syncWal() after each write (see the class comment).
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
    } catch (error) {
      throw sqliteError(error, this.file, 'prepare');
    }
  }

  all<T extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.queue.run(() => this.allNow<T>(sql, params));
  }

  get<T extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.queue.run(() => this.getNow<T>(sql, params));
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    const result = await this.queue.run(() => this.runNow(sql, params));
    await this.syncWal();
    return result;
  }

  async transaction<T>(body: (tx: SqlExecutor) => Promise<T>, { signal, readOnly = false }: TransactionOptions = {}): Promise<T> {
    const result = await this.queue.run(async () => {
      throwIfAborted(signal);
      // The body's statements run directly: the queue is held for the whole transaction.
      const tx: SqlExecutor = {
        all: async <R extends SqlRow>(sql: string, params: readonly SqlValue[] = []) => this.allNow<R>(sql, params),
        get: async <R extends SqlRow>(sql: string, params: readonly SqlValue[] = []) => this.getNow<R>(sql, params),
        run: async (sql: string, params: readonly SqlValue[] = []) => this.runNow(sql, params),
      };
      // A read-only one is deferred: it reads one WAL snapshot and never takes the write lock.
      this.exec(readOnly ? 'BEGIN DEFERRED' : 'BEGIN IMMEDIATE');
      let result: T;
      try {
        result = await body(tx);
        this.exec('COMMIT');
      } catch (error) {
        if (this.db.inTransaction) this.exec('ROLLBACK');
        throw error;
      }
      return result;
    });
    // Outside the queue: the next transaction may commit while this one's sync runs. A read
    // wrote nothing to make durable.
    if (!readOnly) await this.syncWal();
    return result;
  }

  /**
   * Resolves once every commit made so far is on disk: one fdatasync of the WAL at a time, off
   * the event loop; commits made while it runs wait for the next (which covers them all).
   */
  private syncWal(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.syncWaiters.push({ resolve, reject });
      if (!this.syncing) this.startSync();
    });
  }

  private startSync(): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    let fd: number;
    try {
      fd = this.walFd ??= openSync(`${this.file}-wal`, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
    } catch (error) {
      const failure = sqliteError(error, this.file, 'sync');
      for (const waiter of waiters) waiter.reject(failure);
      return;
    }
    this.syncing = true;
    fdatasync(fd, (error) => {
      this.syncing = false;
      const failure = error === null ? undefined : sqliteError(error, this.file, 'sync');
      for (const waiter of waiters) {
        if (failure === undefined) waiter.resolve();
        else waiter.reject(failure);
      }
      if (this.syncWaiters.length > 0) this.startSync();
    });
  }

  /** An online, consistent copy of the database into `destination` (SQLite's backup API). */
  backup(destination: string): Promise<void> {
    return this.queue.run(async () => {
      try {
        await this.db.backup(destination);
      } catch (error) {
        throw sqliteError(error, destination, 'back up to');
      }
    });
  }

  async close(): Promise<void> {
    await this.queue.run(() => {
      if (this.closed) return;
      this.closed = true;
      this.statements.clear();
      this.db.close();
    });
    // Writes resolved before close() have been synced; a sync still running finishes first.
    while (this.syncing || this.syncWaiters.length > 0) await this.syncWal();
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
  }

  private quickCheck(): void {
    let rows: { quick_check: string }[];
    try {
      rows = this.db.pragma('quick_check') as { quick_check: string }[];
    } catch (error) {
      throw sqliteError(error, this.file, 'check');
    }
    const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
    if (problems.length > 0) {
      throw new PalyraError(
        'PALYRA_E_STATE_CORRUPT',
        `the state database ${this.file} failed its integrity check (${problems.slice(0, 3).join('; ')}): restore it from a backup (palyrad state backup) or move it aside; the daemon did not modify it`,
        { details: { file: this.file, problems: problems.slice(0, 10) } },
      );
    }
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private allNow<T>(sql: string, params: readonly SqlValue[]): T[] {
    try {
      return this.statement(sql).all(...params) as T[];
    } catch (error) {
      throw sqliteError(error, this.file, 'read');
    }
  }

  private getNow<T>(sql: string, params: readonly SqlValue[]): T | undefined {
    try {
      return this.statement(sql).get(...params) as T | undefined;
    } catch (error) {
      throw sqliteError(error, this.file, 'read');
    }
  }

  private runNow(sql: string, params: readonly SqlValue[]): { changes: number } {
    try {
      return { changes: this.statement(sql).run(...params).changes };
    } catch (error) {
      throw sqliteError(error, this.file, 'write');
    }
  }

  private exec(sql: string): void {
    try {
      this.db.exec(sql);
    } catch (error) {
      throw sqliteError(error, this.file, 'write');
    }
  }
}

/**
 * Checks an existing database file (owned by this user, 0600, not a link, a SQLite header);
 * false when there is none. Its -wal and -shm files take its mode (SQLite copies it).
 */
async function checkExistingFile(file: string): Promise<boolean> {
  let info;
  try {
    info = await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new PalyraError('PALYRA_E_STATE_IO', `cannot check the state database ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (info.isSymbolicLink()) {
    throw new PalyraError('PALYRA_E_STATE_PERMISSIONS', `the state database ${file} is a symbolic link; replace it with the file itself`, { details: { file } });
  }
  checkOwnFile(info, file, { secret: true, what: 'the state database' });
  if (info.size === 0) return true;
  const handle = await open(file, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
  try {
    const header = Buffer.alloc(SQLITE_HEADER.length);
    const { bytesRead } = await handle.read(header, 0, header.length, 0);
    if (bytesRead < header.length || !header.equals(SQLITE_HEADER)) {
      throw new PalyraError(
        'PALYRA_E_STATE_CORRUPT',
        `the state database ${file} is not a SQLite database: restore it from a backup or move it aside; the daemon did not modify it`,
        { details: { file, problem: 'not a SQLite database' } },
      );
    }
  } finally {
    await handle.close();
  }
  return true;
}
