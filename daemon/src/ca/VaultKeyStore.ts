import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { Vault, vaultPaths, type OsKeyring, type PassphraseSource, type VaultBackendInfo, type VaultOpenOptions, type VaultSettings } from '@palyra/shared/vault';
import { CA_CERT_FILE, CA_KEY_FILE, SERVER_KEY_FILE } from './constants.js';
import { findExistingKeyMaterial } from './existingKeyMaterial.js';
import { PlaintextKeyFiles } from './PlaintextKeyFiles.js';
import { StateDirectory } from '@palyra/shared/fs';
import type { CaKeyStore } from './types.js';

/** Name of the daemon's vault (its OS vault entry is `palyra-vault` / `palyrad/<vault id>`). */
export const DAEMON_VAULT_NAME = 'palyrad';
const KEY_NAMES = [CA_KEY_FILE, SERVER_KEY_FILE] as const;
/** The vault record of the audit log's HMAC key. */
export const AUDIT_KEY_RECORD = 'audit.key';

export interface OpenVaultKeyStoreOptions extends VaultSettings {
  stateDir: string;
  passphrase?: PassphraseSource;
  env?: NodeJS.ProcessEnv;
  keyring?: OsKeyring;
  signal?: AbortSignal;
  /** Receives one line for people when plaintext keys were migrated. */
  onNotice?: (line: string) => void;
}

/**
 * The daemon's private keys encrypted at rest: the records `ca.key` and `server.key` of the
 * daemon's vault (`vault.v1.enc` in the state dir), whose data key is in the OS vault, or
 * comes from a passphrase or a key file. The vault is bound to a random daemon id.
 *
 * Opening it migrates the first slice's plaintext `ca.key` / `server.key`: they are checked
 * (the CA key must match ca.crt), stored, read back from disk, and only then deleted. A
 * failed check changes nothing. A vault that is missing while the state directory holds
 * key material (certificates, a key file, paired nodes) is PALYRA_E_VAULT_MISSING, and
 * nothing is written: a new vault would not hold the CA key those belong with.
 */
export class VaultKeyStore implements CaKeyStore {
  private constructor(private readonly vault: Vault) {}

  get backend(): VaultBackendInfo {
    return this.vault.backend;
  }

  /** The daemon id the vault is bound to. */
  get daemonId(): string {
    return this.vault.owner;
  }

  static async open(options: OpenVaultKeyStoreOptions): Promise<VaultKeyStore> {
    const state = await StateDirectory.open(options.stateDir);
    const { file, defaultKeyFile } = vaultPaths(state.path);
    const vaultOptions: VaultOpenOptions = {
      file,
      name: DAEMON_VAULT_NAME,
      defaultKeyFile,
      ...(options.choice === undefined ? {} : { choice: options.choice }),
      ...(options.keyFile === undefined ? {} : { keyFile: options.keyFile }),
      ...(options.osTimeoutMs === undefined ? {} : { osTimeoutMs: options.osTimeoutMs }),
      ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.keyring === undefined ? {} : { keyring: options.keyring }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };
    const legacy = await readLegacyKeys(state);
    let vault = await Vault.open(vaultOptions);
    // A new vault is made only for a new CA or to take in the first slice's plaintext CA key:
    // next to an existing CA it would hold no CA key, and the start would fail after writing it.
    if (vault === undefined && !legacy.has(CA_KEY_FILE)) await refuseLostVault(state, file, defaultKeyFile);
    if (legacy.size === 0) {
      vault ??= await (await Vault.prepare(vaultOptions)).create(newDaemonId());
      return new VaultKeyStore(vault);
    }

    // Migration of plaintext keys: everything is checked before anything is written.
    if (vault === undefined) {
      vault = await (await Vault.prepare(vaultOptions)).create(newDaemonId(), legacy);
    } else {
      const target = vault;
      await target.update((records) => {
        for (const [name, pem] of legacy) {
          const existing = records.get(name);
          if (existing === undefined) {
            records.set(name, { value: Buffer.from(pem).toString('base64'), created: now(), updated: now(), version: 1, meta: {} });
          } else if (!Buffer.from(existing.value, 'base64').equals(Buffer.from(pem))) {
            throw new PalyraError(
              'PALYRA_E_CA_INVALID',
              `${state.file(name)} (plaintext) and ${name} in ${target.file} differ; nothing was changed: ` +
                `remove the one that is not current (the vault's copy is the one the daemon last used)`,
              { details: { stateDir: state.path } },
            );
          }
        }
      });
    }
    for (const [name, pem] of legacy) {
      const back = await vault.get(name);
      if (back === undefined || !Buffer.from(back.value).equals(Buffer.from(pem))) {
        throw new PalyraError('PALYRA_E_STATE_IO', `migrating ${state.file(name)} into ${vault.file} failed: it did not read back the same; the plaintext file is kept`);
      }
    }
    for (const name of legacy.keys()) await rm(state.file(name), { force: true });
    options.onNotice?.(`moved ${[...legacy.keys()].join(' and ')} into ${vault.backend.description}; the plaintext files are deleted`);
    return new VaultKeyStore(vault);
  }

