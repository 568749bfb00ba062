import { lstat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { StateDirectory } from '@palyra/shared/fs';
import { RuntimeStateStore } from '../registry/RuntimeStateStore.js';
import { RUNTIME_STATE_FILE } from '../registry/types.js';
import { SQLITE_STORE_FILE } from '../store/openStore.js';
import { CA_CERT_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE } from './constants.js';

/**
 * What in a daemon's state directory shows that a CA already lives there, so that a vault
 * that is not there was lost rather than never made: the CA and server certificates, a
 * first-slice plaintext server key, the vault's generated key file, the state store and paired
 * nodes of a first-slice state file (they hold certificates of that CA). One line per thing found, for the error message; empty
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
  if (await present(state.file(SQLITE_STORE_FILE))) found.push(`${SQLITE_STORE_FILE} (the state store, which holds the paired nodes)`);
  const nodes = (await RuntimeStateStore.open({ stateDir: state.path })).snapshot().nodes.length;
  if (nodes > 0) found.push(`${nodes} paired node${nodes === 1 ? '' : 's'} in ${RUNTIME_STATE_FILE}`);
  return found;
}
