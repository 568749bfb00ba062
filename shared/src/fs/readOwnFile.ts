import { constants as fsConstants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { PalyraError } from '../errors/index.js';
import { POSIX, assertTrustedOwner, octalMode } from './ownership.js';

const O_NOFOLLOW = fsConstants.O_NOFOLLOW ?? 0;

export interface OwnFileOptions {
  /**
   * Key material or other secrets: refused when group or others have any permission bit.
   * Otherwise (certificates, status) refused only when group or others can write it.
   */
  secret: boolean;
  /** Starts messages: "the vault file", "the key file"... (default "the file"). */
  what?: string;
}

export interface ReadOwnFileOptions extends OwnFileOptions {
  maxBytes: number;
  /** The error for a file larger than maxBytes (default PALYRA_E_STATE_IO). */
  tooLarge?: (size: number) => PalyraError;
}

/**
 * Checks what fstat/lstat says about a file a program is about to trust: a regular file,
 * owned by the running user or root, and not open to others (see OwnFileOptions.secret).
 * PALYRA_E_STATE_PERMISSIONS (owner, mode) or PALYRA_E_STATE_IO (not a regular file).
 */
export function checkOwnFile(info: Stats, path: string, options: OwnFileOptions): void {
  const what = options.what ?? 'the file';
  if (!info.isFile()) throw new PalyraError('PALYRA_E_STATE_IO', `${what} ${path} is not a regular file`, { details: { path } });
  if (!POSIX) return;
  assertTrustedOwner(info, path, what);
  if (options.secret && (info.mode & 0o077) !== 0) {
    throw new PalyraError(
      'PALYRA_E_STATE_PERMISSIONS',
      `${what} ${path} is accessible by group or others (mode ${octalMode(info.mode)}): run \`chmod 600 ${path}\` ` +
        '(and treat the key as exposed if anyone else could read it)',
      { details: { path, mode: octalMode(info.mode) } },
    );
  }
  if (!options.secret && (info.mode & 0o022) !== 0) {
    throw new PalyraError(
      'PALYRA_E_STATE_PERMISSIONS',
      `${what} ${path} is writable by group or others (mode ${octalMode(info.mode)}): run \`chmod go-w ${path}\``,
      { details: { path, mode: octalMode(info.mode) } },
    );
  }
}

/**
 * Reads a file a program trusts (a key, its vault, a certificate), or undefined when it does
 * not exist. The file is opened without following a symbolic link (a link is refused) and
 * checked on the open handle (checkOwnFile), so what is checked is what is read.
 */
export async function readOwnFile(path: string, options: ReadOwnFileOptions): Promise<Buffer | undefined> {
  const what = options.what ?? 'the file';
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO put in the file's place must not block the open until someone writes
    // to it (checkOwnFile then refuses it as not a regular file); no effect on a regular file.
    handle = await open(path, fsConstants.O_RDONLY | O_NOFOLLOW | (fsConstants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') {
      throw new PalyraError('PALYRA_E_STATE_PERMISSIONS', `${what} ${path} is a symbolic link; replace it with the file itself`, {
        cause: error,
        details: { path },
      });
    }
    throw ioError(`cannot open ${what} ${path}`, error);
  }
  try {
    const info = await handle.stat();
    checkOwnFile(info, path, options);
    if (info.size > options.maxBytes) {
      throw options.tooLarge?.(info.size) ?? new PalyraError('PALYRA_E_STATE_IO', `${what} ${path} is ${info.size} bytes, more than the ${options.maxBytes} expected`, { details: { path } });
    }
    return await handle.readFile();
  } catch (error) {
    if (error instanceof PalyraError) throw error;
    throw ioError(`cannot read ${what} ${path}`, error);
  } finally {
    await handle.close();
  }
}

function ioError(message: string, cause: unknown): PalyraError {
  return new PalyraError('PALYRA_E_STATE_IO', `${message}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
}
