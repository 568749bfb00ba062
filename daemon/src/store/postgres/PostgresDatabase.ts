import pg from 'pg';
import { throwIfAborted } from '@palyra/plugin-sdk';
import { SerialQueue } from '../SerialQueue.js';
import type { SqlDatabase, SqlExecutor, SqlRow, SqlValue, TransactionOptions } from '../SqlDatabase.js';
import { numberPlaceholders } from './placeholders.js';
import { postgresError } from './postgresError.js';
import { redactPostgresUrl, secretsOfPostgresUrl } from './postgresUrl.js';

/** PostgreSQL's type OID of BIGINT (int8): COUNT(*) and the journal's millisecond columns. */
const INT8_OID = 20;

export interface PostgresDatabaseOptions {
  signal?: AbortSignal;
  /** Connections held at most (default 2). */
  maxConnections?: number;
  /** Time to reach the server and log in (default 10 s). */
  connectTimeoutMs?: number;
  /** The server cancels a statement that runs longer (default 30 s); the client gives up 5 s later. */
  statementTimeoutMs?: number;
}

const DEFAULTS = { maxConnections: 2, connectTimeoutMs: 10_000, statementTimeoutMs: 30_000 };

/** BIGINT as a number (milliseconds and counts stay far below 2^53); every other type as pg parses it. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (text: string) => Number(text) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * A PostgreSQL database through node-postgres (`pg`), behind the same surface as SQLite's, so
 * the repositories and migrations are written once. Statements and transactions run one at a
 * time in call order, as SqlDatabase promises (the repositories' callers rely on it); the small
 * pool replaces a connection the server or the network dropped. A transaction holds one client
 * from BEGIN to COMMIT or ROLLBACK.
 */
export class PostgresDatabase implements SqlDatabase {
  readonly engine = 'postgres' as const;
  private readonly queue = new SerialQueue();
  /** Clients whose connection failed: destroyed, never handed back to the pool. */
  private readonly broken = new WeakSet<pg.PoolClient>();
  private closed = false;

  private constructor(
    /** The URL without its password. */
    readonly location: string,
    private readonly pool: pg.Pool,
    private readonly secrets: readonly string[],
  ) {}

  /**
   * Connects to the database at `url` and checks that it answers. Writes nothing: the caller
   * checks the schema version (assertKnownVersion) before migrating. An unreachable server,
   * refused credentials or a missing database fail with PALYRA_E_STATE_IO; no message or
   * detail holds the password.
   */
  static async open(url: string, options: PostgresDatabaseOptions = {}): Promise<PostgresDatabase> {
    throwIfAborted(options.signal);
    const { maxConnections, connectTimeoutMs, statementTimeoutMs } = { ...DEFAULTS, ...withoutUndefined(options) };
    const pool = new pg.Pool({
      connectionString: url,
      max: maxConnections,
      connectionTimeoutMillis: connectTimeoutMs,
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + 5_000,
      // A transaction left open by a frozen daemon must not hold its locks for ever.
      idle_in_transaction_session_timeout: statementTimeoutMs * 2,
      idleTimeoutMillis: 60_000,
      keepAlive: true,
      application_name: 'palyrad',
      types: TYPES,
    });
    // An idle connection the server closed (a restart, a failover): the pool drops it and the
    // next statement connects again, or fails with a coded error. Without a listener, Node
    // would treat the event as an uncaught error and end the process.
    pool.on('error', () => undefined);
    const db = new PostgresDatabase(redactPostgresUrl(url), pool, secretsOfPostgresUrl(url));
    try {
      await db.get('SELECT 1 AS ok');
      throwIfAborted(options.signal);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return db;
  }

  all<T extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.queue.run(() => this.withClient((client) => this.query<T>(client, sql, params, 'read')));
  }

  get<T extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.queue.run(async () => (await this.withClient((client) => this.query<T>(client, sql, params, 'read')))[0]);
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    return this.queue.run(() => this.withClient((client) => this.change(client, sql, params)));
  }

  transaction<T>(body: (tx: SqlExecutor) => Promise<T>, { signal, readOnly = false }: TransactionOptions = {}): Promise<T> {
    return this.queue.run(async () => {
      throwIfAborted(signal);
      return this.withClient(async (client) => {
        const tx: SqlExecutor = {
          all: async <R extends SqlRow>(sql: string, params: readonly SqlValue[] = []) => this.query<R>(client, sql, params, 'read'),
          get: async <R extends SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<R | undefined> => (await this.query<R>(client, sql, params, 'read'))[0],
          run: async (sql: string, params: readonly SqlValue[] = []) => this.change(client, sql, params),
        };
        await this.query(client, readOnly ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN', [], 'write');
        let result: T;
        try {
          result = await body(tx);
        } catch (error) {
          // A client whose ROLLBACK fails is destroyed: the server ends its transaction with it.
          await this.query(client, 'ROLLBACK', [], 'write').catch(() => this.broken.add(client));
          throw error;
        }
        // A failed COMMIT (a lost connection, a conflict) means nothing was written.
        await this.query(client, 'COMMIT', [], 'write');
        return result;
      });
    });
  }

  async close(): Promise<void> {
    await this.queue.run(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.pool.end();
    });
  }

  private async withClient<T>(job: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw postgresError(error, this.location, 'connect to', this.secrets);
    }
    try {
      return await job(client);
    } finally {
      client.release(this.broken.has(client));
    }
  }

  private async change(client: pg.PoolClient, sql: string, params: readonly SqlValue[]): Promise<{ changes: number }> {
    const result = await this.execute(client, sql, params, 'write');
    return { changes: result.rowCount ?? 0 };
  }

  private async query<T extends SqlRow>(client: pg.PoolClient, sql: string, params: readonly SqlValue[], action: string): Promise<T[]> {
    return (await this.execute(client, sql, params, action)).rows as T[];
  }

  private async execute(client: pg.PoolClient, sql: string, params: readonly SqlValue[], action: string): Promise<pg.QueryResult> {
    try {
      return await client.query(numberPlaceholders(sql), [...params]);
    } catch (error) {
      // No SQLSTATE (a reset, a timeout) or a FATAL one (the server ended the session): the
      // connection must not be reused.
      if (!(error instanceof pg.DatabaseError) || error.severity === 'FATAL') this.broken.add(client);
      throw postgresError(error, this.location, action, this.secrets);
    }
  }
}


function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
