import { lstat, readlink } from 'node:fs/promises';
import { isAbsolute, sep } from 'node:path';
import type { Directory, DirectorySet } from './Directory.js';
import { denied, errnoOf, fsError, notFound } from './errors.js';
import { throwIfAborted } from '@palyra/plugin-sdk';

/** Symlinks followed for one path at most, as the kernel's MAXSYMLINKS. */
export const MAX_SYMLINK_HOPS = 40;

/** Where a walk ends. */
export interface Walked {
  /**
   * The deepest directory reached, open: the parent of `name`, or (when `name` is '') the
   * target itself.
   */
  readonly dir: Directory;
  /** Directories below `dir` that do not exist (yet), before `name`. Usually empty. */
  readonly missing: readonly string[];
  /** The last component, taken inside `dir` (or below `missing`); '' when the target is `dir`. */
  readonly name: string;
}

export interface WalkOptions {
  /** The caller's path and the roots, for error messages. */
  readonly input: string;
  readonly roots: readonly string[];
  /** Spellings of the root an absolute symlink target may start with. */
  readonly rootNames: readonly string[];
  readonly followFinal: boolean;
  readonly signal: AbortSignal;
  /** Every directory the walk opens is added here; the caller closes them. */
  readonly opened: DirectorySet;
}

interface Step {
  readonly name: string;
  /** Came from a symlink's target: a missing one means a dangling symlink. */
  readonly fromLink: boolean;
}

/**
 * Walks `components` from the open root, one directory at a time, each opened inside the
 * previous one with O_NOFOLLOW|O_DIRECTORY. A symlink met on the way is read and its target
 * walked the same way (a relative target from the link's directory, an absolute one from the
 * root, which it must name), so it can only lead to places inside the root; `..` in a
 * symlink's target goes to the parent of the directory the walk is in, by the components the
 * walk named it with, reopened from the root the same way, and never above the root. No path
 * is checked and then reopened by path: each step happens inside a descriptor already held.
 * At most the root, the current directory and the one being opened are open at once; the
 * directory returned is added to `options.opened`.
 */
export async function walkInRoot(root: Directory, components: readonly string[], options: WalkOptions): Promise<Walked> {
  // Only the root and the current directory are held open, whatever the path's depth.
  let current = root;
  const moveTo = async (next: Directory): Promise<void> => {
    if (current !== root) await current.close();
    current = next;
  };
  try {
    const walked = await walk(root, components, options, {
      current: () => current,
      moveTo,
    });
    if (walked.dir !== root) options.opened.add(walked.dir);
    return walked;
  } catch (error) {
    if (current !== root) await current.close().catch(() => undefined);
    throw error;
  }
}

interface Cursor {
  current(): Directory;
  /** Makes `next` the current directory, closing the one before (never the root). */
  moveTo(next: Directory): Promise<void>;
}

