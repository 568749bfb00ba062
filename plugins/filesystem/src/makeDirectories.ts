import { lstat, mkdir } from 'node:fs/promises';
import type { Directory, DirectorySet } from './Directory.js';
import { denied, errnoOf, fsError } from './errors.js';
import { throwIfAborted } from '@palyra/plugin-sdk';

/**
 * Creates the missing directories below the verified directory `dir`, one at a time, each
 * made and then opened (O_NOFOLLOW|O_DIRECTORY) inside the one before. Never mkdir -p by path:
 * that would follow a symlink planted mid-way. Returns the deepest one, open.
 */
export async function makeDirectories(
  dir: Directory,
  components: readonly string[],
  scope: { input: string; roots: readonly string[]; signal: AbortSignal; opened: DirectorySet },
): Promise<Directory> {
  let current = dir;
  try {
    for (const component of components) {
      throwIfAborted(scope.signal);
      try {
        await mkdir(current.at(component), { mode: 0o777 });
      } catch (error) {
        // Created concurrently: accepted if it opens as a directory below.
        if (errnoOf(error) !== 'EEXIST') throw fsError(error, scope.input, 'create the directories of');
      }
      let child: Directory;
      try {
        child = await current.openChild(component);
      } catch (error) {
        const isLink = await lstat(current.at(component)).then((stats) => stats.isSymbolicLink(), () => false);
        if (isLink) throw denied(scope.input, scope.roots, 'a directory on its way is a symbolic link');
        throw fsError(error, scope.input, 'create the directories of');
      }
      // Only the deepest is kept open: a long chain of new directories holds no descriptors.
      if (current !== dir) await current.close();
      current = child;
    }
  } catch (error) {
    if (current !== dir) await current.close().catch(() => undefined);
    throw error;
  }
  if (current !== dir) scope.opened.add(current);
  return current;
}
