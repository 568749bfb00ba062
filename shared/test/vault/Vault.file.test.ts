/**
 * The encrypted-file backends of the vault (passphrase, key file) and the backend choice
 * when there is no OS vault. No D-Bus needed: these always run.
 */
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OsKeyring, Vault, VAULT_MAGIC, type VaultOpenOptions } from '../../src/index.js';
import { NO_BUS_ENV, TempDirs, expectCode, fixedPassphrase } from './helpers.js';

const dirs = new TempDirs();
afterEach(() => dirs.cleanup());

const PASSPHRASE = 'correct horse battery staple';

async function options(extra: Partial<VaultOpenOptions> = {}): Promise<VaultOpenOptions> {
  const dir = await dirs.make();
  return {
    file: join(dir, 'vault.v1.enc'),
    defaultKeyFile: join(dir, 'vault.key'),
    name: 'palyra-node',
    env: NO_BUS_ENV,
    passphrase: fixedPassphrase(undefined),
    ...extra,
  };
}

const text = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8'));

describe('Vault with a passphrase', () => {
  it('stores records encrypted, reads them back after reopening, and keeps their metadata', async () => {
    const opts = await options({ choice: 'file', passphrase: fixedPassphrase(PASSPHRASE) });
    const prepared = await Vault.prepare(opts);
    expect(prepared.backend).toMatchObject({ backend: 'file', keySource: 'passphrase', file: opts.file });
    const vault = await prepared.create('01HXDEVICE', new Map([['identity', Buffer.from('{"secret":"tls key"}')]]));
    const first = await vault.put('other', Buffer.from('one'));
    expect(first.version).toBe(1);
    const second = await vault.put('other', Buffer.from('two'));
    expect(second).toMatchObject({ version: 2, created: first.created });

    const raw = await readFile(opts.file);
    expect(raw.subarray(0, VAULT_MAGIC.length).equals(VAULT_MAGIC)).toBe(true);
    expect(raw.includes(Buffer.from('tls key'))).toBe(false);
    expect(raw.includes(Buffer.from('two'))).toBe(false);
    expect((await stat(opts.file)).mode & 0o777).toBe(0o600);

    const reopened = await Vault.open(opts);
    expect(reopened?.owner).toBe('01HXDEVICE');
    expect(text((await reopened?.get('identity'))?.value)).toBe('{"secret":"tls key"}');
    expect(await reopened?.get('other')).toMatchObject({ version: 2 });
    // The header records scrypt N = 2^15.
    expect(reopened?.header.key).toMatchObject({ source: 'passphrase', kdf: 'scrypt', logN: 15, r: 8, p: 1 });
  });

  it('refuses a wrong passphrase with PALYRA_E_VAULT_KEY_REJECTED and leaves the file as it was', async () => {
    const opts = await options({ choice: 'file', passphrase: fixedPassphrase(PASSPHRASE) });
    await (await Vault.prepare(opts)).create('01HXDEVICE', new Map([['identity', Buffer.from('x')]]));
    const before = await readFile(opts.file);
    const error = await expectCode(Vault.open({ ...opts, passphrase: fixedPassphrase('wrong passphrase!') }), 'PALYRA_E_VAULT_KEY_REJECTED');
    expect(error.message).toContain('wrong passphrase');
    expect(error.message).toContain('nothing was changed');
    expect((await readFile(opts.file)).equals(before)).toBe(true);
  });

  it('asks for the passphrase it needs, and says how to give it when none is at hand', async () => {
    const opts = await options({ choice: 'file', passphrase: fixedPassphrase(PASSPHRASE) });
    await (await Vault.prepare(opts)).create('01HXDEVICE');
    const error = await expectCode(Vault.open({ ...opts, passphrase: fixedPassphrase(undefined) }), 'PALYRA_E_VAULT_PASSPHRASE_REQUIRED');
    expect(error.message).toContain('PALYRA_VAULT_PASSPHRASE');
    await expectCode(Vault.prepare({ ...opts, passphrase: fixedPassphrase('short') }), 'PALYRA_E_INVALID_ARGUMENT');
  });
});

