import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { syncDirectory } from '@palyra/shared/fs';
import { assertKnownVersion, schemaVersionOf } from './migrate.js';
import { SCHEMA_VERSION } from './migrations.js';
import { createPrivateDatabaseFile } from './sqlite/privateDatabaseFile.js';
import { SqliteDatabase } from './sqlite/SqliteDatabase.js';
import { assertNotStoreFile } from './storeFiles.js';
import type { Store } from './types.js';

/**
 * An online, consistent copy of the SQLite store into `destination` (0600), taken with
 * SQLite's backup API while the daemon may be writing: the copy is one moment of the
 * database. It is written to a temp file beside the destination, checked by opening it (a
 * SQLite file that passes quick_check, with this build's schema), then renamed into place, so
 * `destination` is either the old file or a checked copy. A PostgreSQL store is refused
 * (PALYRA_E_USAGE): pg_dump is the tool for it.
 */
export async function backupStore(store: Store, destination: string, { signal }: { signal?: AbortSignal } = {}): Promise<{ file: string; schemaVersion: number }> {
  if (!(store.db instanceof SqliteDatabase)) {
    throw new PalyraError(
      'PALYRA_E_USAGE',
      `palyrad state backup copies the SQLite store; this state lives in PostgreSQL (${store.location}): back it up with pg_dump (see docs/postgresql.md)`,
    );
  }
  signal?.throwIfAborted();
  const file = path.resolve(destination);
  await assertNotStoreFile(file, store);
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  // A fresh random name: one that exists already is not ours to overwrite.
  if (!(await createPrivateDatabaseFile(temp, 'the backup'))) throw ioError(temp, 'create', new Error('the file exists'));
  try {
    await store.db.backup(temp);
    signal?.throwIfAborted();
    const schemaVersion = await checkCopy(temp);
    await syncFile(temp);
    await rename(temp, file).catch((error: unknown) => {
      throw ioError(file, 'rename the checked copy to', error);
    });
    await syncDirectory(path.dirname(file), file);
    return { file, schemaVersion };
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/**
 * Opens the copy as the daemon would (0600, a SQLite header, quick_check) and reads its schema
 * version. The copy leaves WAL mode: one self-contained file, which a read-only reader opens
 * without creating -wal and -shm beside it (the daemon turns WAL on again when it opens a
 * restored copy).
 */
async function checkCopy(file: string): Promise<number> {
  const copy = await SqliteDatabase.open(file);
  try {
    const mode = await copy.get<{ journal_mode: string }>('PRAGMA journal_mode = DELETE');
    if (mode?.journal_mode !== 'delete') throw new PalyraError('PALYRA_E_STATE_IO', `could not take the backup ${file} out of WAL mode (journal_mode ${String(mode?.journal_mode)})`);
    const version = await schemaVersionOf(copy);
    assertKnownVersion(version, file);
    if (version !== SCHEMA_VERSION) {
      throw new PalyraError('PALYRA_E_INTERNAL', `the backup ${file} has schema version ${version}, not ${SCHEMA_VERSION}: it was not kept`);
    }
    return version;
  } finally {
    await copy.close();
  }
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } catch (error) {
    throw ioError(file, 'sync', error);
  } finally {
    await handle.close();
  }
}

function ioError(file: string, action: string, cause: unknown): PalyraError {
  return new PalyraError('PALYRA_E_STATE_IO', `could not ${action} the backup ${file}: ${(cause as Error).message ?? String(cause)}`, {
    cause,
    details: { file },
  });
}
