import { join, resolve } from 'node:path';
import { checkPrivateDirectory } from './privateDirectory.js';
import { readOwnFile } from './readOwnFile.js';
import { writeFileAtomic } from './atomicWrite.js';

/** Key and certificate files are small; refuse to slurp anything bigger. */
const MAX_FILE_BYTES = 1024 * 1024;
const STATE_DIRECTORY = 'the state directory';

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
   * Writes a file that must not exist yet (writeFileAtomic, exclusive: linked into place, so
   * it fails instead of overwriting). Returns false, writing nothing, when it already exists.
   */
  async createExclusive(name: string, data: string | Uint8Array, mode: number): Promise<boolean> {
    return writeFileAtomic(this.file(name), data, { mode, exclusive: true });
  }

  /** Atomically replaces (or creates) a file (writeFileAtomic). */
  async replace(name: string, data: string | Uint8Array, mode: number): Promise<void> {
    await writeFileAtomic(this.file(name), data, { mode });
  }

  private async read(name: string, secret: boolean): Promise<Buffer | null> {
    const bytes = await readOwnFile(this.file(name), { secret, what: secret ? 'the key file' : 'the file', maxBytes: MAX_FILE_BYTES });
    return bytes ?? null;
  }
}
