import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';

const POSIX = process.platform !== 'win32';
const O_NOFOLLOW = fsConstants.O_NOFOLLOW ?? 0;
/** Key and certificate files are small; refuse to slurp anything bigger. */
const MAX_FILE_BYTES = 1024 * 1024;

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

/**
 * The daemon's state directory as the CA sees it: created 0700, refused when group or others
 * can reach it, key files read without following symlinks and refused when not 0600-tight,
 * files written to a temp file (fsynced) then linked or renamed into place.
 */
export class StateDirectory {
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  /** Creates the directory (0700) if missing, otherwise checks its type, owner and mode. */
  static async open(path: string): Promise<StateDirectory> {
    const dir = resolve(path);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new PalyraError('PALYRA_E_STATE_IO', `cannot create the state directory ${dir}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    let stats;
    try {
      stats = await stat(dir);
    } catch (error) {
      throw new PalyraError('PALYRA_E_STATE_IO', `cannot read the state directory ${dir}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (!stats.isDirectory()) {
      throw new PalyraError('PALYRA_E_STATE_IO', `the state path ${dir} exists and is not a directory`);
    }
    if (POSIX) {
      const uid = process.getuid?.();
      if (uid !== undefined && stats.uid !== uid && stats.uid !== 0) {
        throw new PalyraError(
          'PALYRA_E_STATE_PERMISSIONS',
          `the state directory ${dir} belongs to uid ${stats.uid}, not to this user (uid ${uid}): ` +
            `run palyrad as its owner or run \`chown -R ${uid} ${dir}\``,
          { details: { path: dir, uid: stats.uid } },
        );
      }
      if ((stats.mode & 0o077) !== 0) {
        throw new PalyraError(
          'PALYRA_E_STATE_PERMISSIONS',
          `the state directory ${dir} is accessible by group or others (mode ${octal(stats.mode)}): run \`chmod 700 ${dir}\``,
          { details: { path: dir, mode: octal(stats.mode) } },
        );
      }
    }
    return new StateDirectory(dir);
  }

  file(name: string): string {
    return join(this.path, name);
  }

  /**
   * Reads a private key file, or null when it does not exist. Refuses symlinks, non-regular
   * files and any group/other permission bit (PALYRA_E_STATE_PERMISSIONS).
   */
  async readSecret(name: string): Promise<Buffer | null> {
    return this.read(name, true);
  }

  /** Reads a public file (certificate), or null when it does not exist. */
  async readPublic(name: string): Promise<Buffer | null> {
    return this.read(name, false);
  }

  /**
   * Writes a file that must not exist yet: temp file (O_EXCL, mode), fsync, hard link into
   * place (fails instead of overwriting), fsync the directory. Returns false, writing
   * nothing, when the target already exists.
   */
  async createExclusive(name: string, data: string | Uint8Array, mode: number): Promise<boolean> {
    const target = this.file(name);
    const temp = await this.writeTemp(name, data, mode);
    try {
      await link(temp, target);
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return false;
      throw this.ioError(`cannot create ${target}`, error);
    } finally {
      await rm(temp, { force: true });
    }
    await this.syncDirectory();
    return true;
  }

  /** Atomically replaces (or creates) a file: temp file, fsync, rename, fsync the directory. */
  async replace(name: string, data: string | Uint8Array, mode: number): Promise<void> {
    const target = this.file(name);
    const temp = await this.writeTemp(name, data, mode);
    try {
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw this.ioError(`cannot replace ${target}`, error);
    }
    await this.syncDirectory();
  }

  private async read(name: string, secret: boolean): Promise<Buffer | null> {
    const path = this.file(name);
    let handle: FileHandle;
    try {
      handle = await open(path, fsConstants.O_RDONLY | O_NOFOLLOW);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT') return null;
      if (code === 'ELOOP') {
        throw new PalyraError('PALYRA_E_STATE_PERMISSIONS', `${path} is a symbolic link; replace it with the file itself`, {
          cause: error,
          details: { path },
        });
      }
      throw this.ioError(`cannot open ${path}`, error);
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) {
        throw new PalyraError('PALYRA_E_STATE_IO', `${path} is not a regular file`, { details: { path } });
      }
      if (secret && POSIX && (stats.mode & 0o077) !== 0) {
        throw new PalyraError(
          'PALYRA_E_STATE_PERMISSIONS',
          `the key file ${path} is accessible by group or others (mode ${octal(stats.mode)}): run \`chmod 600 ${path}\` ` +
            '(and treat the key as exposed if anyone else could read it)',
          { details: { path, mode: octal(stats.mode) } },
        );
      }
      if (stats.size > MAX_FILE_BYTES) {
        throw new PalyraError('PALYRA_E_STATE_IO', `${path} is ${stats.size} bytes, too large for a key or certificate`, {
          details: { path },
        });
      }
      return await handle.readFile();
    } catch (error) {
      if (error instanceof PalyraError) throw error;
      throw this.ioError(`cannot read ${path}`, error);
    } finally {
      await handle.close();
    }
  }

  private async writeTemp(name: string, data: string | Uint8Array, mode: number): Promise<string> {
    const temp = this.file(`.${name}.${randomBytes(6).toString('hex')}.tmp`);
    let handle: FileHandle;
    try {
      handle = await open(temp, 'wx', mode);
    } catch (error) {
      throw this.ioError(`cannot create ${temp}`, error);
    }
    try {
      // The mode given to open() is reduced by the umask; never leave it looser than asked.
      if (POSIX) await handle.chmod(mode);
      await handle.writeFile(data);
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw this.ioError(`cannot write ${temp}`, error);
    }
    await handle.close();
    return temp;
  }

  /** Makes the new directory entry durable. Best effort: some file systems refuse fsync on a directory. */
  private async syncDirectory(): Promise<void> {
    if (!POSIX) return;
    let handle: FileHandle | undefined;
    try {
      handle = await open(this.path, fsConstants.O_RDONLY);
      await handle.sync();
    } catch {
      // The link or rename has happened; only its durability across a power cut is unknown.
    } finally {
      await handle?.close();
    }
  }

  private ioError(message: string, cause: unknown): PalyraError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new PalyraError('PALYRA_E_STATE_IO', `${message}: ${reason}`, { cause });
  }
}
