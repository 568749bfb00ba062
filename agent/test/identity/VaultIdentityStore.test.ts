import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OS_VAULT_SERVICE } from '@palyra/shared';
import { FileIdentityStore, VaultIdentityStore, type NodeIdentity } from '../../src/identity/index.js';
import { itWithSecretService } from '../../../test/helpers/secretService.js';
import { expectCode } from '../../../test/helpers/errorAssertions.js';

const NO_BUS_ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palyra-node-state-'));
  await chmod(dir, 0o700);
  dirs.push(dir);
  return dir;
}

function identity(deviceId = '01HXAMPLEDEVICE0000000000'): NodeIdentity {
  return {
    version: 1,
    deviceId,
    name: 'test-node',
    daemonAddress: '127.0.0.1:7443',
    caFingerprint: 'ab'.repeat(32),
    caCertPem: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
    certPem: '-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----\n',
    certExpiresAt: '2030-01-01T00:00:00.000Z',
    tlsPrivateKeyPem: '-----BEGIN PRIVATE KEY-----\nTLS-KEY-MATERIAL\n-----END PRIVATE KEY-----\n',
    ed25519PrivateKey: 'ZWQyNTUxOS1wcml2YXRl',
    ed25519PublicKey: 'ZWQyNTUxOS1wdWJsaWM=',
    x25519PrivateKey: 'eDI1NTE5LXByaXZhdGU=',
    x25519PublicKey: 'eDI1NTE5LXB1YmxpYw==',
    joinedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('VaultIdentityStore (encrypted file, headless)', () => {
  it('saves, loads and removes the identity; nothing readable is left on disk', async () => {
    const dir = await stateDir();
    const store = new VaultIdentityStore({ stateDir: dir, choice: 'file', env: NO_BUS_ENV, passphrase: async () => undefined });
    expect(await store.load()).toBeUndefined();
    const backend = await store.prepare();
    expect(backend).toMatchObject({ backend: 'file', keySource: 'keyfile' });
    expect(await readdir(dir)).toEqual([]);
    await store.save(identity());
    expect((await readdir(dir)).sort()).toEqual(['vault.key', 'vault.v1.enc']);
    const raw = await readFile(join(dir, 'vault.v1.enc'));
    expect(raw.includes(Buffer.from('TLS-KEY-MATERIAL'))).toBe(false);

    const again = new VaultIdentityStore({ stateDir: dir, env: NO_BUS_ENV, passphrase: async () => undefined });
    expect(await again.load()).toEqual(identity());
    expect(again.backendInfo).toMatchObject({ backend: 'file', keySource: 'keyfile' });
    expect(await again.remove()).toBe(true);
    expect(await readdir(dir)).toEqual([]);
    expect(await again.remove()).toBe(false);
  });

  it('refuses to store another device’s identity into an existing vault', async () => {
    const dir = await stateDir();
    const store = new VaultIdentityStore({ stateDir: dir, choice: 'file', env: NO_BUS_ENV, passphrase: async () => undefined });
    await store.save(identity());
    await expectCode(store.save(identity('01HXOTHERDEVICE0000000000')), 'PALYRA_E_VAULT_MISMATCH');
  });

  it('keeps scoped secrets in the same vault, and only once joined', async () => {
    const dir = await stateDir();
    const store = new VaultIdentityStore({ stateDir: dir, choice: 'file', env: NO_BUS_ENV, passphrase: async () => undefined });
    await expectCode(store.secretStore(), 'PALYRA_E_NOT_JOINED');
    await store.save(identity());
    await (await store.secretStore()).set('node', 'proxy-password', 'hunter22');
    const reopened = new VaultIdentityStore({ stateDir: dir, env: NO_BUS_ENV });
    expect((await (await reopened.secretStore()).get('node', 'proxy-password'))?.value).toBe('hunter22');
    await reopened.remove();
    await expectCode(new VaultIdentityStore({ stateDir: dir, env: NO_BUS_ENV }).secretStore(), 'PALYRA_E_NOT_JOINED');
  });
});

describe('migration of the first slice’s identity.v1.json', () => {
  async function legacyState(): Promise<{ dir: string; legacyPath: string; text: string }> {
    const dir = await stateDir();
    await new FileIdentityStore(dir).save(identity());
    const legacyPath = join(dir, 'identity.v1.json');
    return { dir, legacyPath, text: await readFile(legacyPath, 'utf8') };
  }

  it('moves the identity into the vault on first load, then deletes the old file', async () => {
    const { dir, legacyPath } = await legacyState();
    const notices: string[] = [];
    const store = new VaultIdentityStore({ stateDir: dir, choice: 'file', env: NO_BUS_ENV, passphrase: async () => undefined, onNotice: (line) => notices.push(line) });
    expect(await store.load()).toEqual(identity());
    await expect(stat(legacyPath)).rejects.toThrow();
    expect(notices.join('\n')).toContain('identity.v1.json');
    expect(await new VaultIdentityStore({ stateDir: dir, env: NO_BUS_ENV }).load()).toEqual(identity());
  });

  it('keeps the old file untouched when the vault cannot be created (auto, no OS vault, no passphrase)', async () => {
    const { dir, legacyPath, text } = await legacyState();
    const store = new VaultIdentityStore({ stateDir: dir, choice: 'auto', env: NO_BUS_ENV, passphrase: async () => undefined });
    const error = await expectCode(store.load(), 'PALYRA_E_VAULT_UNAVAILABLE');
    expect(error.message).toContain('--vault file');
    expect(await readFile(legacyPath, 'utf8')).toBe(text);
    expect(await readdir(dir)).toEqual(['identity.v1.json']);
  });

  it('keeps the old file untouched when it is corrupt', async () => {
    const dir = await stateDir();
    const legacyPath = join(dir, 'identity.v1.json');
    await writeFile(legacyPath, '{"version":1,"deviceId":"x"', { mode: 0o600 });
    await expectCode(new VaultIdentityStore({ stateDir: dir, choice: 'file', env: NO_BUS_ENV }).load(), 'PALYRA_E_IDENTITY_CORRUPT');
    expect(await readdir(dir)).toEqual(['identity.v1.json']);
  });

  it('leave removes a first-slice identity too', async () => {
    const { dir } = await legacyState();
    expect(await new VaultIdentityStore({ stateDir: dir, env: NO_BUS_ENV }).remove()).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  itWithSecretService('moves it into the OS vault (gnome-keyring), where secret-tool sees the data key', async () => {
    const { dir, legacyPath } = await legacyState();
    const store = new VaultIdentityStore({ stateDir: dir, choice: 'auto' });
    expect(await store.load()).toEqual(identity());
    expect(store.backendInfo).toMatchObject({ backend: 'os', keySource: 'os' });
    await expect(stat(legacyPath)).rejects.toThrow();
    const account = store.backendInfo?.osEntry?.account ?? '';
    const lookup = spawnSync('secret-tool', ['lookup', 'service', OS_VAULT_SERVICE, 'username', account]);
    expect(lookup.status).toBe(0);
    expect(lookup.stdout.length).toBe(32);
    expect(await store.remove()).toBe(true);
    expect(spawnSync('secret-tool', ['lookup', 'service', OS_VAULT_SERVICE, 'username', account]).status).not.toBe(0);
    expect(await readdir(dir)).toEqual([]);
  });
});
