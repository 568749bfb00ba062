import { PalyraError } from '@palyra/shared/errors';
import { StateDirectory } from '@palyra/shared/fs';
import { OsKeyring, PASSPHRASE_ENV, VAULT_KEY_FILE_ENV, Vault, vaultPaths, type VaultOpenOptions, type VaultSettings } from '@palyra/shared/vault';
import type { TokenStoreKind } from './ProfileStore.js';

/** OS vault service of operator tokens; the account is the profile name. */
export const OPERATOR_VAULT_SERVICE = 'palyra-operator';
/** Name (and owner) of the encrypted vault file of operator tokens, in the config dir. */
const OPERATOR_VAULT_NAME = 'palyra-operator';

export interface OperatorTokenVaultOptions extends VaultSettings {
  /** The operator's config dir (operatorConfigDir): the encrypted vault file lives there. */
  configDir: string;
  env?: NodeJS.ProcessEnv;
  keyring?: OsKeyring;
}

/**
 * Where profiles keep their API tokens. The OS vault (Secret Service, pinned as the agent's
 * vault is; Keychain; Credential Manager) holds each token as one item: service
 * `palyra-operator`, account the profile name. Without a usable OS vault (no desktop session,
 * a locked keyring) the tokens go into an encrypted vault file in the config dir, exactly as
 * the agent keeps its identity (shared Vault: a passphrase from PALYRA_VAULT_PASSPHRASE or
 * the terminal, or a key file: --vault file / PALYRA_VAULT=file makes a 0600 one there).
 */
export class OperatorTokenVault {
  private readonly keyring: OsKeyring;

  constructor(private readonly options: OperatorTokenVaultOptions) {
    this.keyring = options.keyring ?? new OsKeyring({ env: options.env, timeoutMs: options.osTimeoutMs });
  }

  /** Stores the token of `profile`; returns where it went. */
  async save(profile: string, token: string, { signal }: { signal?: AbortSignal } = {}): Promise<TokenStoreKind> {
    const choice = this.options.choice ?? 'auto';
    let fallback: string | undefined;
    if (choice !== 'file') {
      const status = await this.keyring.probe(signal);
      if (status.available) {
        await this.keyring.set(OPERATOR_VAULT_SERVICE, profile, Buffer.from(token, 'utf8'), signal);
        return 'os';
      }
      if (choice === 'os') {
        throw new PalyraError('PALYRA_E_VAULT_UNAVAILABLE', `--vault os: the OS vault (${status.store}) is not usable: ${status.reason}`, {
          details: { store: status.store, reason: status.reason },
        });
      }
      fallback = `the OS vault (${status.store}) is not usable: ${status.reason}`;
    }
    // The config dir is made (0700) or checked as a state dir is, before the vault goes in it.
    await StateDirectory.open(this.options.configDir);
    const existing = await Vault.open(this.fileOptions(signal));
    if (existing !== undefined) {
      await existing.put(recordId(profile), Buffer.from(token, 'utf8'));
      return 'file';
    }
    let prepared;
    try {
      prepared = await Vault.prepare({ ...this.fileOptions(signal), ...(choice === 'file' ? { defaultKeyFile: vaultPaths(this.options.configDir).defaultKeyFile } : {}) });
    } catch (error) {
      if (fallback === undefined || !(error instanceof PalyraError) || error.code !== 'PALYRA_E_VAULT_PASSPHRASE_REQUIRED') throw error;
      throw new PalyraError(
        'PALYRA_E_VAULT_UNAVAILABLE',
        `${fallback}, and no passphrase is at hand for the encrypted vault file: set ${PASSPHRASE_ENV} (or run in a terminal), ` +
          `or choose --vault file (a 0600 key file in ${this.options.configDir}) or ${VAULT_KEY_FILE_ENV}`,
        { details: { reason: fallback } },
      );
    }
    await prepared.create(OPERATOR_VAULT_NAME, new Map([[recordId(profile), Buffer.from(token, 'utf8')]]));
    return 'file';
  }

  /** The token of `profile`; PALYRA_E_VAULT_KEY_MISSING when its vault no longer has it. */
  async load(profile: string, store: TokenStoreKind, { signal }: { signal?: AbortSignal } = {}): Promise<string> {
    let bytes: Uint8Array | undefined;
    if (store === 'os') bytes = await this.keyring.get(OPERATOR_VAULT_SERVICE, profile, signal);
    else if ((await StateDirectory.openIfExists(this.options.configDir)) !== undefined) {
      bytes = (await (await Vault.open(this.fileOptions(signal)))?.get(recordId(profile)))?.value;
    }
    if (bytes === undefined) {
      throw new PalyraError(
        'PALYRA_E_VAULT_KEY_MISSING',
        `the token of profile "${profile}" is gone from ${store === 'os' ? `the OS vault (${this.keyring.store})` : `the vault file in ${this.options.configDir}`}: run palyrad auth login --profile ${profile} again`,
        { details: { profile, store } },
      );
    }
    return Buffer.from(bytes).toString('utf8');
  }

  /** Deletes the token of `profile`; the vault file goes too once it holds no token. True when there was one. */
  async remove(profile: string, store: TokenStoreKind, { signal }: { signal?: AbortSignal } = {}): Promise<boolean> {
    if (store === 'os') return this.keyring.delete(OPERATOR_VAULT_SERVICE, profile, signal);
    if ((await StateDirectory.openIfExists(this.options.configDir)) === undefined) return false;
    const vault = await Vault.open(this.fileOptions(signal));
    if (vault === undefined) return false;
    const removed = await vault.delete(recordId(profile));
    if ((await vault.records()).size === 0) await vault.destroy({ keyring: this.keyring, ...(signal ? { signal } : {}) });
    return removed;
  }

  private fileOptions(signal: AbortSignal | undefined): VaultOpenOptions {
    const { options } = this;
    return {
      file: vaultPaths(options.configDir).file,
      name: OPERATOR_VAULT_NAME,
      // The file backend only: the OS vault holds tokens itself, not a data key.
      choice: 'file',
      ...(options.keyFile === undefined ? {} : { keyFile: options.keyFile }),
      ...(options.env === undefined ? {} : { env: options.env }),
      keyring: this.keyring,
      ...(signal === undefined ? {} : { signal }),
    };
  }
}

function recordId(profile: string): string {
  return `token:${profile}`;
}
