export { Vault, OS_VAULT_SERVICE, vaultPaths, type PreparedVault, type VaultOpenOptions } from './Vault.js';
export { OsKeyring, CANARY_SERVICE, DEFAULT_OS_VAULT_TIMEOUT_MS, type OsKeyringOptions, type OsKeyringOp, type OsVaultStatus } from './OsKeyring.js';
export {
  SecretStore,
  SECRET_KEY_PATTERN,
  SECRET_SCOPE_PATTERN,
  MAX_SECRET_BYTES,
  checkKey,
  checkScope,
  pluginScope,
  unavailableSecrets,
  type Secret,
} from './SecretStore.js';
export { PASSPHRASE_ENV, DEFAULT_SCRYPT, MIN_PASSPHRASE_LENGTH, defaultPassphraseSource, promptHidden } from './keySources.js';
export { VAULT_ENV, VAULT_KEY_FILE_ENV, VAULT_TIMEOUT_ENV, resolveVaultSettings } from './settings.js';
export { withFileLock } from './fileLock.js';
export { VAULT_FORMAT_VERSION, VAULT_MAGIC, type VaultHeader } from './format.js';
export { VAULT_CHOICES, type PassphraseSource, type VaultBackendInfo, type VaultChoice, type VaultKeySource, type VaultRecord, type VaultSettings } from './types.js';
