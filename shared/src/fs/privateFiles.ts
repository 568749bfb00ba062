import { randomBytes } from 'node:crypto';
import { chmod, lstat, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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

/**
 * Writes a file atomically with mode 0600: a unique temp file in the same directory,
 * fsync, rename over the target, fsync the directory. Readers see the old or the new
 * content, never a torn write; on failure the temp file is removed and the old file stays.
 */
export async function writePrivateFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, 0o600);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new PalyraError('PALYRA_E_STATE_IO', `cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    await handle.close();
  }
}
