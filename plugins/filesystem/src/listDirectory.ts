import type { Dir, Stats } from 'node:fs';
import { lstat, opendir, realpath } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { PluginLogger } from '@palyra/shared/plugins';
import { denied, fsError, throwIfAborted } from './errors.js';
import { toPortable } from './paths.js';
import { entryType, modifiedAt, type EntryType } from './stats.js';

export interface ListEntry {
  name: string;
  /** Relative to the granted root, `/`-separated. */
  path: string;
  type: EntryType;
  size: number;
  modifiedAt: string;
}

export interface ListScope {
  /** The real path of the directory to list, already confined. */
  readonly real: string;
  readonly realRoot: string;
  readonly input: string;
  readonly roots: readonly string[];
  readonly signal: AbortSignal;
  readonly logger: PluginLogger;
}

/**
 * Lists a directory, breadth first when recursive. Never follows a symlink: entries are
 * lstat'ed, only real directories are descended into, and each is re-checked with realpath
 * just before it is opened. Stops after `maxEntries` (then `truncated`) or when aborted.
 */
export async function listDirectory(
  scope: ListScope,
  options: { recursive: boolean; maxEntries: number },
): Promise<{ entries: ListEntry[]; truncated: boolean }> {
  const entries: ListEntry[] = [];
  const pending = [scope.real];
  let truncated = false;
  for (let dir = pending.shift(); dir !== undefined && !truncated; dir = pending.shift()) {
    throwIfAborted(scope.signal);
    const isTop = dir === scope.real;
    let handle: Dir;
    try {
      if ((await realpath(dir)) !== dir) throw denied(scope.input, scope.roots, 'a directory in it became a symbolic link');
      handle = await opendir(dir);
    } catch (error) {
      if (isTop) throw fsError(error, scope.input, 'list');
      scope.logger.warn('fs.list skipped a directory it could not read', { path: toPortable(relative(scope.realRoot, dir)) });
      continue;
    }
    // Leaving the loop early (break, throw) closes the directory.
    for await (const dirent of handle) {
      throwIfAborted(scope.signal);
      if (entries.length >= options.maxEntries) {
        truncated = true;
        break;
      }
      const full = join(dir, dirent.name);
      let stats: Stats;
      try {
        stats = await lstat(full);
      } catch {
        continue; // Removed while listing.
      }
      const type = entryType(stats);
      entries.push({
        name: dirent.name,
        path: toPortable(relative(scope.realRoot, full)),
        type,
        size: stats.size,
        modifiedAt: modifiedAt(stats),
      });
      if (options.recursive && type === 'directory') pending.push(full);
    }
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { entries, truncated };
}
