/**
 * The OS vault against a real gnome-keyring Secret Service (npm test starts one through
 * scripts/with-secret-service.sh), and the ways it can be missing: no secret service on the
 * bus, a locked collection, a frozen daemon. Those run on private buses of their own, so
 * locking or freezing never disturbs the suite's shared keyring.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CANARY_SERVICE, OS_VAULT_SERVICE, OsKeyring, Vault, type VaultOpenOptions } from '../../src/index.js';
import { PrivateBus, TempDirs, expectCode, fixedPassphrase, secretToolLookup } from './helpers.js';
import { TEST_SECRET_SERVICE, itWithSecretService } from '../../../test/helpers/secretService.js';

const dirs = new TempDirs();
afterEach(() => dirs.cleanup());

if (!TEST_SECRET_SERVICE) {
  describe('OS vault (Secret Service)', () => {
    itWithSecretService('runs against the private test Secret Service', async () => {});
  });
} else {
  describe('OS vault against a real gnome-keyring', () => {
    async function options(extra: Partial<VaultOpenOptions> = {}): Promise<VaultOpenOptions> {
      const dir = await dirs.make();
      return { file: join(dir, 'vault.v1.enc'), defaultKeyFile: join(dir, 'vault.key'), name: 'palyra-node', passphrase: fixedPassphrase(undefined), ...extra };
    }

    it('a canary round trip finds the secret service in time, and leaves no canary behind', async () => {
      const status = await new OsKeyring().probe();
      expect(status, JSON.stringify(status)).toMatchObject({ available: true, store: 'Secret Service (D-Bus)' });
      const { spawnSync } = await import('node:child_process');
      const left = spawnSync('secret-tool', ['search', '--all', 'service', CANARY_SERVICE], { encoding: 'utf8' });
      expect(left.stdout).not.toContain(CANARY_SERVICE);
    });

    it('stores a secret, reads it back, secret-tool sees it, and removes it', async () => {
      const keyring = new OsKeyring();
      const account = `test/${Date.now()}-${Math.random().toString(16).slice(2)}`;
      const secret = Buffer.from([0, 1, 2, 0xff, 0, 42, 10, 13]);
      await keyring.set('palyra-test', account, secret);
      expect(Buffer.from((await keyring.get('palyra-test', account)) ?? []).equals(secret)).toBe(true);
      expect(secretToolLookup('palyra-test', account)?.equals(secret)).toBe(true);
      expect(await keyring.delete('palyra-test', account)).toBe(true);
      expect(await keyring.get('palyra-test', account)).toBeUndefined();
      expect(secretToolLookup('palyra-test', account)).toBeUndefined();
      expect(await keyring.delete('palyra-test', account)).toBe(false);
    });

    it('auto keeps only a 32-byte data key in the keyring and the records in the encrypted file; destroy removes both', async () => {
      const opts = await options({ choice: 'auto' });
      const prepared = await Vault.prepare(opts);
      expect(prepared.backend).toMatchObject({ backend: 'os', keySource: 'os', osEntry: { service: OS_VAULT_SERVICE } });
      expect(prepared.backend.fallbackReason).toBeUndefined();
      const vault = await prepared.create('01HXDEVICE', new Map([['identity', Buffer.from('the identity, PEMs and all')]]));
      const account = vault.backend.osEntry?.account ?? '';
      expect(account).toMatch(/^palyra-node\/[0-9a-f]{32}$/);

      const stored = secretToolLookup(OS_VAULT_SERVICE, account);
      expect(stored?.length).toBe(32);
      const file = await readFile(opts.file);
      expect(file.includes(Buffer.from('the identity'))).toBe(false);
      await expect(stat(opts.defaultKeyFile as string)).rejects.toThrow();

      const reopened = await Vault.open({ ...opts, choice: 'os' });
      expect(Buffer.from((await reopened?.get('identity'))?.value ?? []).toString()).toBe('the identity, PEMs and all');
      await expectCode(Vault.open({ ...opts, choice: 'file' }), 'PALYRA_E_VAULT_MISMATCH');

      await vault.destroy();
      expect(secretToolLookup(OS_VAULT_SERVICE, account)).toBeUndefined();
      await expect(stat(opts.file)).rejects.toThrow();
    });

    it('a file whose data key is gone from the keyring is reported, and not changed', async () => {
      const opts = await options({ choice: 'os' });
      const vault = await (await Vault.prepare(opts)).create('01HXDEVICE');
      const entry = vault.backend.osEntry;
      await new OsKeyring().delete(entry?.service ?? '', entry?.account ?? '');
      const before = await readFile(opts.file);
      const error = await expectCode(Vault.open(opts), 'PALYRA_E_VAULT_KEY_MISSING');
      expect(error.message).toContain(entry?.account ?? '?');
      expect((await readFile(opts.file)).equals(before)).toBe(true);
    });
  });

  describe('OS vault missing, locked or frozen (private buses)', () => {
    let bus: PrivateBus | undefined;
    afterEach(async () => {
      await bus?.stop();
      bus = undefined;
    });

    async function options(env: NodeJS.ProcessEnv, extra: Partial<VaultOpenOptions> = {}): Promise<VaultOpenOptions> {
      const dir = await dirs.make();
      return { file: join(dir, 'vault.v1.enc'), defaultKeyFile: join(dir, 'vault.key'), name: 'palyra-node', env, passphrase: fixedPassphrase(undefined), ...extra };
    }

    it('a bus without a secret service: reported quickly, fallback only where allowed', async () => {
      bus = await PrivateBus.start();
      const status = await new OsKeyring({ env: bus.env }).probe();
      expect(status.available).toBe(false);
      if (!status.available) expect(status.reason).toMatch(/secret service|org\.freedesktop\.secrets|ServiceUnknown/i);
      await expectCode(Vault.prepare(await options(bus.env, { choice: 'os' })), 'PALYRA_E_VAULT_UNAVAILABLE');
      await expectCode(Vault.prepare(await options(bus.env, { choice: 'auto' })), 'PALYRA_E_VAULT_UNAVAILABLE');
      const allowed = await Vault.prepare(await options(bus.env, { choice: 'auto', passphrase: fixedPassphrase('a long passphrase') }));
      expect(allowed.backend).toMatchObject({ backend: 'file', keySource: 'passphrase' });
      expect(allowed.backend.fallbackReason).toBeDefined();
    });

    it('a locked collection: reported as locked, no hang, nothing written', async () => {
      bus = await PrivateBus.start();
      await bus.startKeyring();
      expect(await new OsKeyring({ env: bus.env }).probe()).toMatchObject({ available: true });
      bus.lockKeyring();
      const status = await new OsKeyring({ env: bus.env, timeoutMs: 1_000 }).probe();
      expect(status.available).toBe(false);
      // Bounds a hang; it is not a speed measurement (a helper process starts first).
      expect(status.elapsedMs).toBeLessThan(10_000);
      if (!status.available) expect(status.reason).toMatch(/locked|did not answer/);
      const opts = await options(bus.env, { choice: 'auto' });
      const error = await expectCode(Vault.prepare(opts), 'PALYRA_E_VAULT_UNAVAILABLE');
      expect(error.message).toMatch(/locked|did not answer/);
      await expect(stat(opts.file)).rejects.toThrow();
    });

    it('a frozen secret service: the helper is killed after the timeout and the caller goes on', async () => {
      bus = await PrivateBus.start();
      await bus.startKeyring();
      const opts = await options(bus.env, { choice: 'os' });
      const vault = await (await Vault.prepare(opts)).create('01HXDEVICE', new Map([['identity', Buffer.from('x')]]));
      bus.freezeKeyring();
      const started = performance.now();
      const status = await new OsKeyring({ env: bus.env, timeoutMs: 500 }).probe();
      expect(status.available).toBe(false);
      if (!status.available) expect(status.reason).toContain('did not answer within 500 ms');
      const error = await expectCode(Vault.open({ ...opts, osTimeoutMs: 500 }), 'PALYRA_E_VAULT_UNAVAILABLE');
      expect(error.message).toContain('frozen');
      expect(performance.now() - started).toBeLessThan(20_000);
      expect(vault.owner).toBe('01HXDEVICE');
    });
  });
}
