import { PalyraError } from '../errors/index.js';
import { VAULT_CHOICES, type VaultChoice, type VaultSettings } from './types.js';

export const VAULT_ENV = 'PALYRA_VAULT';
export const VAULT_KEY_FILE_ENV = 'PALYRA_VAULT_KEY_FILE';
export const VAULT_TIMEOUT_ENV = 'PALYRA_VAULT_TIMEOUT_MS';

/**
 * The vault settings of a command: `--vault` else PALYRA_VAULT else `auto`;
 * `--vault-key-file` else PALYRA_VAULT_KEY_FILE; the OS vault timeout from
 * PALYRA_VAULT_TIMEOUT_MS (default 1000 ms).
 */
export function resolveVaultSettings(
  flags: { vault?: string | undefined; vaultKeyFile?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): Required<Pick<VaultSettings, 'choice'>> & VaultSettings {
  const raw = nonEmpty(flags.vault) ?? nonEmpty(env[VAULT_ENV]) ?? 'auto';
  if (!(VAULT_CHOICES as readonly string[]).includes(raw)) {
    const where = nonEmpty(flags.vault) !== undefined ? '--vault' : VAULT_ENV;
    throw new PalyraError('PALYRA_E_USAGE', `${where} is one of ${VAULT_CHOICES.join(', ')} (got ${JSON.stringify(raw)})`);
  }
  const settings: Required<Pick<VaultSettings, 'choice'>> & VaultSettings = { choice: raw as VaultChoice };
  const keyFile = nonEmpty(flags.vaultKeyFile) ?? nonEmpty(env[VAULT_KEY_FILE_ENV]);
  if (keyFile !== undefined) settings.keyFile = keyFile;
  const timeout = nonEmpty(env[VAULT_TIMEOUT_ENV]);
  if (timeout !== undefined) {
    const ms = Number(timeout);
    if (!Number.isInteger(ms) || ms < 100 || ms > 120_000) {
      throw new PalyraError('PALYRA_E_USAGE', `${VAULT_TIMEOUT_ENV} is a number of milliseconds between 100 and 120000 (got ${JSON.stringify(timeout)})`);
    }
    settings.osTimeoutMs = ms;
  }
  return settings;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
