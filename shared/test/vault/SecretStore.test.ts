import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_SECRET_BYTES, SecretStore, Vault } from '../../src/index.js';
import { NO_BUS_ENV, TempDirs, expectCode } from './helpers.js';

const dirs = new TempDirs();
afterEach(() => dirs.cleanup());

async function store(): Promise<{ secrets: SecretStore; vault: Vault; file: string }> {
  const dir = await dirs.make();
  const file = join(dir, 'vault.v1.enc');
  const vault = await (await Vault.prepare({ file, defaultKeyFile: join(dir, 'vault.key'), name: 'palyra-node', choice: 'file', env: NO_BUS_ENV, passphrase: async () => undefined })).create('01HXDEVICE');
  return { secrets: new SecretStore(vault), vault, file };
}

describe('SecretStore', () => {
  it('keys a secret by a hash of scope and key, and keeps created, updated and version', async () => {
    const { secrets, vault, file } = await store();
    const first = await secrets.set('plugin:browser', 'api-token', 'tok-1');
    expect(first).toMatchObject({ scope: 'plugin:browser', key: 'api-token', version: 1 });
    expect(first.created).toBe(first.updated);
    const second = await secrets.set('plugin:browser', 'api-token', 'tok-2');
    expect(second).toMatchObject({ version: 2, created: first.created });
    expect((await secrets.get('plugin:browser', 'api-token'))?.value).toBe('tok-2');

    const id = `secret:${createHash('sha256').update('palyra secret v1\0plugin:browser\0api-token').digest('hex')}`;
    expect(SecretStore.storageId('plugin:browser', 'api-token')).toBe(id);
    expect([...(await vault.records()).keys()]).toEqual([id]);
    const raw = await readFile(file);
    for (const visible of ['api-token', 'plugin:browser', 'tok-2']) expect(raw.includes(Buffer.from(visible))).toBe(false);
  });

  it('lists metadata only, per scope or all, and deletes', async () => {
    const { secrets } = await store();
    await secrets.set('node', 'proxy', 'p');
    await secrets.set('plugin:a', 'k2', 'v');
    await secrets.set('plugin:a', 'k1', 'v');
    expect((await secrets.list()).map((s) => `${s.scope}/${s.key}`)).toEqual(['node/proxy', 'plugin:a/k1', 'plugin:a/k2']);
    expect((await secrets.list('plugin:a')).map((s) => s.key)).toEqual(['k1', 'k2']);
    expect(JSON.stringify(await secrets.list())).not.toContain('"value"');
    expect(await secrets.delete('plugin:a', 'k1')).toBe(true);
    expect(await secrets.delete('plugin:a', 'k1')).toBe(false);
    expect(await secrets.get('plugin:a', 'k1')).toBeUndefined();
    expect(await secrets.deleteScope('plugin:a')).toBe(1);
    expect((await secrets.list()).map((s) => s.scope)).toEqual(['node']);
  });

  it('a plugin scope sees its own secrets only', async () => {
    const { secrets } = await store();
    const alpha = secrets.forScope('plugin:alpha');
    const beta = secrets.forScope('plugin:beta');
    await alpha.set('token', 'alpha-secret');
    expect(await beta.get('token')).toBeUndefined();
    expect(await beta.list()).toEqual([]);
    expect(await beta.delete('token')).toBe(false);
    expect(await alpha.get('token')).toBe('alpha-secret');
    // No key can reach out of the scope.
    for (const key of ['../plugin:alpha/token', 'plugin:alpha\0token', '\0token']) {
      await expectCode(beta.get(key), 'PALYRA_E_INVALID_ARGUMENT');
    }
    expect(Object.keys(beta).sort()).toEqual(['delete', 'get', 'list', 'set']);
    expect(Object.isFrozen(beta)).toBe(true);
  });

  it('refuses bad scopes and keys, and values over the limit', async () => {
    const { secrets } = await store();
    for (const scope of ['', 'Plugin:x', 'plugin:', 'plugin:a/b', 'a b']) await expectCode(secrets.set(scope, 'k', 'v'), 'PALYRA_E_INVALID_ARGUMENT');
    for (const key of ['', '.hidden', 'a b', 'x'.repeat(129)]) await expectCode(secrets.set('node', key, 'v'), 'PALYRA_E_INVALID_ARGUMENT');
    await expectCode(secrets.set('node', 'big', 'x'.repeat(MAX_SECRET_BYTES + 1)), 'PALYRA_E_LIMIT_EXCEEDED');
  });
});
