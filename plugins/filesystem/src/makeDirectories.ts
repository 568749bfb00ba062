import { mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { denied, errnoOf, fsError, throwIfAborted } from './errors.js';
import { isInside } from './paths.js';

/**
 * Creates the missing directories below `existing` one at a time (never recursive: mkdir -p
 * would follow a symlink planted mid-way), checking after each that it is a real directory
 * still inside the root.
 */
export async function makeDirectories(
  existing: string,
  components: readonly string[],
  scope: { realRoot: string; input: string; roots: readonly string[]; signal: AbortSignal },
): Promise<void> {
  let dir = existing;
  for (const component of components) {
    throwIfAborted(scope.signal);
    dir = join(dir, component);
    try {
      await mkdir(dir, { mode: 0o777 });
    } catch (error) {
      // Created concurrently: accepted if it checks out below.
      if (errnoOf(error) !== 'EEXIST') throw fsError(error, scope.input, 'create the directories of');
    }
    let real: string;
    try {
      real = await realpath(dir);
    } catch (error) {
      throw fsError(error, scope.input, 'create the directories of');
    }
    if (real !== dir || !isInside(real, scope.realRoot)) {
      throw denied(scope.input, scope.roots, 'a directory on its way is a symbolic link');
    }
  }
}
