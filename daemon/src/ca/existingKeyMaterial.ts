import { lstat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { StateDirectory } from '@palyra/shared/fs';
import { RuntimeStateStore } from '../registry/RuntimeStateStore.js';
import { RUNTIME_STATE_FILE } from '../registry/types.js';
import { SQLITE_STORE_FILE } from '../store/openStore.js';
import { SqliteDatabase } from '../store/sqlite/SqliteDatabase.js';
import { CA_CERT_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE } from './constants.js';

/**
 * What in a daemon's state directory shows that a CA already lives there, so that a vault
 * that is not there was lost rather than never made: the CA and server certificates, a
 * first-slice plaintext server key, the vault's generated key file, and paired nodes (they
 * hold certificates of that CA). One line per thing found, for the error message; empty
 * for a state directory where a new CA may be created.
 *
 * An OS vault entry of a lost vault is not looked for: its account name holds the vault id,
 * which only the lost file knew, and the same user's other daemons have entries of their own.
 */
export async function findExistingKeyMaterial(state: StateDirectory, vaultKeyFile: string): Promise<string[]> {
  const found: string[] = [];
  const present = async (path: string): Promise<boolean> =>
    lstat(path).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
  if (await present(state.file(CA_CERT_FILE))) found.push(`${CA_CERT_FILE} (the CA certificate)`);
  if (await present(state.file(SERVER_CERT_FILE))) found.push(`${SERVER_CERT_FILE} (the server certificate)`);
  if (await present(state.file(SERVER_KEY_FILE))) found.push(`${SERVER_KEY_FILE} (a plaintext server key)`);
  if (await present(vaultKeyFile)) found.push(`${basename(vaultKeyFile)} (the key file of a vault)`);
  const nodes = (await RuntimeStateStore.open({ stateDir: state.path })).snapshot().nodes.length;
  if (nodes > 0) found.push(`${nodes} paired node${nodes === 1 ? '' : 's'} in ${RUNTIME_STATE_FILE}`);
  const database = state.file(SQLITE_STORE_FILE);
  if (await present(database)) {
    const stored = await pairedNodesIn(database);
    if (stored > 0) found.push(`${stored} paired node${stored === 1 ? '' : 's'} in ${SQLITE_STORE_FILE}`);
  }
  return found;
}

/** How many nodes the state database holds, read without writing to it (0 before its schema exists). */
async function pairedNodesIn(file: string): Promise<number> {
  const db = await SqliteDatabase.open(file);
  try {
    const table = await db.get("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'nodes'");
    if (table === undefined) return 0;
    return Number((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM nodes'))?.n ?? 0);
  } finally {
    await db.close();
  }
}