  async read(name: string): Promise<Buffer | null> {
    const record = await this.vault.get(name);
    return record === undefined ? null : Buffer.from(record.value);
  }

  async create(name: string, pem: string): Promise<boolean> {
    return this.vault.update((records) => {
      if (records.has(name)) return false;
      const at = now();
      records.set(name, { value: Buffer.from(pem, 'utf8').toString('base64'), created: at, updated: at, version: 1, meta: {} });
      return true;
    });
  }

  /**
   * The audit log's 256-bit HMAC key (record `audit.key`), created on first use. Kept here,
   * encrypted with the CA key, so that whoever can edit the audit files but cannot open the
   * vault cannot recompute the chain (daemon/src/audit/AuditLog.ts).
   */
  async auditKey(): Promise<{ key: Buffer; created: boolean }> {
    const existing = await this.vault.get(AUDIT_KEY_RECORD);
    if (existing !== undefined) return { key: checkAuditKey(Buffer.from(existing.value), this.vault.file), created: false };
    const fresh = randomBytes(32);
    // Created only when absent (update runs under the vault's lock): two starts cannot race two keys in.
    const created = await this.vault.update((records) => {
      if (records.has(AUDIT_KEY_RECORD)) return false;
      const at = now();
      records.set(AUDIT_KEY_RECORD, { value: fresh.toString('base64'), created: at, updated: at, version: 1, meta: {} });
      return true;
    });
    const stored = await this.vault.get(AUDIT_KEY_RECORD);
    if (stored === undefined) throw new PalyraError('PALYRA_E_STATE_IO', `the audit key could not be stored in ${this.vault.file}`);
    // `created`: the audit log cannot have existed before (AuditLog's keyIsNew).
    return { key: checkAuditKey(Buffer.from(stored.value), this.vault.file), created };
  }

  async replace(name: string, pem: string): Promise<void> {
    await this.vault.put(name, Buffer.from(pem, 'utf8'));
  }

  where(name: string): string {
    return `${name} in ${this.vault.file}`;
  }
}

/** PALYRA_E_VAULT_MISSING, before anything is written, when the state dir already holds key material. */
async function refuseLostVault(state: StateDirectory, file: string, defaultKeyFile: string): Promise<void> {
  const found = await findExistingKeyMaterial(state, defaultKeyFile);
  if (found.length === 0) return;
  throw new PalyraError(
    'PALYRA_E_VAULT_MISSING',
    `the vault ${file} is missing, but ${state.path} already holds ${found.join(', ')}; the CA key and the server key were in that vault. ` +
      `Nothing was changed: restore ${basename(file)} from a backup (with its key: the OS vault entry, the passphrase or the key file), ` +
      'or move the state directory away to create a new CA (every node must then pair again)',
    { details: { stateDir: state.path, missing: file, found } },
  );
}

function checkAuditKey(key: Buffer, file: string): Buffer {
  if (key.length !== 32) throw new PalyraError('PALYRA_E_CA_INVALID', `the audit key in ${file} is ${key.length} bytes, not 32: restore the vault from a backup`);
  return key;
}

function now(): string {
  return new Date().toISOString();
}

function newDaemonId(): string {
  return `palyrad-${randomBytes(16).toString('hex')}`;
}

/**
 * The first slice's plaintext keys that are worth migrating. The CA key must be a private
 * key matching ca.crt (when there is one), else PALYRA_E_CA_INVALID and nothing changes. A
 * server key that is not a private key is left alone: the CA issues a new one anyway.
 */
async function readLegacyKeys(state: StateDirectory): Promise<Map<string, Uint8Array>> {
  const plaintext = new PlaintextKeyFiles(state);
  const found = new Map<string, Uint8Array>();
  for (const name of KEY_NAMES) {
    const bytes = await plaintext.read(name);
    if (bytes === null) continue;
    let key;
    try {
      key = createPrivateKey(bytes);
    } catch (error) {
      if (name === SERVER_KEY_FILE) continue;
      throw new PalyraError(
        'PALYRA_E_CA_INVALID',
        `${state.file(name)} could not be read as a private key (${(error as Error).message}); nothing was changed: restore it from a backup`,
        { cause: error, details: { stateDir: state.path } },
      );
    }
    if (name === CA_KEY_FILE) {
      const cert = await state.readPublic(CA_CERT_FILE);
      if (cert !== null) {
        let matches = false;
        try {
          matches = new X509Certificate(cert).checkPrivateKey(key);
        } catch {
          matches = false;
        }
        if (!matches) {
          throw new PalyraError(
            'PALYRA_E_CA_INVALID',
            `${state.file(name)} does not match the certificate in ${state.file(CA_CERT_FILE)}; nothing was changed: restore both from a backup`,
            { details: { stateDir: state.path } },
          );
        }
      }
    }
    found.set(name, new Uint8Array(bytes));
  }
  return found;
}
