/** What the user asked for with `--vault` (or PALYRA_VAULT). */
export type VaultChoice = 'auto' | 'os' | 'file';

export const VAULT_CHOICES: readonly VaultChoice[] = ['auto', 'os', 'file'];

/** Where the 32-byte data key of an encrypted vault file comes from. */
export type VaultKeySource = 'os' | 'passphrase' | 'keyfile';

/** Which backend holds a vault: what `palyra-node status` and `palyrad start` report. */
export interface VaultBackendInfo {
  /** `os`: the data key is in the OS vault; `file`: only the encrypted file (passphrase or key file). */
  readonly backend: 'os' | 'file';
  readonly keySource: VaultKeySource;
  /** The encrypted file holding the records. */
  readonly file: string;
  /** One line for people, e.g. `Secret Service (D-Bus): data key "palyra-vault" / "palyra-node/…"; records in /x/vault.v1.enc`. */
  readonly description: string;
  /** The OS vault entry of the data key (backend `os`). */
  readonly osEntry?: { readonly store: string; readonly service: string; readonly account: string };
  /** The key file (key source `keyfile`). */
  readonly keyFile?: string;
  /** Why `auto` did not use the OS vault, when it fell back to the encrypted file. */
  readonly fallbackReason?: string;
}

/** One record of a vault: an opaque value with its metadata. */
export interface VaultRecord {
  readonly value: Uint8Array;
  /** ISO 8601. */
  readonly created: string;
  /** ISO 8601. */
  readonly updated: string;
  /** 1 when created, +1 on every change. */
  readonly version: number;
  /** Small string metadata kept encrypted with the value (e.g. a secret's scope and key). */
  readonly meta: Readonly<Record<string, string>>;
}

/** Gets the passphrase of an encrypted vault; `confirm` is true when a new vault is created. */
export type PassphraseSource = (request: { file: string; confirm: boolean }) => Promise<string | undefined>;

/** How to open or create a vault. */
export interface VaultSettings {
  /** `auto` (default): the OS vault when it works, else the encrypted file with a passphrase. */
  choice?: VaultChoice;
  /** An explicit 0600 key file holding the data key (64 hex characters); created when missing. */
  keyFile?: string;
  /** Bound on each OS vault operation once its helper runs (default 1000 ms). */
  osTimeoutMs?: number;
}
