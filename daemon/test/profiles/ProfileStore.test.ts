import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PalyraError } from '@palyra/shared/errors';
import { operatorConfigDir } from '../../src/profiles/operatorConfigDir.js';
import { ProfileStore, type OperatorProfile } from '../../src/profiles/ProfileStore.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function home(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palyra-profiles-'));
  dirs.push(dir);
  return dir;
}

const profile: OperatorProfile = {
  daemon: '10.0.0.5:7445',
  caFingerprint: 'cd'.repeat(32),
  caCertPem: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n',
  createdAt: '2026-12-07T00:00:00.000Z',
  tokenId: '01HXAMPLE0000000000000000X',
  role: 'admin',
  tokenStore: 'os',
};

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error as PalyraError).code,
  );
}

describe('operator profiles', () => {
  it('lives in $XDG_CONFIG_HOME/palyra, else ~/.config/palyra', () => {
    expect(operatorConfigDir({ XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/palyra');
    expect(operatorConfigDir({ XDG_CONFIG_HOME: '', HOME: '/home/ann' })).toMatch(/\/\.config\/palyra$/);
  });

  it('saves profiles in a 0700 dir and a 0600 file, lists, replaces and removes them; an unknown one is PALYRA_E_PROFILE_NOT_FOUND', async () => {
    const dir = join(await home(), 'palyra');
    const store = new ProfileStore(dir);
    expect(await store.list()).toEqual(new Map());
    await store.put('prod', profile);
    await store.put('ci', { ...profile, role: 'operator', tokenStore: 'file' });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
    expect([...(await store.list()).keys()]).toEqual(['ci', 'prod']);
    expect(JSON.parse(await readFile(store.file, 'utf8'))).toMatchObject({ version: 1, profiles: { prod: profile } });
    await store.put('prod', { ...profile, role: 'viewer' });
    expect((await store.get('prod')).role).toBe('viewer');
    expect(await store.remove('prod')).toMatchObject({ role: 'viewer' });
    expect(await store.remove('prod')).toBeUndefined();
    expect(await codeOf(store.get('prod'))).toBe('PALYRA_E_PROFILE_NOT_FOUND');
  });

  it('refuses a file others can read, a directory others can enter, a corrupt or newer file', async () => {
    const dir = join(await home(), 'palyra');
    const store = new ProfileStore(dir);
    await store.put('prod', profile);
    await chmod(store.file, 0o644);
    expect(await codeOf(store.list())).toBe('PALYRA_E_STATE_PERMISSIONS');
    await chmod(store.file, 0o600);
    await chmod(dir, 0o755);
    expect(await codeOf(store.list())).toBe('PALYRA_E_STATE_PERMISSIONS');
    await chmod(dir, 0o700);
    await writeFile(store.file, '{"version":1,"profiles":{"prod":{"daemon":1}}}', { mode: 0o600 });
    expect(await codeOf(store.list())).toBe('PALYRA_E_CONFIG_INVALID');
    await writeFile(store.file, 'not json', { mode: 0o600 });
    expect(await codeOf(store.list())).toBe('PALYRA_E_CONFIG_INVALID');
    await writeFile(store.file, '{"version":2,"profiles":{}}', { mode: 0o600 });
    expect(await codeOf(store.list())).toBe('PALYRA_E_STATE_VERSION');
  });
});
