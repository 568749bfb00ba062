import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PalyraError } from '../errors/index.js';

/** The file operations the atomic write uses (a test may pass one that fails on purpose). */
export type AtomicWriteFs = Pick<typeof nodeFs, 'open' | 'rename' | 'unlink'> & Partial<Pick<typeof nodeFs, 'link'>>;

export interface AtomicWriteOptions {
  /** The file's mode (set with chmod too, so the umask cannot loosen or tighten it). */
  mode: number;
  /** Create only: fail with `false` instead of replacing an existing file. */
  exclusive?: boolean;
  /** Honoured up to the rename (or link). */
  signal?: AbortSignal;
  fs?: AtomicWriteFs;
}

const POSIX = process.platform !== 'win32';

/**
 * The one atomic write: a unique temp file (O_EXCL, mode) in the target's directory, fsync,
 * rename over the target (or, `exclusive`, link into place, which fails instead of
 * replacing), fsync the directory. Readers see the old or the new content, never a torn
 * write; on failure the temp file is removed and the old file stays.
 *
 * One policy: a failed fsync is an error (PALYRA_E_STATE_IO), of the file or of the
 * directory, since the caller would otherwise believe written what a power cut can lose. The
 * only exception is a file system that cannot fsync a directory at all (EINVAL, ENOTSUP,
 * EISDIR; Windows cannot open one): there the rename's atomicity is all there is.
 *
 * Returns false only for an exclusive write whose target exists (nothing was written).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions): Promise<boolean> {
  const fs = options.fs ?? nodeFs;
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: nodeFs.FileHandle | undefined;
  let tempExists = false;
  try {
    options.signal?.throwIfAborted();
    handle = await fs.open(temp, 'wx', options.mode);
    tempExists = true;
    if (POSIX) await handle.chmod(options.mode);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    options.signal?.throwIfAborted();
    if (options.exclusive === true) {
      try {
        await (fs.link ?? nodeFs.link)(temp, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      }
    } else {
      await fs.rename(temp, path);
      tempExists = false;
    }
  } catch (error) {
    if (error instanceof PalyraError || options.signal?.aborted === true) throw error;
    throw atomicWriteError(path, 'write', error);
  } finally {
    await handle?.close().catch(() => undefined); // already failing: the write's error is the one to report
    if (tempExists) await fs.unlink(temp).catch(() => undefined); // a leftover temp file is harmless and named as one
  }
  await syncDirectory(dir, path, fs);
  return true;
}

/**
 * Makes a new directory entry durable (see writeFileAtomic for the policy); `path` is the
 * entry, for the message. Also for files put in place by other means (a database backup).
 */
export async function syncDirectory(dir: string, path: string, fs: Pick<AtomicWriteFs, 'open'> = nodeFs): Promise<void> {
  if (!POSIX) return;
  let handle: nodeFs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR') {
      throw atomicWriteError(path, 'make durable (fsync of its directory failed after the rename)', error);
    }
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function atomicWriteError(path: string, what: string, error: unknown): PalyraError {
  return new PalyraError('PALYRA_E_STATE_IO', `cannot ${what} ${path}: ${(error as Error).message}`, { cause: error, details: { file: path } });
}
