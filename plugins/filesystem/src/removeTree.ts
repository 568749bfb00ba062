import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { PalyraError } from '@palyra/shared/errors';
import type { Directory } from './Directory.js';
import { denied, errnoOf, fsError } from './errors.js';
import { throwIfAborted } from '@palyra/plugin-sdk';

/** Directory levels a recursive removal descends; each level holds one descriptor open. */
export const MAX_REMOVE_DEPTH = 256;

export interface RemoveScope {
  readonly input: string;
  readonly roots: readonly string[];
  readonly signal: AbortSignal;
}

/**
 * Removes the directory `name` inside the verified directory `parent` and everything below
 * it, without following symlinks: it is opened inside `parent` with O_NOFOLLOW|O_DIRECTORY,
 * its entries are lstat'ed, unlinked and removed inside its descriptor, subdirectories are
 * opened the same way. A rename or symlink swap of any ancestor meanwhile cannot redirect
 * it. Checks the signal between entries; an abort leaves the rest in place.
 */
export async function removeTree(parent: Directory, name: string, scope: RemoveScope, depth = 0): Promise<void> {
  throwIfAborted(scope.signal);
  if (depth >= MAX_REMOVE_DEPTH) {
    throw new PalyraError('PALYRA_E_LIMIT_EXCEEDED', `cannot remove ${JSON.stringify(scope.input)}: it is more than ${MAX_REMOVE_DEPTH} directories deep`, {
      details: { path: scope.input, maxDepth: MAX_REMOVE_DEPTH },
    });
  }
  let dir: Directory;
  try {
    dir = await parent.openChild(name);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return; // Removed concurrently.
    if (errnoOf(error) === 'ENOTDIR') throw denied(scope.input, scope.roots, 'a directory in it became a symbolic link');
    throw fsError(error, scope.input, 'remove');
  }
  try {
    // Names first: removing entries while the directory is being read may skip some.
    const names = await readdir(dir.at());
    for (const child of names) {
      throwIfAborted(scope.signal);
      const stats = await lstat(dir.at(child)).catch(() => undefined);
      if (stats === undefined) continue; // Removed concurrently.
      if (stats.isDirectory()) await removeTree(dir, child, scope, depth + 1);
      else await unlink(dir.at(child)).catch(ignoreMissing);
    }
  } catch (error) {
    throw fsError(error, scope.input, 'remove');
  } finally {
    await dir.close();
  }
  await rmdir(parent.at(name)).catch((error: unknown) => {
    if (errnoOf(error) !== 'ENOENT') throw fsError(error, scope.input, 'remove');
  });
}

function ignoreMissing(error: unknown): void {
  if (errnoOf(error) !== 'ENOENT') throw error;
}
