import type { Dir, Stats } from 'node:fs';
import { lstat, opendir } from 'node:fs/promises';
import type { PluginLogger } from '@palyra/shared/plugins';
import type { Directory } from './Directory.js';
import { fsError } from './errors.js';
import { throwIfAborted } from '@palyra/plugin-sdk';
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
  readonly input: string;
  readonly signal: AbortSignal;
  readonly logger: PluginLogger;
}

/** Subdirectories kept open while waiting their turn; the others are reopened from `top`. */
export const MAX_OPEN_PENDING = 64;

/** A directory waiting to be listed: open, or named by its components below the listed one. */
interface Pending {
  readonly open: Directory | undefined;
  readonly below: readonly string[];
}

/**
 * Lists the verified directory `top`, breadth first when recursive. Never follows a symlink:
 * entries are lstat'ed inside their directory's descriptor, and a subdirectory is opened
 * inside its parent's descriptor with O_NOFOLLOW|O_DIRECTORY (one swapped for a symlink in
 * between is skipped). At most MAX_OPEN_PENDING subdirectories are held open while they wait;
 * the rest are reopened component by component from `top` the same way. Stops after
 * `maxEntries` (then `truncated`) or when aborted.
 */
export async function listDirectory(
  top: Directory,
  scope: ListScope,
  options: { recursive: boolean; maxEntries: number },
): Promise<{ entries: ListEntry[]; truncated: boolean }> {
  const entries: ListEntry[] = [];
  const pending: Pending[] = [];
  let openPending = 0;
  let truncated = false;
  try {
    pending.push({ open: top, below: [] });
    while (!truncated) {
      throwIfAborted(scope.signal);
      const item = pending.shift();
      if (item === undefined) break;
      if (item.open !== undefined && item.open !== top) openPending -= 1;
      const dir = item.open ?? (await top.openDescendant(item.below).catch(() => undefined));
      if (dir === undefined) {
        scope.logger.warn('fs.list skipped a directory it could not open', { path: [...top.components, ...item.below].join('/') });
        continue;
      }
      try {
        let handle: Dir;
        try {
          handle = await opendir(dir.at());
        } catch (error) {
          if (dir === top) throw fsError(error, scope.input, 'list');
          scope.logger.warn('fs.list skipped a directory it could not read', { path: dir.relative });
          continue;
        }
        // Leaving the loop early (break, throw) closes the directory stream.
        for await (const dirent of handle) {
          throwIfAborted(scope.signal);
          if (entries.length >= options.maxEntries) {
            truncated = true;
            break;
          }
          let stats: Stats;
          try {
            stats = await lstat(dir.at(dirent.name));
          } catch {
            continue; // Removed while listing.
          }
          const type = entryType(stats);
          const path = dir.relative === '' ? dirent.name : `${dir.relative}/${dirent.name}`;
          entries.push({ name: dirent.name, path, type, size: stats.size, modifiedAt: modifiedAt(stats) });
          if (!options.recursive || type !== 'directory') continue;
          const below = [...dir.components.slice(top.components.length), dirent.name];
          if (openPending < MAX_OPEN_PENDING) {
            const child = await dir.openChild(dirent.name).catch(() => undefined);
            if (child === undefined) continue; // Gone, or swapped for a symlink: not descended into.
            openPending += 1;
            pending.push({ open: child, below });
          } else {
            pending.push({ open: undefined, below });
          }
        }
      } finally {
        if (dir !== top) await dir.close().catch(() => undefined);
      }
    }
  } finally {
    await Promise.all(pending.map((item) => (item.open === top ? undefined : item.open?.close().catch(() => undefined))));
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { entries, truncated };
}

