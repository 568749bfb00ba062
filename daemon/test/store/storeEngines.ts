import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startPostgres, type PostgresServer } from '../../../test/helpers/postgres.js';
import { openStore, SQLITE_STORE_FILE, type SqlStore, type StoreEngine } from '../../src/store/index.js';

/** The engines every repository, transaction and migration test runs on. */
export const STORE_ENGINES: readonly StoreEngine[] = ['sqlite', 'postgres'];

/** One empty place for a store: a state dir (SQLite) or a new database (PostgreSQL). */
export interface StoreLocation {
  stateDir: string;
  store?: string;
}

export interface EngineFixture {
  /** A new empty location; every test gets its own, so tests are independent. */
  location(): Promise<StoreLocation>;
  /** Opens the store at a location and closes it after the test. */
  open(location?: StoreLocation): Promise<SqlStore>;
  /**
   * Everything the database holds, as comparable text: the SQLite file's SHA-256, or the
   * PostgreSQL database's tables, columns, indexes and rows.
   */
  fingerprint(location: StoreLocation): Promise<string>;
}

/**
 * Registers the hooks an engine needs in the enclosing describe: a temp dir per test for
 * SQLite; one PostgreSQL server for the file (started on first use) and a database per test.
 */
export function useStoreEngine(engine: StoreEngine): EngineFixture {
  let server: PostgresServer | undefined;
  const dirs: string[] = [];
  const stores: SqlStore[] = [];
  if (engine === 'postgres') {
    beforeAll(async () => {
      server = await startPostgres();
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
    }, 60_000);
  }
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  const fixture: EngineFixture = {
    async location() {
      const stateDir = await mkdtemp(path.join(tmpdir(), 'palyra-store-'));
      dirs.push(stateDir);
      if (engine === 'sqlite') return { stateDir };
      if (server === undefined) throw new Error('the PostgreSQL server did not start');
      return { stateDir, store: await server.createDatabase() };
    },
    async open(location) {
      const store = await openStore(location ?? (await fixture.location()));
      stores.push(store);
      return store;
    },
    async fingerprint(location) {
      if (location.store === undefined) {
        return createHash('sha256').update(await readFile(path.join(location.stateDir, SQLITE_STORE_FILE))).digest('hex');
      }
      return postgresFingerprint(location.store);
    },
  };
  return fixture;
}

/** The whole content of a (small) PostgreSQL database as text, read on a connection of its own. */
async function postgresFingerprint(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query(
      `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
    );
    const indexes = await client.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname`);
    const tables = [...new Set(columns.rows.map((row: { table_name: string }) => row.table_name))];
    const rows: Record<string, unknown[]> = {};
    for (const table of tables) rows[table] = (await client.query(`SELECT * FROM ${table} ORDER BY 1`)).rows;
    return JSON.stringify({ columns: columns.rows, indexes: indexes.rows, rows });
  } finally {
    await client.end();
  }
}
