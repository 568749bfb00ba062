import type { Stats } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { PalyraError } from '../errors/index.js';

/** As many symbolic links as Linux follows in one path. */
const MAX_LINKS = 40;

/** One entry met on the way to a path. */
export interface PathStep {
  /** The entry's path, through no symbolic link (a link's own path when `info` is a link). */
  path: string;
  info: Stats;
  /** More components follow (this entry must be a directory, or a link to one). */
  more: boolean;
}

export interface WalkPathOptions {
  /** Starts messages: "the state directory", "the Node binary". */
  what: string;
  /** Called for every entry met, directories on the way, links (before they are followed) and the last. */
  visit(step: PathStep): void;
  /** The error for a failed lstat or readlink (other than a missing entry), and for too many links. */
  error(message: string, cause?: unknown): PalyraError;
}

/**
 * Resolves `path` as the kernel would, one component at a time from `/` with lstat and
 * readlink, so that a check can see every directory and symbolic link that decides where the
 * path leads (a link owned by someone else, a directory others can write). Returns the real
 * path, or `missing`: the real path the first missing entry and the rest would have (what was
 * met before it has been visited).
 */
export async function walkPath(path: string, { what, visit, error }: WalkPathOptions): Promise<{ real: string; missing?: undefined } | { missing: string }> {
  const pending = components(resolve(path));
  let current = '/';
  let links = 0;
  while (pending.length > 0) {
    const name = pending.shift() as string;
    if (name === '..') {
      // `current` holds no symbolic link, so its parent is the one the kernel would take.
      current = dirname(current);
      continue;
    }
    const next = join(current, name);
    let info: Stats;
    try {
      info = await lstat(next);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { missing: join(next, ...pending) };
      throw error(`cannot check ${what} ${path} (at ${next}): ${(cause as Error).message}`, cause);
    }
    visit({ path: next, info, more: pending.length > 0 });
    if (info.isSymbolicLink()) {
      links += 1;
      if (links > MAX_LINKS) throw error(`${what} ${path}: too many levels of symbolic links`);
      let target: string;
      try {
        target = await readlink(next);
      } catch (cause) {
        throw error(`cannot check ${what} ${path} (at ${next}): ${(cause as Error).message}`, cause);
      }
      pending.unshift(...components(target));
      if (isAbsolute(target)) current = '/';
      continue;
    }
    current = next;
  }
  return { real: current };
}

function components(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}
