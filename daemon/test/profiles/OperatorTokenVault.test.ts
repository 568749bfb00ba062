import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PalyraError } from '@palyra/shared/errors';
import { OsKeyring } from '@palyra/shared/vault';
import { OPERATOR_VAULT_SERVICE, OperatorTokenVault } from '../../src/profiles/OperatorTokenVault.js';
import { itWithSecretService } from '../../../test/helpers/secretService.js';

const TOKEN = `pyt_01HZZZZZZZZZZZZZZZZZZZZZZZ_${'Q'.repeat(42)}A`;
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function configDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palyra-operator-vault-'));
  dirs.push(dir);
  return join(dir, 'palyra');
}

/** No session bus: the OS vault is certainly unavailable (and the user's keyring untouched). */
const NO_BUS: NodeJS.ProcessEnv = {};

describe('where operator tokens are kept', () => {
  it('without an OS vault, auto falls back to the encrypted file with a passphrase; the token never lies on disk in the clear', async () => {
    const dir = await configDir();
    const env = { PALYRA_VAULT_PASSPHRASE: 'a passphrase for the test' };
    const vault = new OperatorTokenVault({ configDir: dir, env, choice: 'auto' });
    expect(await vault.save('prod', TOKEN)).toBe('file');
    expect(await vault.save('ci', `${TOKEN.slice(0, -2)}AA`)).toBe('file');
    for (const file of await readdir(dir)) expect(await readFile(join(dir, file), 'latin1')).not.toContain(TOKEN.slice(-43));
    expect(await vault.load('prod', 'file')).toBe(TOKEN);
    expect(await vault.remove('prod', 'file')).toBe(true);
    await expect(vault.load('prod', 'file')).rejects.toMatchObject({ code: 'PALYRA_E_VAULT_KEY_MISSING' });
    expect(await vault.remove('ci', 'file')).toBe(true);
    // The last token gone: so is the vault file.
    expect((await readdir(dir)).filter((f) => f.startsWith('vault'))).toEqual([]);
  });

  it('auto without an OS vault or a passphrase says what to do; file makes a 0600 key file; os refuses', async () => {
    const dir = await configDir();
    const error = await new OperatorTokenVault({ configDir: dir, env: NO_BUS, choice: 'auto' }).save('prod', TOKEN).catch((e: unknown) => e as PalyraError);
    expect(error).toMatchObject({ code: 'PALYRA_E_VAULT_UNAVAILABLE' });
    expect((error as PalyraError).message).toMatch(/PALYRA_VAULT_PASSPHRASE.*--vault file/);
    await expect(new OperatorTokenVault({ configDir: dir, env: NO_BUS, choice: 'os' }).save('prod', TOKEN)).rejects.toMatchObject({ code: 'PALYRA_E_VAULT_UNAVAILABLE' });
    const file = new OperatorTokenVault({ configDir: dir, env: NO_BUS, choice: 'file' });
    expect(await file.save('prod', TOKEN)).toBe('file');
    expect((await readdir(dir)).sort()).toEqual(expect.arrayContaining(['vault.key', 'vault.v1.enc']));
    expect(await new OperatorTokenVault({ configDir: dir, env: NO_BUS }).load('prod', 'file')).toBe(TOKEN);
  });

  itWithSecretService('with a Secret Service: one item per profile, service palyra-operator, account the profile', async () => {
    const dir = await configDir();
    const vault = new OperatorTokenVault({ configDir: dir, choice: 'auto' });
    expect(await vault.save('desk', TOKEN)).toBe('os');
    expect(Buffer.from((await new OsKeyring().get(OPERATOR_VAULT_SERVICE, 'desk')) ?? []).toString()).toBe(TOKEN);
    expect(await vault.load('desk', 'os')).toBe(TOKEN);
    expect(await vault.remove('desk', 'os')).toBe(true);
    expect(await new OsKeyring().get(OPERATOR_VAULT_SERVICE, 'desk')).toBeUndefined();
  });
});
