import { PalyraError } from '@palyra/shared/errors';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';
import type { SqlDatabase } from './SqlDatabase.js';

/** Any number, one key: several daemons starting on one PostgreSQL database migrate one at a time. */
const POSTGRES_MIGRATION_LOCK = 7_443_001;

/**
 * The schema version of the database, 0 when it has none yet. Reads only: a database of a
 * newer version must be refused before anything is written to it.
 */
export async function schemaVersionOf(db: SqlDatabase): Promise<number> {
  const exists =
    db.engine === 'sqlite'
      ? await db.get(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'palyra_schema'`)
      : await db.get(`SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'palyra_schema'`);
  if (exists === undefined) return 0;
  const row = await db.get<{ version: number | null }>('SELECT MAX(version) AS version FROM palyra_schema');
  return Number(row?.version ?? 0);
}

/** Refuses a database written by a newer palyrad (PALYRA_E_STATE_VERSION), before any write. */
export function assertKnownVersion(version: number, location: string): void {
  if (version > SCHEMA_VERSION) {
    throw new PalyraError(
      'PALYRA_E_STATE_VERSION',
      `the state store ${location} has schema version ${version}, written by a newer palyrad (this build knows up to ${SCHEMA_VERSION}): run that palyrad, or restore a backup; the store was not modified`,
      { details: { location, version, expected: SCHEMA_VERSION } },
    );
  }
}

/**
 * Brings the database to SCHEMA_VERSION, one migration per transaction, in order. Returns the
 * versions it applied.
 */
export async function migrate(
  db: SqlDatabase,
  location: string,
  { signal, migrations = MIGRATIONS }: { signal?: AbortSignal; migrations?: readonly Migration[] } = {},
): Promise<number[]> {
  const current = await schemaVersionOf(db);
  assertKnownVersion(current, location);
  const applied: number[] = [];
  for (const migration of migrations) {
    // Applied already (versions only grow): not even a transaction, so that a daemon starts on
    // a store it cannot write to (a full disk, a write lock held elsewhere) and serves what it can.
    if (migration.version <= current) continue;
    const done = await db.transaction(async (tx) => {
      if (db.engine === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(?) AS locked', [POSTGRES_MIGRATION_LOCK]);
      await tx.run(`CREATE TABLE IF NOT EXISTS palyra_schema (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at TEXT NOT NULL
      )`);
      const row = await tx.get<{ version: number | null }>('SELECT MAX(version) AS version FROM palyra_schema');
      const current = Number(row?.version ?? 0);
      assertKnownVersion(current, location);
      if (current >= migration.version) return false;
      for (const statement of migration.statements) await tx.run(statement);
      await tx.run('INSERT INTO palyra_schema (version, name, applied_at) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
      return true;
    }, { signal });
    if (done) applied.push(migration.version);
  }
  return applied;
}
