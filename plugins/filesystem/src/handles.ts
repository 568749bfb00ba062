import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Directory } from './Directory.js';
import { denied, errnoOf, fsError } from './errors.js';

/**
 * Never takes a terminal device as the agent's controlling terminal (an agent leading its
 * session, as a service does, would then get that terminal's hangup and ^C).
 */
const NOCTTY = constants.O_NOCTTY;
/** Read only; never through a final symlink; never blocks on a FIFO. */
export const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | NOCTTY;
/** A new file, failing when anything (a symlink included) already has the name. */
export const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** Append to a file, creating it; never through a final symlink; never blocks on a FIFO. */
export const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK | NOCTTY;

export interface OpenScope {
  /** What to name in errors: the caller's input. */
  readonly input: string;
  readonly roots: readonly string[];
}

/**
 * Opens `name` inside the verified directory `dir` (openat semantics, O_NOFOLLOW): the file
 * opened is the one named in that directory now, wherever the directory's path leads by then.
 * A symlink there (put in place after the walk looked at it) is refused.
 */
export async function openIn(
  dir: Directory,
  name: string,
  flags: number,
  scope: OpenScope,
  action: string,
  mode?: number,
): Promise<{ handle: FileHandle; stats: Stats }> {
  let handle: FileHandle;
  try {
    handle = await open(dir.at(name), flags, mode);
  } catch (error) {
    if (errnoOf(error) === 'ELOOP') throw denied(scope.input, scope.roots, 'its last component became a symbolic link');
    throw fsError(error, scope.input, action);
  }
  try {
    return { handle, stats: await handle.stat() };
  } catch (error) {
    await handle.close();
    throw fsError(error, scope.input, action);
  }
}
