import path from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { assertKnownVersion, migrate, schemaVersionOf } from './migrate.js';
import { SCHEMA_VERSION } from './migrations.js';
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
  /**
   * false: the store must already have this build's schema, and is not migrated (refused with
   * PALYRA_E_STATE_VERSION otherwise). For the `palyrad state` commands, which open a store a
   * daemon of another version may be running on: only a daemon's start migrates.
   */
  migrate?: boolean;
  signal?: AbortSignal;
}

/**
 * Opens the daemon's store and brings its schema up to date. A damaged database, or one of a
 * newer schema, is refused (PALYRA_E_STATE_CORRUPT, PALYRA_E_STATE_VERSION) before anything
 * is written to it. The store's `location` is the SQLite file or the URL without its password.
 */
export async function openStore({ stateDir, store, migrate: migrating = true, signal }: OpenStoreOptions): Promise<SqlStore> {
  const target = parseStoreSetting(store, 'store');
  if (target.engine === 'postgres') {
    // Loaded only when used: importing pg costs a daemon on SQLite 100-250 ms at every start.
    const { PostgresDatabase } = await import('./postgres/PostgresDatabase.js');
    const db = await PostgresDatabase.open(target.url, { signal });
    return migrated(db, db.location, migrating, signal);
  }
  const file = path.join(path.resolve(stateDir), SQLITE_STORE_FILE);
  const db = await SqliteDatabase.open(file, { signal });
  return migrated(db, file, migrating, signal, () => db.prepareForWrites());
}

/** Checks the schema version (reads only), then migrates; closes the database on any failure. */
async function migrated(
  db: SqlDatabase,
  location: string,
  migrating: boolean,
  signal: AbortSignal | undefined,
  beforeWrites?: () => void,
): Promise<SqlStore> {
  try {
    const version = await schemaVersionOf(db);
    assertKnownVersion(version, location);
    if (!migrating && version !== SCHEMA_VERSION) {
      throw new PalyraError(
        'PALYRA_E_STATE_VERSION',
        `the state store ${location} has schema version ${version}, this palyrad's is ${SCHEMA_VERSION}: the state commands never migrate a store ` +
          '(a daemon of another version may be running on it); start this palyrad once to migrate it, or use the palyrad of that version; the store was not modified',
        { details: { location, version, expected: SCHEMA_VERSION } },
      );
    }
    beforeWrites?.();
    if (migrating) await migrate(db, location, { signal });
    return new SqlStore(db, location);
  } catch (error) {
    await db.close();
    throw error;
  }
}
