import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PalyraError } from '../errors/index.js';

/**
 * Creates a directory for secrets (0700), or checks that an existing one is not open to
 * group or others. Never loosens or silently tightens what the user set: it says what to run.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await stat(dir);
  if (!info.isDirectory()) {
    throw new PalyraError('PALYRA_E_STATE_IO', `${dir} is not a directory`);
  }
  if ((info.mode & 0o077) !== 0) {
    throw new PalyraError(
      'PALYRA_E_STATE_PERMISSIONS',
      `${dir} is accessible to other users (mode ${(info.mode & 0o777).toString(8)}): run chmod 700 ${dir}`,
    );
  }
}

/** Refuses a secret file that group or others can read or write. */
export async function assertPrivateFile(path: string): Promise<void> {
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) {
    throw new PalyraError(
      'PALYRA_E_STATE_PERMISSIONS',
      `${path} is accessible to other users (mode ${(info.mode & 0o777).toString(8)}): run chmod 600 ${path}`,
    );
  }
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
