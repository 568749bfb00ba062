/**
 * The vault through the real palyra-node binary: where `status` says the identity lives,
 * `secrets set|get|list|delete` (values on stdin only), the migration of a first-slice
 * identity file, and `leave` removing the vault items.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OS_VAULT_SERVICE } from '@palyra/shared';
import { CertificateAuthority } from '../../daemon/src/ca/index.js';
import { FileIdentityStore, VaultIdentityStore, type NodeIdentity } from '../../agent/src/identity/index.js';
import { DaemonProcess } from '../helpers/daemonHarness.js';
import { E2E_TEST_TIMEOUT_MS, PALYRA_NODE, stopProcesses } from '../helpers/processes.js';
import { itWithSecretService } from '../helpers/secretService.js';


const dirs: string[] = [];
afterEach(async () => {
  await stopProcesses();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palyra-vault-cli-'));
  await chmod(dir, 0o700);
  dirs.push(dir);
  return dir;
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs palyra-node with `stdin` piped in, without any PALYRA_* setting of this process. */
function node(args: string[], { stdin = '', env = {} }: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PALYRA_')));
  const child = spawn(process.execPath, [PALYRA_NODE, ...args], { cwd: tmpdir(), env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function identity(): NodeIdentity {
  return {
    version: 1,
    deviceId: '01HXAMPLEDEVICE0000000000',
    name: 'cli-node',
    daemonAddress: '127.0.0.1:7443',
    caFingerprint: 'cd'.repeat(32),
    caCertPem: 'ca',
    certPem: 'cert',
    certExpiresAt: '2030-01-01T00:00:00.000Z',
    tlsPrivateKeyPem: 'tls key',
    ed25519PrivateKey: 'a',
    ed25519PublicKey: 'b',
    x25519PrivateKey: 'c',
    x25519PublicKey: 'd',
    joinedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('palyra-node and its vault', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('secrets set|get|list|delete: values from stdin, metadata in list --json, clear errors', async () => {
    const dir = await stateDir();
    const flags = ['--state-dir', dir, '--vault', 'file'];
    await new VaultIdentityStore({ stateDir: dir, choice: 'file', env: {} }).save(identity());

    const set = await node(['secrets', 'set', 'plugin:browser', 'api-token', ...flags, '--json'], { stdin: 'tok-1234\n' });
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ scope: 'plugin:browser', key: 'api-token', version: 1 });
    const get = await node(['secrets', 'get', 'plugin:browser', 'api-token', ...flags]);
    expect(get).toMatchObject({ code: 0, stdout: 'tok-1234' });
    expect((await node(['secrets', 'set', 'plugin:browser', 'api-token', ...flags], { stdin: 'tok-5678' })).code).toBe(0);

    const list = await node(['secrets', 'list', ...flags, '--json']);
    expect(list.code, list.stderr).toBe(0);
    const rows = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(rows).toEqual([{ scope: 'plugin:browser', key: 'api-token', created: expect.any(String), updated: expect.any(String), version: 2 }]);
    expect(list.stdout).not.toContain('tok-');

    // Never a value on the command line.
    const argv = await node(['secrets', 'set', 'node', 'password', 'hunter2', ...flags]);
    expect(argv.code).toBe(64);
    expect(argv.stderr).toMatch(/^error PALYRA_E_USAGE: /);
    const empty = await node(['secrets', 'set', 'node', 'password', ...flags]);
    expect(empty.stderr).toMatch(/^error PALYRA_E_USAGE: no value/);

    expect((await node(['secrets', 'delete', 'plugin:browser', 'api-token', ...flags])).code).toBe(0);
    const missing = await node(['secrets', 'get', 'plugin:browser', 'api-token', ...flags]);
    expect(missing.code).toBe(68);
    expect(missing.stderr).toMatch(/^error PALYRA_E_VAULT_SECRET_NOT_FOUND: /);
  });

  it('status says which backend holds the identity; leave removes the vault and its key file', async () => {
    const dir = await stateDir();
    await new VaultIdentityStore({ stateDir: dir, choice: 'file', env: {} }).save(identity());
    const status = await node(['status', '--json', '--state-dir', dir]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ joined: true, vault: { backend: 'file', keySource: 'keyfile', file: join(dir, 'vault.v1.enc') } });
    const text = await node(['status', '--state-dir', dir]);
    expect(text.stdout).toMatch(/^vault {3}file: encrypted file .*vault\.v1\.enc/m);

    // --vault os on a key-file vault is refused instead of silently used.
    const mismatch = await node(['status', '--json', '--state-dir', dir, '--vault', 'os']);
    expect(mismatch.stderr).toMatch(/^error PALYRA_E_VAULT_MISMATCH: /);

    const leave = await node(['leave', '--json', '--state-dir', dir]);
    expect(JSON.parse(leave.stdout)).toEqual({ removed: true, deviceId: identity().deviceId });
    expect(await readdir(dir)).toEqual([]);
  });

  it('leave removes a passphrase vault it cannot open (no passphrase, no terminal) and says so', async () => {
    const dir = await stateDir();
    await new VaultIdentityStore({ stateDir: dir, choice: 'file', env: { PALYRA_VAULT_PASSPHRASE: 'typed once at join' } }).save(identity());
    const leave = await node(['leave', '--state-dir', dir, '--vault', 'file']);
    expect(leave.code, leave.stderr).toBe(0);
    // Not "identity  deleted", a blank where the device id goes.
    expect(leave.stdout).toBe('identity deleted (its vault was removed unopened: the device id is unknown, find the node with palyrad nodes list)\n');
    expect(await readdir(dir)).toEqual([]);
  });

  it('migrates a first-slice identity.v1.json on first start', async () => {
    const dir = await stateDir();
    await new FileIdentityStore(dir).save(identity());
    const status = await node(['status', '--json', '--state-dir', dir, '--vault', 'file']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ joined: true, deviceId: identity().deviceId, vault: { backend: 'file' } });
    expect(status.stderr).toContain('identity.v1.json');
    expect((await readdir(dir)).sort()).toEqual(['vault.key', 'vault.v1.enc']);
  });

  it('auto on a headless machine without a passphrase refuses to guess', async () => {
    const dir = await stateDir();
    await new FileIdentityStore(dir).save(identity());
    const status = await node(['status', '--state-dir', dir], { env: { DBUS_SESSION_BUS_ADDRESS: '' } });
    expect(status.code).toBe(69);
    expect(status.stderr).toMatch(/^error PALYRA_E_VAULT_UNAVAILABLE: .*--vault file/);
    expect(await readdir(dir)).toEqual(['identity.v1.json']);
    // With a passphrase, auto may fall back to the encrypted file.
    const withPassphrase = await node(['status', '--json', '--state-dir', dir], { env: { DBUS_SESSION_BUS_ADDRESS: '', PALYRA_VAULT_PASSPHRASE: 'a long passphrase' } });
    expect(withPassphrase.code, withPassphrase.stderr).toBe(0);
    expect(JSON.parse(withPassphrase.stdout)).toMatchObject({ vault: { backend: 'file', keySource: 'passphrase' } });
    const wrong = await node(['status', '--state-dir', dir], { env: { DBUS_SESSION_BUS_ADDRESS: '', PALYRA_VAULT_PASSPHRASE: 'another passphrase' } });
    expect(wrong.stderr).toMatch(/^error PALYRA_E_VAULT_KEY_REJECTED: /);
  });

  itWithSecretService('on a desktop session the identity lives in the keychain (gnome-keyring)', async () => {
    const dir = await stateDir();
    await new FileIdentityStore(dir).save(identity());
    const status = await node(['status', '--json', '--state-dir', dir]);
    expect(status.code, status.stderr).toBe(0);
    const vault = (JSON.parse(status.stdout) as { vault: { backend: string; osEntry: { service: string; account: string } } }).vault;
    expect(vault).toMatchObject({ backend: 'os', osEntry: { service: OS_VAULT_SERVICE } });
    expect(spawnSync('secret-tool', ['lookup', 'service', OS_VAULT_SERVICE, 'username', vault.osEntry.account]).stdout.length).toBe(32);
    expect(await readdir(dir)).toEqual(['vault.v1.enc']);
    expect((await node(['leave', '--state-dir', dir])).code).toBe(0);
    expect(spawnSync('secret-tool', ['lookup', 'service', OS_VAULT_SERVICE, 'username', vault.osEntry.account]).status).not.toBe(0);
  });
});

