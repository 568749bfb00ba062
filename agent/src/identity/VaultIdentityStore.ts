import { isDeepStrictEqual } from 'node:util';
import { PalyraError } from '@palyra/shared/errors';
import { StateDirectory } from '@palyra/shared/fs';
import { SecretStore, Vault, vaultPaths, type OsKeyring, type PassphraseSource, type PreparedVault, type VaultBackendInfo, type VaultOpenOptions, type VaultSettings } from '@palyra/shared/vault';
import { FileIdentityStore, parseIdentity } from './FileIdentityStore.js';
import type { IdentityStore, NodeIdentity } from './NodeIdentity.js';

/** Name of the node's vault (its OS vault entry is `palyra-vault` / `palyra-node/<vault id>`). */
export const NODE_VAULT_NAME = 'palyra-node';
const IDENTITY_RECORD = 'identity';

export interface VaultIdentityStoreOptions extends VaultSettings {
  stateDir: string;
  passphrase?: PassphraseSource;
  env?: NodeJS.ProcessEnv;
  keyring?: OsKeyring;
  /** Receives one line for people when the first slice's identity file is migrated. */
  onNotice?: (line: string) => void;
}

/**
 * The node identity in the node's vault (see Vault in @palyra/shared): the record
 * `identity` in `vault.v1.enc` in the state dir, encrypted with a data key kept in the OS
 * vault (or derived from a passphrase, or in an explicit key file), bound to the device id.
 *
 * An identity.v1.json left by the first slice is migrated on first load: stored in a new
 * vault, read back from disk, and only then deleted. The vault is opened once per store and
 * shared with the node's scoped secrets.
 */
export class VaultIdentityStore implements IdentityStore {
  readonly file: string;
  private readonly defaultKeyFile: string;
  private readonly legacy: FileIdentityStore;
  private vault: Vault | undefined;
  private prepared: PreparedVault | undefined;

  constructor(private readonly options: VaultIdentityStoreOptions) {
    const paths = vaultPaths(options.stateDir);
    this.file = paths.file;
    this.defaultKeyFile = paths.defaultKeyFile;
    this.legacy = new FileIdentityStore(options.stateDir);
  }

  /** Which backend holds (or will hold) the identity. */
  get backendInfo(): VaultBackendInfo | undefined {
    return this.vault?.backend ?? this.prepared?.backend;
  }

  get backend(): string {
    return this.backendInfo?.description ?? `none yet (--vault ${this.options.choice ?? 'auto'})`;
  }

  /**
   * The stored identity, or undefined. A first-slice identity file is migrated into a new
   * vault first, unless `migrate` is false (then it is returned as it is).
   */
  async load(options: { signal?: AbortSignal; migrate?: boolean } = {}): Promise<NodeIdentity | undefined> {
    if (!(await this.checkStateDir({ create: false }))) return undefined;
    const vault = await this.openVault(options.signal);
    if (vault !== undefined) return this.readIdentity(vault);
    const legacy = await this.legacy.load();
    if (legacy === undefined || options.migrate === false) return legacy;
    return this.migrate(legacy, options.signal);
  }

  /**
   * Decides where a new identity will be kept (probes the OS vault, asks for a passphrase)
   * without writing anything: `join` calls it before pairing, so a node never pairs and
   * then finds it cannot store its identity.
   */
  async prepare(options: { signal?: AbortSignal } = {}): Promise<VaultBackendInfo> {
    await this.checkStateDir({ create: false });
    const vault = await this.openVault(options.signal);
    if (vault !== undefined) return vault.backend;
    this.prepared ??= await Vault.prepare(this.vaultOptions(options.signal));
    return this.prepared.backend;
  }

  async save(identity: NodeIdentity, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.checkStateDir({ create: true });
    const vault = await this.openVault(options.signal);
    if (vault !== undefined) {
      if (vault.owner !== identity.deviceId) {
        throw new PalyraError(
          'PALYRA_E_VAULT_MISMATCH',
          `the vault ${this.file} belongs to device ${vault.owner}, not ${identity.deviceId}: run palyra-node leave first`,
        );
      }
      await vault.put(IDENTITY_RECORD, encode(identity));
      return;
    }
    const prepared = this.prepared ?? (await Vault.prepare(this.vaultOptions(options.signal)));
    this.prepared = prepared;
    this.vault = await prepared.create(identity.deviceId, new Map([[IDENTITY_RECORD, encode(identity)]]));
  }

