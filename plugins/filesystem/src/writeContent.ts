import { randomBytes } from 'node:crypto';
import { lstat, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { fsError, throwIfAborted } from './errors.js';
import { APPEND_FLAGS, CREATE_FLAGS, openConfined, type OpenScope } from './handles.js';

export type WriteMode = 'create' | 'overwrite' | 'append';

const WRITE_CHUNK_BYTES = 1024 * 1024;

/** Writes `data` to the confined path `scope.real` in the given mode. */
export async function writeContent(scope: OpenScope, mode: WriteMode, data: Uint8Array, signal: AbortSignal): Promise<void> {
  if (mode === 'create') return createFile(scope, data, signal);
  if (mode === 'append') return appendFile(scope, data);
  return replaceFile(scope, data, signal);
}

/** A new file (O_EXCL): an existing name, a symlink included, is an error. */
async function createFile(scope: OpenScope, data: Uint8Array, signal: AbortSignal): Promise<void> {
  let opened: Awaited<ReturnType<typeof openConfined>>;
  try {
    opened = await openConfined(scope, CREATE_FLAGS, 'create', 0o666);
  } catch (error) {
    if (error instanceof PalyraError && error.details?.errno === 'EEXIST') {
      throw new PalyraError('PALYRA_E_FS_IO', `cannot create ${JSON.stringify(scope.input)}: it already exists (use mode overwrite or append)`, {
        cause: error,
        details: { path: scope.input, errno: 'EEXIST' },
      });
    }
    throw error;
  }
  try {
    await writeAll(opened.handle, data, signal, scope.input);
  } catch (error) {
    await opened.handle.close();
    await unlink(scope.real).catch(() => undefined);
    throw error;
  }
  await opened.handle.close();
}

/** Appends in one go: an aborted dispatch must not leave half of the content appended. */
async function appendFile(scope: OpenScope, data: Uint8Array): Promise<void> {
  const { handle, stats } = await openConfined(scope, APPEND_FLAGS, 'append to', 0o666);
  try {
    if (!stats.isFile()) {
      throw new PalyraError('PALYRA_E_FS_IO', `cannot append to ${JSON.stringify(scope.input)}: it is not a regular file`, {
        details: { path: scope.input },
      });
    }
    await writeAll(handle, data, undefined, scope.input);
  } finally {
    await handle.close();
  }
}

/**
 * Replaces the file atomically: a temp file in the same directory, fsync, rename over the
 * target. Readers see the old or the new content; an existing file keeps its permissions.
 */
async function replaceFile(scope: OpenScope, data: Uint8Array, signal: AbortSignal): Promise<void> {
  const temp = join(dirname(scope.real), `.${basename(scope.real)}.${randomBytes(6).toString('hex')}.palyra-tmp`);
  const existingMode = await regularFileMode(scope);
  const { handle } = await openConfined({ ...scope, real: temp }, CREATE_FLAGS, 'write', 0o666);
  try {
    try {
      if (existingMode !== undefined) await handle.chmod(existingMode);
      await writeAll(handle, data, signal, scope.input);
      await handle.sync();
    } finally {
      await handle.close();
    }
    throwIfAborted(signal);
    try {
      await rename(temp, scope.real);
    } catch (error) {
      throw fsError(error, scope.input, 'write');
    }
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The permission bits of the file being replaced, or undefined when there is none. */
async function regularFileMode(scope: OpenScope): Promise<number | undefined> {
  let stats: Stats;
  try {
    stats = await lstat(scope.real);
  } catch {
    return undefined;
  }
  if (stats.isDirectory()) {
    throw new PalyraError('PALYRA_E_FS_IO', `cannot overwrite ${JSON.stringify(scope.input)}: it is a directory`, {
      details: { path: scope.input, errno: 'EISDIR' },
    });
  }
  return stats.isFile() ? stats.mode & 0o7777 : undefined;
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
