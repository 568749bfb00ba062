import { lstat, opendir, realpath, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { denied, errnoOf, fsError, throwIfAborted } from './errors.js';

export interface RemoveScope {
  readonly input: string;
  readonly roots: readonly string[];
  readonly signal: AbortSignal;
}

/**
 * Removes a directory and everything below it without following symlinks: a symlink is
 * unlinked, only real directories are descended into, each re-checked with realpath just
 * before it is read. Checks the signal between entries; an abort leaves the rest in place.
 */
export async function removeTree(dir: string, scope: RemoveScope): Promise<void> {
  throwIfAborted(scope.signal);
  let real: string;
  try {
    real = await realpath(dir);
  } catch (error) {
    throw fsError(error, scope.input, 'remove');
  }
  if (real !== dir) throw denied(scope.input, scope.roots, 'a directory in it became a symbolic link');
  try {
    // Names first: removing entries while the directory is being read may skip some.
    const names: string[] = [];
    for await (const dirent of await opendir(dir)) {
      throwIfAborted(scope.signal);
      names.push(dirent.name);
    }
    for (const name of names) {
      throwIfAborted(scope.signal);
      const child = join(dir, name);
      const stats = await lstat(child).catch(() => undefined);
      if (stats === undefined) continue; // Removed concurrently.
      if (stats.isDirectory()) await removeTree(child, scope);
      else await unlink(child).catch(ignoreMissing);
    }
    await rmdir(dir).catch(ignoreMissing);
  } catch (error) {
    throw fsError(error, scope.input, 'remove');
  }
}

function ignoreMissing(error: unknown): void {
  if (errnoOf(error) !== 'ENOENT') throw error;
}