  /** Deletes the vault (its OS vault entry, a generated key file, the file) and a first-slice file. */
  async remove(options: { signal?: AbortSignal } = {}): Promise<boolean> {
    // Another user's vault header would name the OS vault entry (or key file) to delete.
    if (!(await this.checkStateDir({ create: false }))) return false;
    const removedVault = await Vault.destroy({
      file: this.file,
      ...(this.options.keyring === undefined ? {} : { keyring: this.options.keyring }),
      ...(this.options.env === undefined ? {} : { env: this.options.env }),
      ...(this.options.osTimeoutMs === undefined ? {} : { osTimeoutMs: this.options.osTimeoutMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    this.vault = undefined;
    const removedLegacy = await this.legacy.remove();
    return removedVault || removedLegacy;
  }

  /** The node's scoped secrets, in the same vault. PALYRA_E_NOT_JOINED before join. */
  async secretStore(options: { signal?: AbortSignal } = {}): Promise<SecretStore> {
    if ((await this.load(options)) === undefined || this.vault === undefined) {
      throw new PalyraError('PALYRA_E_NOT_JOINED', 'secrets live in the node vault, created when the node joins: run palyra-node join first');
    }
    return new SecretStore(this.vault);
  }

  /**
   * Checks the state directory and the way to it before anything in it is read or written,
   * exactly as the daemon checks its own (StateDirectory): a directory, a file or a symbolic
   * link of another user's is refused with PALYRA_E_STATE_PERMISSIONS. False when it does
   * not exist (and `create` is not set).
   */
  private async checkStateDir({ create }: { create: boolean }): Promise<boolean> {
    if (create) {
      await StateDirectory.open(this.options.stateDir);
      return true;
    }
    return (await StateDirectory.openIfExists(this.options.stateDir)) !== undefined;
  }

  private async openVault(signal: AbortSignal | undefined): Promise<Vault | undefined> {
    this.vault ??= await Vault.open(this.vaultOptions(signal));
    return this.vault;
  }

  private async readIdentity(vault: Vault): Promise<NodeIdentity | undefined> {
    const record = await vault.get(IDENTITY_RECORD);
    if (record === undefined) return undefined;
    const identity = parseIdentity(Buffer.from(record.value).toString('utf8'), `${this.file} (record ${IDENTITY_RECORD})`);
    if (identity.deviceId !== vault.owner) {
      throw new PalyraError(
        'PALYRA_E_IDENTITY_CORRUPT',
        `${this.file} holds the identity of ${identity.deviceId} in the vault of ${vault.owner}; run palyra-node leave and join again`,
      );
    }
    return identity;
  }

  private async migrate(identity: NodeIdentity, signal: AbortSignal | undefined): Promise<NodeIdentity> {
    const prepared = this.prepared ?? (await Vault.prepare(this.vaultOptions(signal)));
    this.prepared = prepared;
    const vault = await prepared.create(identity.deviceId, new Map([[IDENTITY_RECORD, encode(identity)]]));
    let back: NodeIdentity | undefined;
    try {
      back = await this.readIdentity(vault);
    } catch (error) {
      back = undefined;
      this.options.onNotice?.(`reading the migrated identity back failed: ${(error as Error).message}`);
    }
    if (back === undefined || !isDeepStrictEqual(back, identity)) {
      // Keep the first slice's file, drop the new vault: the next start tries again.
      await vault.destroy().catch(() => undefined);
      throw new PalyraError(
        'PALYRA_E_STATE_IO',
        `migrating ${this.legacy.path} into the vault failed: the new vault did not read back the same identity; the old file is kept`,
      );
    }
    this.vault = vault;
    await this.legacy.remove();
    this.options.onNotice?.(`moved the identity from ${this.legacy.path} into ${vault.backend.description}; the old file is deleted`);
    return back;
  }

  private vaultOptions(signal: AbortSignal | undefined): VaultOpenOptions {
    const { options } = this;
    return {
      file: this.file,
      name: NODE_VAULT_NAME,
      defaultKeyFile: this.defaultKeyFile,
      ...(options.choice === undefined ? {} : { choice: options.choice }),
      ...(options.keyFile === undefined ? {} : { keyFile: options.keyFile }),
      ...(options.osTimeoutMs === undefined ? {} : { osTimeoutMs: options.osTimeoutMs }),
      ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.keyring === undefined ? {} : { keyring: options.keyring }),
      ...(signal === undefined ? {} : { signal }),
    };
  }
}

function encode(identity: NodeIdentity): Uint8Array {
  return Buffer.from(JSON.stringify(identity), 'utf8');
}
