import path from 'node:path';
import { assertKnownVersion, migrate, schemaVersionOf } from './migrate.js';
import { SqliteDatabase } from './sqlite/SqliteDatabase.js';
import { SqlStore } from './SqlStore.js';

/** The SQLite database in the state dir, beside the CA. */
export const SQLITE_STORE_FILE = 'palyrad.db';

export interface OpenStoreOptions {
  stateDir: string;
  /** Where the state lives: undefined or 'sqlite' for the file in the state dir. */
  store?: string;
  signal?: AbortSignal;
}

/**
 * Opens the daemon's store and brings its schema up to date. A damaged database, or one of a
 * newer schema, is refused (PALYRA_E_STATE_CORRUPT, PALYRA_E_STATE_VERSION) before anything
 * is written to it.
 */
export async function openStore({ stateDir, signal }: OpenStoreOptions): Promise<SqlStore> {
  const file = path.join(path.resolve(stateDir), SQLITE_STORE_FILE);
  const db = await SqliteDatabase.open(file, { signal });
  try {
    assertKnownVersion(await schemaVersionOf(db), file);
    db.prepareForWrites();
    await migrate(db, file, { signal });
    return new SqlStore(db, file);
  } catch (error) {
    await db.close();
    throw error;
  }
}