async function walk(root: Directory, components: readonly string[], options: WalkOptions, cursor: Cursor): Promise<Walked> {
  const { input, roots } = options;
  const queue: Step[] = components.map((name) => ({ name, fromLink: false }));
  let hops = 0;

  const followLink = async (dir: Directory, step: Step): Promise<boolean> => {
    // Counted before reading, so a link swapped back and forth cannot keep the walk going.
    hops += 1;
    if (hops > MAX_SYMLINK_HOPS) throw denied(input, roots, 'it goes through a symbolic link loop');
    let target: string;
    try {
      target = await readlink(dir.at(step.name));
    } catch (error) {
      const errno = errnoOf(error);
      // Not a symlink any more, or gone: the caller looks at it again.
      if (errno === 'EINVAL' || errno === 'ENOENT') return false;
      throw fsError(error, input, 'resolve');
    }
    let rest = target;
    if (isAbsolute(target)) {
      const below = options.rootNames.map((name) => belowRoot(target, name)).find((r) => r !== undefined);
      if (below === undefined) throw denied(input, roots, 'it resolves through a symbolic link to outside the granted roots');
      await cursor.moveTo(root);
      rest = below;
    }
    queue.unshift(...rest.split(sep).map((name) => ({ name, fromLink: true })));
    return true;
  };

  for (let step = queue.shift(); step !== undefined; step = queue.shift()) {
    throwIfAborted(options.signal);
    const dir = cursor.current();
    if (step.name === '' || step.name === '.') continue;
    if (step.name === '..') {
      // Only a symlink's target has `..` here (the input was resolved lexically). The parent
      // is the directory the walk came through: reopened from the root, never looked up.
      if (dir.isRoot) throw denied(input, roots, 'it resolves through a symbolic link to outside the granted roots');
      await cursor.moveTo(await reopenFromRoot(root, dir.components.slice(0, -1), input, roots));
      continue;
    }
    // The final component: nothing but `.` after it (`..` after it makes it a directory to enter).
    if (queue.every((s) => s.name === '' || s.name === '.')) {
      if (!options.followFinal) return { dir, missing: [], name: step.name };
      const kind = await kindOf(dir, step.name, input);
      if (kind === 'symlink') {
        if (!(await followLink(dir, step))) queue.unshift(step); // Changed under us: look again.
        continue;
      }
      if (kind === 'missing' && step.fromLink) throw denied(input, roots, 'it goes through a symbolic link whose target does not exist');
      return { dir, missing: [], name: step.name };
    }
    let child: Directory | undefined;
    try {
      child = await dir.openChild(step.name);
    } catch (error) {
      const errno = errnoOf(error);
      if (errno !== 'ENOENT' && errno !== 'ENOTDIR') throw fsError(error, input, 'resolve');
    }
    if (child !== undefined) {
      await cursor.moveTo(child);
      continue;
    }
    // Missing, a symlink, or not a directory.
    const kind = await kindOf(dir, step.name, input);
    if (kind === 'symlink') {
      if (!(await followLink(dir, step))) queue.unshift(step);
      continue;
    }
    if (kind === 'directory') {
      // It was swapped back between the open and the lstat: try again, bounded like a hop.
      hops += 1;
      if (hops > MAX_SYMLINK_HOPS) throw denied(input, roots, 'the path kept changing while it was resolved');
      queue.unshift(step);
      continue;
    }
    if (kind === 'missing') {
      if (step.fromLink || queue.some((s) => s.fromLink)) throw denied(input, roots, 'it goes through a symbolic link whose target does not exist');
      const names = [step.name, ...queue.map((s) => s.name).filter((name) => name !== '' && name !== '.')];
      return { dir, missing: names.slice(0, -1), name: names[names.length - 1] ?? step.name };
    }
    throw notFound(input, 'resolve', undefined, 'ENOTDIR');
  }
  // Ended on the directory itself (the root, or a symlink's target ending in `.` or `..`).
  return { dir: cursor.current(), missing: [], name: '' };
}

/** Opens `components` below the root again, never through a symlink (one that appeared is refused). */
async function reopenFromRoot(root: Directory, components: readonly string[], input: string, roots: readonly string[]): Promise<Directory> {
  try {
    return await root.openDescendant(components);
  } catch (error) {
    if (errnoOf(error) === 'ENOTDIR') throw denied(input, roots, 'the path changed while it was resolved');
    throw fsError(error, input, 'resolve');
  }
}

type Kind = 'symlink' | 'directory' | 'missing' | 'other';

async function kindOf(dir: Directory, name: string, input: string): Promise<Kind> {
  try {
    const stats = await lstat(dir.at(name));
    return stats.isSymbolicLink() ? 'symlink' : stats.isDirectory() ? 'directory' : 'other';
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return 'missing';
    throw fsError(error, input, 'resolve');
  }
}

/** The part of an absolute symlink target below `root`, or undefined when it is not below it. */
function belowRoot(target: string, root: string): string | undefined {
  if (target === root) return '';
  const prefix = root.endsWith(sep) ? root : `${root}${sep}`;
  return target.startsWith(prefix) ? target.slice(prefix.length) : undefined;
}
