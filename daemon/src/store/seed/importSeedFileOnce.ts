import path from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { parseRuntimeState, readRuntimeStateFile } from '../../registry/runtimeStateFile.js';
import { RUNTIME_STATE_FILE } from '../../registry/types.js';
import type { Store } from '../types.js';
import { importRuntimeState, SEED_IMPORT_KEY, sha256Hex, type ImportedCounts } from './importRuntimeState.js';

export type SeedImport =
  | { status: 'absent' }
  | { status: 'already-imported'; file: string; sha256: string }
  | { status: 'imported'; file: string; sha256: string; counts: ImportedCounts };

/**
 * Migrates the first releases' state file, `node-runtime.v1.json` in the state dir, into the
 * store, once: at the daemon's start, right after the store is opened.
 *
 * - No file: nothing to do.
 * - The file's SHA-256 is the one the store recorded (SEED_IMPORT_KEY): imported already.
 * - Otherwise the file is loaded with the checks it always had (a corrupt, newer or
 *   group/other-readable file is refused with PALYRA_E_STATE_CORRUPT, _VERSION or
 *   _PERMISSIONS) and written into the store in one transaction, with its hash, as it is.
 *   Codes still active in it end when the registry loads them, as codes a previous run of
 *   the daemon left active do (their derivations were never in the file). A store that
 *   already holds anything is refused (PALYRA_E_STATE_NOT_EMPTY): the two are never merged.
 *
 * The file is only ever read: it stays as it was, a backup of the state before the store.
 */
export async function importSeedFileOnce(store: Store, stateDir: string, { signal }: { signal?: AbortSignal } = {}): Promise<SeedImport> {
  signal?.throwIfAborted();
  const file = path.join(path.resolve(stateDir), RUNTIME_STATE_FILE);
  const bytes = await readRuntimeStateFile(file);
  if (bytes === undefined) return { status: 'absent' };
  const sha256 = sha256Hex(bytes);
  if ((await store.meta.get(SEED_IMPORT_KEY)) === sha256) return { status: 'already-imported', file, sha256 };
  const state = parseRuntimeState(bytes, file);
  try {
    const counts = await importRuntimeState(store, state, { sha256, source: file, signal });
    return { status: 'imported', file, sha256, counts };
  } catch (error) {
    if (!(error instanceof PalyraError) || error.code !== 'PALYRA_E_STATE_NOT_EMPTY') throw error;
    const holds = (error.details as { holds?: string[] } | undefined)?.holds ?? [];
    throw new PalyraError(
      'PALYRA_E_STATE_NOT_EMPTY',
      `${file} has not been imported into the state store ${store.location}, which already holds ${holds.join(', ')}: ` +
        `the daemon never merges the two. To keep the store, move ${RUNTIME_STATE_FILE} aside; to start from the file, ` +
        `move the store aside and start again (or use palyrad state import); nothing was changed`,
      { cause: error, details: { file, location: store.location, holds } },
    );
  }
}