describe('Vault file tampering', () => {
  async function stored(): Promise<{ opts: VaultOpenOptions; bytes: Buffer }> {
    const opts = await options({ choice: 'file', passphrase: fixedPassphrase(PASSPHRASE) });
    const vault = await (await Vault.prepare(opts)).create('01HXDEVICE', new Map([['identity', Buffer.from('the identity')]]));
    await vault.put('secret:abc', Buffer.from('value'));
    return { opts, bytes: await readFile(opts.file) };
  }

  async function expectRefused(opts: VaultOpenOptions, bytes: Buffer, what: RegExp): Promise<void> {
    await writeFile(opts.file, bytes, { mode: 0o600 });
    const error = await expectCode(Vault.open(opts), 'PALYRA_E_VAULT_CORRUPT');
    expect(error.message).toMatch(what);
    expect(error.message).toContain('nothing was changed');
    expect((await readFile(opts.file)).equals(bytes)).toBe(true);
  }

  it('refuses a flipped ciphertext or tag byte', async () => {
    const { opts, bytes } = await stored();
    for (const offset of [bytes.length - 1, bytes.length - 40]) {
      const tampered = Buffer.from(bytes);
      tampered[offset] = (tampered[offset] ?? 0) ^ 0x01;
      await expectRefused(opts, tampered, /altered or truncated/);
    }
  });

  it('refuses an altered header (the owner is associated data)', async () => {
    const { opts, bytes } = await stored();
    const tampered = Buffer.from(bytes.toString('latin1').replace('01HXDEVICE', '01HXDEVICF'), 'latin1');
    expect(tampered.equals(bytes)).toBe(false);
    await expectRefused(opts, tampered, /altered or truncated/);
  });

  it('refuses truncated files, at every length', async () => {
    const { opts, bytes } = await stored();
    for (const length of [0, 5, 11, 40, bytes.length - 17, bytes.length - 1]) {
      await expectRefused(opts, bytes.subarray(0, length), /truncated|invalid header|unreadable header/);
    }
  });

  it('refuses a file that is not a vault', async () => {
    const { opts } = await stored();
    await expectRefused(opts, Buffer.from('-----BEGIN PRIVATE KEY-----\nMIIE...\n'), /not a Palyra vault file/);
  });

  it('never writes into a vault it cannot read', async () => {
    const opts = await options({ choice: 'file', passphrase: fixedPassphrase(PASSPHRASE) });
    const vault = await (await Vault.prepare(opts)).create('01HXDEVICE');
    const bytes = await readFile(opts.file);
    const tampered = Buffer.from(bytes);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0xff;
    await writeFile(opts.file, tampered, { mode: 0o600 });
    await expectCode(vault.put('other', Buffer.from('new')), 'PALYRA_E_VAULT_CORRUPT');
    expect((await readFile(opts.file)).equals(tampered)).toBe(true);
  });

  it('refuses a vault file others can read', async () => {
    const { opts } = await stored();
    await chmod(opts.file, 0o644);
    await expectCode(Vault.open(opts), 'PALYRA_E_STATE_PERMISSIONS');
  });
});

