import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { SqliteDatabase } from './sqlite/SqliteDatabase.js';
import type { Store } from './types.js';

/** The files SQLite keeps beside its database, by suffix of its name. */
const SQLITE_FILE_SUFFIXES = ['', '-wal', '-shm', '-journal'];

/**
 * Refuses `file` as the destination of a command that renames a new file into place (`state
 * backup`, `state export --out`) when it is the SQLite store or one of its -wal, -shm or
 * -journal files: the rename would swap the daemon's database (or its log) for the new file,
 * losing the registry, or every write after it while the daemon runs. Compared by real
 * directory, so a link to the state dir is caught too. A PostgreSQL store has no such files.
 */
export async function assertNotStoreFile(file: string, store: Store): Promise<void> {
  if (!(store.db instanceof SqliteDatabase)) return;
  const real = async (target: string): Promise<string> => {
    const dir = path.dirname(path.resolve(target));
    return path.join(await realpath(dir).catch(() => dir), path.basename(target));
  };
  const [destination, storeFile] = await Promise.all([real(file), real(store.db.file)]);
  if (SQLITE_FILE_SUFFIXES.some((suffix) => destination === `${storeFile}${suffix}`)) {
    throw new PalyraError('PALYRA_E_USAGE', `${file} is a file of the state store ${storeFile}: give a path outside it`, { details: { file } });
  }
}
