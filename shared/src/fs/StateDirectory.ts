import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PalyraError } from '../errors/index.js';
import { POSIX } from './ownership.js';
import { checkPrivateDirectory } from './privateDirectory.js';
import { readOwnFile } from './readOwnFile.js';

/** Key and certificate files are small; refuse to slurp anything bigger. */
const MAX_FILE_BYTES = 1024 * 1024;
const STATE_DIRECTORY = 'the state directory';

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/**
 * A program's state directory (the daemon's, a node's): created 0700; refused when it, or the
 * way to it, belongs to another user or others can reach into it; files read without
 * following symlinks and refused when another user owns them or they are not tight enough
 * (readOwnFile); files written to a temp file (fsynced) then linked or renamed into place.
 */
export class StateDirectory {
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Creates the directory (0700) if missing, otherwise checks it and the way to it: it and
   * every directory and symbolic link on the way belong to this user or root, and nobody
   * else can reach into it (checkPrivateDirectory). The daemon and the agent both open their
   * state directory here, so both refuse the same things with the same errors.
   */
  static async open(path: string): Promise<StateDirectory> {
    const dir = resolve(path);
    await checkPrivateDirectory(dir, { create: true, what: STATE_DIRECTORY });
    return new StateDirectory(dir);
  }

  /** Like open, for a reader that must not create anything: undefined when the directory does not exist. */
  static async openIfExists(path: string): Promise<StateDirectory | undefined> {
    const dir = resolve(path);
    return (await checkPrivateDirectory(dir, { what: STATE_DIRECTORY })) ? new StateDirectory(dir) : undefined;
  }

  file(name: string): string {
    return join(this.path, name);
  }

  /**
   * Reads a private key file, or null when it does not exist. Refuses symlinks, non-regular
   * files, another user's file and any group/other permission bit (PALYRA_E_STATE_PERMISSIONS).
   */
  async readSecret(name: string): Promise<Buffer | null> {
    return this.read(name, true);
  }

  /** Reads a public file (certificate), or null when it does not exist; like readSecret, but others may read it (not write it). */
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
    const bytes = await readOwnFile(this.file(name), { secret, what: secret ? 'the key file' : 'the file', maxBytes: MAX_FILE_BYTES });
    return bytes ?? null;
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
