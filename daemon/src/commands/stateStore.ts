import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { StateDirectory } from '@palyra/shared/fs';
import { openStore, SQLITE_STORE_FILE, type SqlStore } from '../store/index.js';
import { parseStoreSetting } from '../store/storeSetting.js';

/**
 * The daemon's existing store, for the `palyrad state` commands, which open it directly
 * (beside a running daemon: SQLite in WAL mode lets a second process read, and write in short
 * transactions; PostgreSQL serves many clients). A state dir without its SQLite store is
 * refused (PALYRA_E_STATE_IO) rather than given an empty one: `export` and `backup` of
 * nothing would look like success. `store` is the store setting ('' or 'sqlite' for SQLite).
 * The store is not migrated: a daemon of another version may be running on it (a backup taken
 * right after installing a new palyrad must not upgrade the old daemon's database under it).
 */
export async function openExistingStore(stateDir: string, store: string, { signal }: { signal?: AbortSignal } = {}): Promise<SqlStore> {
  if (parseStoreSetting(store, '--store').engine === 'postgres') return openStore({ stateDir, store, migrate: false, signal });
  const dir = await StateDirectory.openIfExists(stateDir);
  const file = path.join(path.resolve(stateDir), SQLITE_STORE_FILE);
  if (dir === undefined || !(await exists(file))) {
    throw new PalyraError(
      'PALYRA_E_STATE_IO',
      `there is no state store in ${path.resolve(stateDir)} (no ${SQLITE_STORE_FILE}): palyrad creates it at its first start; check --state-dir`,
      { details: { file } },
    );
  }
  return openStore({ stateDir: dir.path, migrate: false, signal });
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new PalyraError('PALYRA_E_STATE_IO', `cannot check ${file}: ${(error as Error).message}`, { cause: error, details: { file } });
  }
}
