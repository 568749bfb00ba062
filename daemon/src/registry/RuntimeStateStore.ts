import * as nodeFs from 'node:fs/promises';
import path from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { writeFileAtomic } from '@palyra/shared/fs';
import { stateIoError } from './errors.js';
import { parseRuntimeState, readRuntimeStateFile } from './runtimeStateFile.js';
import { RUNTIME_STATE_FILE, RUNTIME_STATE_VERSION, type RuntimeState } from './types.js';
import { deepFreeze, throwIfAborted } from '@palyra/plugin-sdk';
import { StateValidationError, validateRuntimeState } from './validation.js';

/** The file-system calls the store makes; injectable so tests can make any step fail. */
export type StateFs = Pick<typeof nodeFs, 'open' | 'rename' | 'unlink'>;

export interface RuntimeStateStoreOptions {
  stateDir: string;
  signal?: AbortSignal;
  fs?: StateFs;
}

export function emptyRuntimeState(): RuntimeState {
  return { version: RUNTIME_STATE_VERSION, pairingCodes: [], requests: [], nodes: [], revoked: [] };
}

/**
 * Reads and atomically writes `node-runtime.v1.json`. A file that is corrupt, of another
 * version or open to group/others is refused and never modified.
 */
export class RuntimeStateStore {
  readonly path: string;
  private readonly dir: string;
  private readonly fs: StateFs;
  private current: RuntimeState;
  /** Saves run one after another in call order. */
  private tail: Promise<void> = Promise.resolve();

  private constructor(dir: string, fs: StateFs, state: RuntimeState) {
    this.dir = dir;
    this.path = path.join(dir, RUNTIME_STATE_FILE);
    this.fs = fs;
    this.current = state;
  }

  /**
   * Loads the state file. A missing file gives an empty state, not written until the first
   * save. Rejects with PALYRA_E_STATE_CORRUPT, _STATE_VERSION, _STATE_PERMISSIONS or _STATE_IO.
   */
  static async open({ stateDir, signal, fs = nodeFs }: RuntimeStateStoreOptions): Promise<RuntimeStateStore> {
    throwIfAborted(signal);
    const dir = path.resolve(stateDir);
    const file = path.join(dir, RUNTIME_STATE_FILE);
    const bytes = await readRuntimeStateFile(file, fs);
    throwIfAborted(signal);
    const state = bytes === undefined ? emptyRuntimeState() : parseRuntimeState(bytes, file);
    return new RuntimeStateStore(dir, fs, state);
  }

  /** A copy of the state as last loaded or saved. */
  snapshot(): RuntimeState {
    return structuredClone(this.current);
  }

  /**
   * Writes `state` atomically: unique temp file (0600, 'wx') in the state dir, fsync,
   * rename over the file, fsync the dir. The state is serialized when save() is called and
   * frozen, not copied (a copy cost more than the write at 10,000 nodes): the store keeps it
   * for snapshot(). Saves run in call order, so the last call wins. On failure (PALYRA_E_STATE_IO) the old
   * file is intact and the temp file removed. Aborting is honoured up to the rename.
   */
  save(state: RuntimeState, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
    let text: string;
    try {
      validateRuntimeState(state);
      deepFreeze(state);
      // Compact: at 10,000 nodes the file is ~5 MB rather than ~7 and is written faster (jq
      // reads it for a human).
      text = `${JSON.stringify(state)}\n`;
    } catch (error) {
      const problem = error instanceof StateValidationError ? error.message : String(error);
      return Promise.reject(
        new PalyraError('PALYRA_E_INTERNAL', `refusing to write ${this.path}, it would not load back: ${problem}`, {
          cause: error,
        }),
      );
    }
    const run = this.tail.then(() => this.write(state, text, signal));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async write(state: RuntimeState, text: string, signal: AbortSignal | undefined): Promise<void> {
    throwIfAborted(signal);
    try {
      await writeFileAtomic(this.path, text, { mode: 0o600, signal, fs: this.fs });
    } catch (error) {
      if (error instanceof PalyraError && error.code !== 'PALYRA_E_STATE_IO') throw error;
      throw stateIoError(this.path, 'write', error instanceof PalyraError ? error.cause : error);
    }
    this.current = state;
  }
}
