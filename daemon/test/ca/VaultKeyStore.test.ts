/**
 * The daemon's keys encrypted at rest: a new CA goes straight into the vault, and the first
 * slice's plaintext ca.key / server.key are migrated (checked, stored, read back, deleted).
 */
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OS_VAULT_SERVICE } from '@palyra/shared';
import { CertificateAuthority, VaultKeyStore } from '../../src/ca/index.js';
import { itWithSecretService } from '../../../test/helpers/secretService.js';
import { expectCode } from '../../../test/helpers/errorAssertions.js';

const NO_BUS_ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const headless = { choice: 'file' as const, env: NO_BUS_ENV, passphrase: async () => undefined };

let root: string;
/** A first-slice state dir: plaintext ca.key, ca.crt, server.key, server.crt. */
let plaintext: string;
let other: string;
const scratch: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'palyra-daemon-keys-'));
  plaintext = join(root, 'plaintext');
  other = join(root, 'other');
  const [a] = await Promise.all([CertificateAuthority.loadOrCreate({ stateDir: plaintext }), CertificateAuthority.loadOrCreate({ stateDir: other })]);
  await a.ensureServerCertificate({ hosts: ['127.0.0.1'] });
});

afterEach(async () => {
  await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

afterAll(async () => {
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

async function copyOf(source: string, files = ['ca.key', 'ca.crt', 'server.key', 'server.crt']): Promise<string> {
  const dir = await mkdtemp(join(root, 'case-'));
  scratch.push(dir);
  await chmod(dir, 0o700);
  for (const file of files) {
    await copyFile(join(source, file), join(dir, file));
    await chmod(join(dir, file), file.endsWith('.key') ? 0o600 : 0o644);
  }
  return dir;
}

describe('VaultKeyStore', () => {
  it('keeps a new CA key and server key only in the encrypted vault', async () => {
    const dir = join(await mkdtemp(join(root, 'case-')), 'state');
    scratch.push(dir);
    await mkdir(dir, { mode: 0o700 });
    const keys = await VaultKeyStore.open({ stateDir: dir, ...headless });
    const ca = await CertificateAuthority.loadOrCreate({ stateDir: dir, keys });
    const server = await ca.ensureServerCertificate({ hosts: ['127.0.0.1'] });
    expect((await readdir(dir)).sort()).toEqual(['ca.crt', 'server.crt', 'vault.key', 'vault.v1.enc']);
    const raw = await readFile(join(dir, 'vault.v1.enc'));
    expect(raw.includes(Buffer.from('PRIVATE KEY'))).toBe(false);

    // A restart reads them back from the vault and reuses the server certificate.
    const again = await CertificateAuthority.loadOrCreate({ stateDir: dir, keys: await VaultKeyStore.open({ stateDir: dir, ...headless }) });
    expect(again.caFingerprint).toBe(ca.caFingerprint);
    const reused = await again.ensureServerCertificate({ hosts: ['127.0.0.1'] });
    expect(reused).toMatchObject({ issued: false, keyPem: server.keyPem });
  });

  it('migrates plaintext ca.key and server.key, then deletes them', async () => {
    const dir = await copyOf(plaintext);
    const caKey = await readFile(join(dir, 'ca.key'));
    const serverKey = await readFile(join(dir, 'server.key'));
    const notices: string[] = [];
    const keys = await VaultKeyStore.open({ stateDir: dir, ...headless, onNotice: (line) => notices.push(line) });
    expect((await readdir(dir)).sort()).toEqual(['ca.crt', 'server.crt', 'vault.key', 'vault.v1.enc']);
    expect((await keys.read('ca.key'))?.equals(caKey)).toBe(true);
    expect((await keys.read('server.key'))?.equals(serverKey)).toBe(true);
    expect(notices.join('\n')).toMatch(/moved ca\.key and server\.key into/);

    const before = await CertificateAuthority.loadOrCreate({ stateDir: plaintext });
    const ca = await CertificateAuthority.loadOrCreate({ stateDir: dir, keys });
    expect(ca.caFingerprint).toBe(before.caFingerprint);
    expect((await ca.ensureServerCertificate({ hosts: ['127.0.0.1'] })).issued).toBe(false);
  });

  it('refuses to migrate a CA key that does not match ca.crt, and changes nothing', async () => {
    const dir = await copyOf(plaintext);
    await copyFile(join(other, 'ca.key'), join(dir, 'ca.key'));
    const before = await readdir(dir);
    const error = await expectCode(VaultKeyStore.open({ stateDir: dir, ...headless }), 'PALYRA_E_CA_INVALID');
    expect(error.message).toContain('does not match');
    expect(await readdir(dir)).toEqual(before);
    expect((await readFile(join(dir, 'ca.key'))).equals(await readFile(join(other, 'ca.key')))).toBe(true);
  });

  it('refuses an unreadable plaintext CA key and a loose one, and changes nothing', async () => {
    const dir = await copyOf(plaintext);
    await writeFile(join(dir, 'ca.key'), 'not a key', { mode: 0o600 });
    await expectCode(VaultKeyStore.open({ stateDir: dir, ...headless }), 'PALYRA_E_CA_INVALID');
    await copyFile(join(plaintext, 'ca.key'), join(dir, 'ca.key'));
    await chmod(join(dir, 'ca.key'), 0o644);
    await expectCode(VaultKeyStore.open({ stateDir: dir, ...headless }), 'PALYRA_E_STATE_PERMISSIONS');
    expect((await readdir(dir)).sort()).toEqual(['ca.crt', 'ca.key', 'server.crt', 'server.key']);
  });

  it('finishes a migration that stopped after writing the vault, and refuses diverging copies', async () => {
    const dir = await copyOf(plaintext);
    await VaultKeyStore.open({ stateDir: dir, ...headless });
    // As if the plaintext files had survived a crash right after the vault was written.
    await copyFile(join(plaintext, 'ca.key'), join(dir, 'ca.key'));
    await chmod(join(dir, 'ca.key'), 0o600);
    await VaultKeyStore.open({ stateDir: dir, ...headless });
    expect(await readdir(dir)).not.toContain('ca.key');
    await copyFile(join(other, 'ca.key'), join(dir, 'ca.key'));
    await chmod(join(dir, 'ca.key'), 0o600);
    await copyFile(join(other, 'ca.crt'), join(dir, 'ca.crt'));
    await expectCode(VaultKeyStore.open({ stateDir: dir, ...headless }), 'PALYRA_E_CA_INVALID');
    expect(await readdir(dir)).toContain('ca.key');
  });

  itWithSecretService('migrates into the OS vault (gnome-keyring) when it is there', async () => {
    const dir = await copyOf(plaintext);
    const keys = await VaultKeyStore.open({ stateDir: dir, choice: 'auto' });
    expect(keys.backend).toMatchObject({ backend: 'os', keySource: 'os' });
    expect((await readdir(dir)).sort()).toEqual(['ca.crt', 'server.crt', 'vault.v1.enc']);
    const account = keys.backend.osEntry?.account ?? '';
    expect(account).toMatch(/^palyrad\//);
    const lookup = spawnSync('secret-tool', ['lookup', 'service', OS_VAULT_SERVICE, 'username', account]);
    expect(lookup.stdout.length).toBe(32);
    const ca = await CertificateAuthority.loadOrCreate({ stateDir: dir, keys: await VaultKeyStore.open({ stateDir: dir }) });
    expect(ca.caFingerprint).toBe((await CertificateAuthority.loadOrCreate({ stateDir: plaintext })).caFingerprint);
    spawnSync('secret-tool', ['clear', 'service', OS_VAULT_SERVICE, 'username', account]);
  });
});
