import { constants, type Stats } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { denied, errnoOf, fsError } from './errors.js';
import { isInside } from './paths.js';

// O_NOFOLLOW and O_NONBLOCK do not exist on Windows; there the re-check below carries it.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

/** Read only; never through a final symlink; never blocks on a FIFO. */
export const READ_FLAGS = constants.O_RDONLY | NOFOLLOW | NONBLOCK;
/** A new file, failing when anything (a symlink included) already has the name. */
export const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;
/** Append to a file, creating it; never through a final symlink; never blocks on a FIFO. */
export const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW | NONBLOCK;

export interface OpenScope {
  /** The path checked by confinePath, free of symlinks. */
  readonly real: string;
  readonly realRoot: string;
  /** What to name in errors: the caller's input. */
  readonly input: string;
  readonly roots: readonly string[];
}

/**
 * Opens an already confined path and checks the opened file is the one that was checked:
 * after open, the path's realpath must still lie in the root and name the same inode as the
 * descriptor. This narrows the window in which a directory swapped for a symlink between the
 * check and the open could make the plugin touch a file outside the root.
 */
export async function openConfined(
  scope: OpenScope,
  flags: number,
  action: string,
  mode?: number,
): Promise<{ handle: FileHandle; stats: Stats }> {
  let handle: FileHandle;
  try {
    handle = await open(scope.real, flags, mode);
  } catch (error) {
    if (errnoOf(error) === 'ELOOP') throw denied(scope.input, scope.roots, 'its last component became a symbolic link');
    throw fsError(error, scope.input, action);
  }
  try {
    return { handle, stats: await verifyHandle(handle, scope) };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Checks that `handle` is the file at `scope.real` and that this path is inside the root. */
export async function verifyHandle(handle: FileHandle, scope: OpenScope): Promise<Stats> {
  const opened = await handle.stat();
  let now: Stats;
  try {
    const real = await realpath(scope.real);
    if (real !== scope.real || !isInside(real, scope.realRoot)) throw new Error('moved');
    now = await stat(real);
  } catch {
    throw denied(scope.input, scope.roots, 'the path changed while it was being opened');
  }
  if (now.dev !== opened.dev || now.ino !== opened.ino) {
    throw denied(scope.input, scope.roots, 'the path changed while it was being opened');
  }
  return opened;
}