describe('Vault with a key file', () => {
  it('--vault file without a passphrase creates a 0600 key file in the state dir, and leave removes it', async () => {
    const opts = await options({ choice: 'file' });
    const prepared = await Vault.prepare(opts);
    expect(prepared.backend).toMatchObject({ backend: 'file', keySource: 'keyfile', keyFile: opts.defaultKeyFile });
    const vault = await prepared.create('01HXDEVICE', new Map([['identity', Buffer.from('id')]]));
    const keyFile = opts.defaultKeyFile as string;
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await readFile(keyFile, 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(text((await (await Vault.open(opts))?.get('identity'))?.value)).toBe('id');

    await vault.destroy();
    await expect(stat(opts.file)).rejects.toThrow();
    await expect(stat(keyFile)).rejects.toThrow();
  });

  it('uses an explicit key file, keeps it on destroy, and refuses another key, a loose mode or a missing file', async () => {
    const opts = await options({ choice: 'file' });
    const keyFile = join(await dirs.make(), 'palyra.key');
    await writeFile(keyFile, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    const vault = await (await Vault.prepare({ ...opts, keyFile })).create('01HXDEVICE', new Map([['identity', Buffer.from('id')]]));
    expect(vault.backend).toMatchObject({ keySource: 'keyfile', keyFile });
    // Found again through the header, without the flag.
    expect(text((await (await Vault.open(opts))?.get('identity'))?.value)).toBe('id');

    const before = await readFile(opts.file);
    const otherKey = join(await dirs.make(), 'other.key');
    await writeFile(otherKey, 'cd'.repeat(32), { mode: 0o600 });
    await expectCode(Vault.open({ ...opts, keyFile: otherKey }), 'PALYRA_E_VAULT_KEY_REJECTED');
    await writeFile(otherKey, 'not a key', { mode: 0o600 });
    await expectCode(Vault.open({ ...opts, keyFile: otherKey }), 'PALYRA_E_VAULT_KEY_REJECTED');
    await chmod(keyFile, 0o640);
    await expectCode(Vault.open(opts), 'PALYRA_E_STATE_PERMISSIONS');
    await chmod(keyFile, 0o600);
    await expectCode(Vault.open({ ...opts, keyFile: join(await dirs.make(), 'missing.key') }), 'PALYRA_E_VAULT_KEY_MISSING');
    expect((await readFile(opts.file)).equals(before)).toBe(true);

    await Vault.destroy({ file: opts.file, env: NO_BUS_ENV });
    expect((await stat(keyFile)).isFile()).toBe(true);
  });

  it('refuses to open a key-file vault as --vault os, and a passphrase vault with a key file', async () => {
    const opts = await options({ choice: 'file' });
    await (await Vault.prepare(opts)).create('01HXDEVICE');
    const error = await expectCode(Vault.open({ ...opts, choice: 'os' }), 'PALYRA_E_VAULT_MISMATCH');
    expect(error.message).toContain('--vault file');
    const other = await options({ choice: 'file', passphrase: fixedPassphrase(PASSPHRASE) });
    await (await Vault.prepare(other)).create('01HXDEVICE');
    await expectCode(Vault.open({ ...other, keyFile: opts.defaultKeyFile as string }), 'PALYRA_E_VAULT_MISMATCH');
  });
});

describe('choosing a backend without an OS vault', () => {
  it('auto without a session bus and without a passphrase fails fast, says why, and writes nothing', async () => {
    const opts = await options({ choice: 'auto' });
    const started = performance.now();
    const error = await expectCode(Vault.prepare(opts), 'PALYRA_E_VAULT_UNAVAILABLE');
    // No bus means no helper process is even started.
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error.message).toContain('no D-Bus session bus');
    expect(error.message).toContain('PALYRA_VAULT_PASSPHRASE');
    expect(error.message).toContain('--vault file');
    await expect(stat(opts.file)).rejects.toThrow();
    await expect(stat(opts.defaultKeyFile as string)).rejects.toThrow();
  });

  it('auto falls back to the passphrase file, and says so; never to a key file nobody asked for', async () => {
    const opts = await options({ choice: 'auto', passphrase: fixedPassphrase(PASSPHRASE) });
    const prepared = await Vault.prepare(opts);
    expect(prepared.backend.keySource).toBe('passphrase');
    expect(prepared.backend.fallbackReason).toContain('no D-Bus session bus');
    const keyFile = join(await dirs.make(), 'given.key');
    const withKeyFile = await Vault.prepare({ ...(await options({ choice: 'auto' })), keyFile });
    expect(withKeyFile.backend).toMatchObject({ keySource: 'keyfile', keyFile });
  });

  it('--vault os without an OS vault is an error, whatever else is at hand', async () => {
    const opts = await options({ choice: 'os', passphrase: fixedPassphrase(PASSPHRASE) });
    const error = await expectCode(Vault.prepare(opts), 'PALYRA_E_VAULT_UNAVAILABLE');
    expect(error.message).toContain('--vault os');
    await expectCode(Vault.prepare({ ...opts, keyFile: '/tmp/x.key' }), 'PALYRA_E_USAGE');
  });

  it('reports no bus without starting anything', async () => {
    const status = await new OsKeyring({ env: NO_BUS_ENV, platform: 'linux' }).probe();
    expect(status).toMatchObject({ available: false });
    if (!status.available) expect(status.reason).toContain('DBUS_SESSION_BUS_ADDRESS is unset');
  });
});

describe('Vault writers', () => {
  it('two vault handles writing at once lose nothing (the file lock)', async () => {
    const opts = await options({ choice: 'file' });
    await (await Vault.prepare(opts)).create('01HXDEVICE');
    const a = (await Vault.open(opts)) as Vault;
    const b = (await Vault.open(opts)) as Vault;
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).put(`r${i}`, Buffer.from(String(i)))));
    expect([...(await a.records()).keys()].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`).sort());
  });

  it('refuses record ids that could be prototype keys or paths', async () => {
    const opts = await options({ choice: 'file' });
    const vault = await (await Vault.prepare(opts)).create('01HXDEVICE');
    for (const id of ['__proto__', 'constructor ', '../x', 'UPPER', '']) {
      await expectCode(vault.put(id, Buffer.from('x')), 'PALYRA_E_INVALID_ARGUMENT');
    }
  });
});
