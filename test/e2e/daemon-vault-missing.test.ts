/**
 * Issue 12, item 8: with vault.v1.enc deleted, `palyrad start` wrote a new vault (a new
 * daemon id, no CA key) and then failed with CA_INVALID saying "Nothing was changed", which
 * was untrue. Now a missing vault next to existing key material is PALYRA_E_VAULT_MISSING,
 * naming what was found and what is missing, and the state dir's files stay byte for byte
 * as they were. Real processes: a daemon, a paired node, the built binaries.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectErrorLine } from '../helpers/cliAssertions.js';
import { daemonCli, DaemonProcess, pairNode, stateDatabase } from '../helpers/daemonHarness.js';
import { snapshotTree } from '../helpers/fsSnapshot.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();

afterEach(async () => {
  await stopProcesses();
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

/** `palyrad start` that must refuse: the error message, and the state dir's files unchanged. */
async function refusedStart(stateDir: string): Promise<string> {
  // The daemon takes (and on failure removes) its lock file, which changes the directory's
  // own mtime; every file in it must stay as it was.
  const before = await snapshotTree(stateDir, { rootMtime: false });
  const result = await daemonCli(stateDir, 'start', '--listen', '127.0.0.1:0', '--vault', 'file');
  const message = expectErrorLine(result, 'PALYRA_E_VAULT_MISSING', 78, { logs: true });
  expect(await snapshotTree(stateDir, { rootMtime: false })).toEqual(before);
  expect(existsSync(join(stateDir, 'vault.v1.enc'))).toBe(false);
  return message;
}

describe('a deleted daemon vault (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('is never recreated next to a CA: PALYRA_E_VAULT_MISSING names what is there and what is missing, and nothing changes', async () => {
    const stateDir = join(await dirs.make('palyra-e2e-vault-missing-'), 'state');
    const nodeDir = join(await dirs.make('palyra-e2e-vault-missing-node-'), 'state');
    const daemon = await DaemonProcess.start(stateDir, ['--vault', 'file']);
    await pairNode(daemon, nodeDir, 'orphan');
    expect((await daemon.stop()).code).toBe(0);
    const vaultFile = join(stateDir, 'vault.v1.enc');
    expect(existsSync(vaultFile)).toBe(true);
    await rm(vaultFile);

    const message = await refusedStart(stateDir);
    expect(message).toContain(`the vault ${vaultFile} is missing`);
    for (const found of ['ca.crt (the CA certificate)', 'server.crt (the server certificate)', 'vault.key (the key file of a vault)', '1 paired node in palyrad.db']) {
      expect(message).toContain(found);
    }
    expect(message).toContain('Nothing was changed');

    // Each of them alone is enough: a passphrase vault leaves no key file, nodes may be gone.
    await rm(join(stateDir, 'vault.key'));
    await rm(stateDatabase(stateDir));
    await rm(`${stateDatabase(stateDir)}-wal`, { force: true });
    await rm(`${stateDatabase(stateDir)}-shm`, { force: true });
    await rm(join(stateDir, 'server.crt'));
    const caOnly = await refusedStart(stateDir);
    expect(caOnly).toContain('already holds ca.crt (the CA certificate);');

    // With no key material left, the directory is a fresh one: a new CA and vault are made.
    await rm(join(stateDir, 'ca.crt'));
    const fresh = await DaemonProcess.start(stateDir, ['--vault', 'file']);
    expect(fresh.ready.ca).not.toBe(daemon.ready.ca);
    expect(existsSync(vaultFile)).toBe(true);
    expect((await fresh.stop()).code).toBe(0);
  });
});
