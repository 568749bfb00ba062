import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { PalyraError } from '@palyra/shared/errors';
import { assertPrivateFile, ensurePrivateDir, writePrivateFileAtomic } from '@palyra/shared/fs';
import { KeyedMutex } from './KeyedMutex.js';

/** What Playwright's `storageState` holds: cookies and each origin's localStorage. */
export type StorageState = Awaited<ReturnType<BrowserContext['storageState']>>;

/**
 * Named profiles: a profile is the storage state (cookies, localStorage) of the contexts
 * that used it, kept in `<profilesDir>/<name>.json` (mode 0600, in a 0700 directory), loaded
 * into a fresh context when a dispatch names it and saved when the dispatch ends. Dispatches
 * on one profile run one at a time, so none overwrites another's cookies.
 */
export class ProfileStore {
  private readonly mutex = new KeyedMutex();

  lock(dir: string, name: string, signal: AbortSignal, onAbort: () => Error): Promise<() => void> {
    return this.mutex.acquire(this.path(dir, name), signal, onAbort);
  }

  path(dir: string, name: string): string {
    return join(dir, `${name}.json`);
  }

  /** The saved state, or undefined for a profile never saved. */
  async load(dir: string, name: string): Promise<StorageState | undefined> {
    const file = this.path(dir, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new PalyraError('PALYRA_E_STATE_IO', `cannot read browser profile "${name}" (${file}): ${(error as Error).message}`, { cause: error });
    }
    await assertPrivateFile(file);
    try {
      const state = JSON.parse(text) as StorageState;
      if (!Array.isArray(state.cookies) || !Array.isArray(state.origins)) throw new Error('cookies or origins missing');
      return state;
    } catch (error) {
      throw new PalyraError('PALYRA_E_STATE_CORRUPT', `browser profile "${name}" (${file}) is not valid: ${(error as Error).message}; delete the file to start the profile afresh`, {
        cause: error,
      });
    }
  }

  async save(dir: string, name: string, state: StorageState): Promise<void> {
    await ensurePrivateDir(dir);
    await writePrivateFileAtomic(this.path(dir, name), `${JSON.stringify(state)}\n`);
  }
}
