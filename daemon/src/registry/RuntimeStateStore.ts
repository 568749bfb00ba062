import { constants } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import path from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { assertTrustedOwner, writeFileAtomic } from '@palyra/shared/fs';
import { stateCorruptError, stateIoError, statePermissionsError, stateVersionError } from './errors.js';
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
    const bytes = await readStateFile(fs, file);
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

/**
 * The file's bytes, or undefined when it does not exist. Checks type, owner and mode first;
 * a symbolic link is refused (the registry is trusted only as written by this user).
 */
async function readStateFile(fs: StateFs, file: string): Promise<Buffer | undefined> {
  let handle: nodeFs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') {
      throw new PalyraError('PALYRA_E_STATE_PERMISSIONS', `state file ${file} is a symbolic link; replace it with the file itself`, { cause: error, details: { file } });
    }
    throw stateIoError(file, 'open', error);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw stateIoError(file, 'read', new Error('not a regular file'));
    assertTrustedOwner(stat, file, 'state file');
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) throw statePermissionsError(file, stat.mode);
    return await handle.readFile();
  } catch (error) {
    if (error instanceof PalyraError) throw error;
    throw stateIoError(file, 'read', error);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Files written before derivations were kept out of the state file carry each code's `prs`
 * and `salt`: they load, without them (the next save writes the file without them; the
 * daemon ends the codes they belonged to, see NodeRegistry). Anything else about a code is
 * still validated strictly.
 */
function dropCodeDerivations(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const codes = (value as { pairingCodes?: unknown }).pairingCodes;
  if (!Array.isArray(codes)) return value;
  return {
    ...value,
    pairingCodes: codes.map((code: unknown) => {
      if (typeof code !== 'object' || code === null || Array.isArray(code)) return code;
      const { prs: _prs, salt: _salt, ...rest } = code as Record<string, unknown>;
      return rest;
    }),
  };
}

/** Decodes, parses and validates the file's bytes; `file` is only used in messages. */
export function parseRuntimeState(bytes: Uint8Array, file: string): RuntimeState {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw stateCorruptError(file, 'not valid UTF-8', error);
  }
  if (text.trim() === '') throw stateCorruptError(file, 'the file is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw stateCorruptError(file, `invalid JSON (${(error as Error).message})`, error);
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const version = (value as { version?: unknown }).version;
    if (typeof version === 'number' && Number.isSafeInteger(version) && version !== RUNTIME_STATE_VERSION) {
      throw stateVersionError(file, version, RUNTIME_STATE_VERSION);
    }
  }
  try {
    return validateRuntimeState(dropCodeDerivations(value));
  } catch (error) {
    if (error instanceof StateValidationError) throw stateCorruptError(file, error.message, error);
    throw error;
  }
}
