import { randomBytes } from 'node:crypto';
import { lstat, rename, unlink, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { PalyraError } from '@palyra/shared/errors';
import type { Directory } from './Directory.js';
import { fsError } from './errors.js';
import { throwIfAborted } from '@palyra/plugin-sdk';
import { APPEND_FLAGS, CREATE_FLAGS, openIn, type OpenScope } from './handles.js';

export type WriteMode = 'create' | 'overwrite' | 'append';

const WRITE_CHUNK_BYTES = 1024 * 1024;

/** The file to write: `name` inside the verified directory `dir`. */
export interface WriteTarget extends OpenScope {
  readonly dir: Directory;
  readonly name: string;
}

/** Writes `data` to `name` in `dir` in the given mode; every step happens inside `dir`. */
export async function writeContent(target: WriteTarget, mode: WriteMode, data: Uint8Array, signal: AbortSignal): Promise<void> {
  if (mode === 'create') return createFile(target, data, signal);
  if (mode === 'append') return appendFile(target, data);
  return replaceFile(target, data, signal);
}

/** A new file (O_EXCL): an existing name, a symlink included, is an error. */
async function createFile(target: WriteTarget, data: Uint8Array, signal: AbortSignal): Promise<void> {
  let opened: Awaited<ReturnType<typeof openIn>>;
  try {
    opened = await openIn(target.dir, target.name, CREATE_FLAGS, target, 'create', 0o666);
  } catch (error) {
    if (error instanceof PalyraError && error.details?.errno === 'EEXIST') {
      throw new PalyraError('PALYRA_E_FS_IO', `cannot create ${JSON.stringify(target.input)}: it already exists (use mode overwrite or append)`, {
        cause: error,
        details: { path: target.input, errno: 'EEXIST' },
      });
    }
    throw error;
  }
  try {
    await writeAll(opened.handle, data, signal, target.input);
  } catch (error) {
    await opened.handle.close();
    await unlink(target.dir.at(target.name)).catch(() => undefined);
    throw error;
  }
  await opened.handle.close();
}

/** Appends in one go: an aborted dispatch must not leave half of the content appended. */
async function appendFile(target: WriteTarget, data: Uint8Array): Promise<void> {
  const { handle, stats } = await openIn(target.dir, target.name, APPEND_FLAGS, target, 'append to', 0o666);
  try {
    if (!stats.isFile()) {
      throw new PalyraError('PALYRA_E_FS_IO', `cannot append to ${JSON.stringify(target.input)}: it is not a regular file`, {
        details: { path: target.input },
      });
    }
    await writeAll(handle, data, undefined, target.input);
  } finally {
    await handle.close();
  }
}

/**
 * Replaces the file atomically: a temp file in the same verified directory, fsync, rename
 * over the target inside that directory. Readers see the old or the new content; an existing
 * file keeps its permissions. The temp file is removed through the same directory on failure.
 */
async function replaceFile(target: WriteTarget, data: Uint8Array, signal: AbortSignal): Promise<void> {
  const { dir, name } = target;
  const temp = `.${name}.${randomBytes(6).toString('hex')}.palyra-tmp`;
  const existingMode = await regularFileMode(target);
  const { handle } = await openIn(dir, temp, CREATE_FLAGS, target, 'write', 0o666);
  try {
    try {
      if (existingMode !== undefined) await handle.chmod(existingMode);
      await writeAll(handle, data, signal, target.input);
      await handle.sync();
    } finally {
      await handle.close();
    }
    throwIfAborted(signal);
    try {
      await rename(dir.at(temp), dir.at(name));
    } catch (error) {
      throw fsError(error, target.input, 'write');
    }
  } catch (error) {
    await unlink(dir.at(temp)).catch(() => undefined);
    throw error;
  }
}

/** The permission bits of the file being replaced, or undefined when there is none. */
async function regularFileMode(target: WriteTarget): Promise<number | undefined> {
  let stats: Stats;
  try {
    stats = await lstat(target.dir.at(target.name));
  } catch {
    return undefined;
  }
  if (stats.isDirectory()) {
    throw new PalyraError('PALYRA_E_FS_IO', `cannot overwrite ${JSON.stringify(target.input)}: it is a directory`, {
      details: { path: target.input, errno: 'EISDIR' },
    });
  }
  // Permission bits only: set-user-ID, set-group-ID and sticky bits of someone else's file
  // must not reappear on a new file the agent owns (a setuid binary with the caller's content).
  return stats.isFile() ? stats.mode & 0o777 : undefined;
}

async function writeAll(handle: FileHandle, data: Uint8Array, signal: AbortSignal | undefined, input: string): Promise<void> {
  let done = 0;
  while (done < data.byteLength) {
    if (signal !== undefined) throwIfAborted(signal);
    try {
      const { bytesWritten } = await handle.write(data, done, Math.min(WRITE_CHUNK_BYTES, data.byteLength - done));
      done += bytesWritten;
    } catch (error) {
      throw fsError(error, input, 'write');
    }
  }
}