describe('palyrad and its vault', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('migrates the plaintext keys of an older daemon on start, and starts again from the vault', async () => {
    const dir = join(await stateDir(), 'daemon');
    const old = await CertificateAuthority.loadOrCreate({ stateDir: dir });
    await old.ensureServerCertificate({ hosts: ['127.0.0.1'] });
    const first = await DaemonProcess.start(dir, ['--vault', 'file']);
    expect(first.ready.ca).toBe(old.caFingerprint);
    expect((first.ready as unknown as { vault: { backend: string; keySource: string } }).vault).toMatchObject({ backend: 'file', keySource: 'keyfile' });
    expect(first.process.stderr).toContain('moved ca.key and server.key into');
    await first.stop();
    expect((await readdir(dir)).filter((f) => f.endsWith('.key') || f.endsWith('.enc')).sort()).toEqual(['vault.key', 'vault.v1.enc']);
    const again = await DaemonProcess.start(dir, ['--vault', 'file']);
    expect(again.ready.ca).toBe(old.caFingerprint);
    await again.stop();
  });

  itWithSecretService('keeps its data key in the OS vault when asked (--vault os)', async () => {
    const dir = join(await stateDir(), 'daemon');
    const d = await DaemonProcess.start(dir, ['--vault', 'os']);
    const vault = (d.ready as unknown as { vault: { backend: string; osEntry: { account: string } } }).vault;
    expect(vault.backend).toBe('os');
    expect(spawnSync('secret-tool', ['lookup', 'service', OS_VAULT_SERVICE, 'username', vault.osEntry.account]).stdout.length).toBe(32);
    await d.stop();
    spawnSync('secret-tool', ['clear', 'service', OS_VAULT_SERVICE, 'username', vault.osEntry.account]);
  });
});
