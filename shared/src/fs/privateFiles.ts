import { lstat } from 'node:fs/promises';
import { writeFileAtomic } from './atomicWrite.js';
import { PalyraError } from '../errors/index.js';
import { checkPrivateDirectory } from './privateDirectory.js';
import { checkOwnFile } from './readOwnFile.js';

/**
 * Creates a directory for secrets (0700), or checks an existing one and the way to it
 * (checkPrivateDirectory: owned by this user or root, not open to group or others, reached
 * only through directories and links nobody else controls). Never loosens or silently
 * tightens what the user set: it says what to run.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await checkPrivateDirectory(dir, { create: true });
}

/** Refuses a secret file that is a symbolic link, belongs to another user, or that group or others can read or write. */
export async function assertPrivateFile(path: string): Promise<void> {
  let info;
  try {
    info = await lstat(path);
  } catch (error) {
    throw new PalyraError('PALYRA_E_STATE_IO', `cannot check ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (info.isSymbolicLink()) throw new PalyraError('PALYRA_E_STATE_PERMISSIONS', `${path} is a symbolic link; replace it with the file itself`, { details: { path } });
  checkOwnFile(info, path, { secret: true });
}

/** Writes a secret file atomically with mode 0600 (writeFileAtomic: fsynced, a failed fsync is an error). */
export async function writePrivateFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await writeFileAtomic(path, data, { mode: 0o600 });
}
