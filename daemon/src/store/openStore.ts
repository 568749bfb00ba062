import path from 'node:path';
import { assertKnownVersion, migrate, schemaVersionOf } from './migrate.js';
import type { SqlDatabase } from './SqlDatabase.js';
import { SqliteDatabase } from './sqlite/SqliteDatabase.js';
import { SqlStore } from './SqlStore.js';
import { parseStoreSetting } from './storeSetting.js';

/** The SQLite database in the state dir, beside the CA. */
export const SQLITE_STORE_FILE = 'palyrad.db';

export interface OpenStoreOptions {
  stateDir: string;
  /**
   * Where the state lives: undefined, '' or 'sqlite' for the file in the state dir; a
   * `postgres://` or `postgresql://` URL for a PostgreSQL database (see docs/postgresql.md).
   */
  store?: string;
  signal?: AbortSignal;
}

/**
 * Opens the daemon's store and brings its schema up to date. A damaged database, or one of a
 * newer schema, is refused (PALYRA_E_STATE_CORRUPT, PALYRA_E_STATE_VERSION) before anything
 * is written to it. The store's `location` is the SQLite file or the URL without its password.
 */
export async function openStore({ stateDir, store, signal }: OpenStoreOptions): Promise<SqlStore> {
  const target = parseStoreSetting(store, 'store');
  if (target.engine === 'postgres') {
    // Loaded only when used: importing pg costs a daemon on SQLite 100-250 ms at every start.
    const { PostgresDatabase } = await import('./postgres/PostgresDatabase.js');
    const db = await PostgresDatabase.open(target.url, { signal });
    return migrated(db, db.location, signal);
  }
  const file = path.join(path.resolve(stateDir), SQLITE_STORE_FILE);
  const db = await SqliteDatabase.open(file, { signal });
  return migrated(db, file, signal, () => db.prepareForWrites());
}

/** Checks the schema version (reads only), then migrates; closes the database on any failure. */
async function migrated(db: SqlDatabase, location: string, signal: AbortSignal | undefined, beforeWrites?: () => void): Promise<SqlStore> {
  try {
    assertKnownVersion(await schemaVersionOf(db), location);
    beforeWrites?.();
    await migrate(db, location, { signal });
    return new SqlStore(db, location);
  } catch (error) {
    await db.close();
    throw error;
  }
}
