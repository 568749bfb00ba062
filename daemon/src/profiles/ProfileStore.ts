import { join } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { StateDirectory } from '@palyra/shared/fs';
import { withFileLock } from '@palyra/shared/vault';
import { PROFILE_NAME_PATTERN } from './profileNames.js';

export const PROFILES_FILE = 'profiles.json';
const PROFILES_VERSION = 1;
/** Far above any real list of profiles; a bigger file is not ours. */
const MAX_PROFILES_BYTES = 1024 * 1024;

/** Where a profile's token is: the OS vault (Secret Service, Keychain, ...) or the encrypted vault file. */
export type TokenStoreKind = 'os' | 'file';

/** One operator profile: which daemon, the CA pinned for it, and which token (the token itself is in a vault). */
export interface OperatorProfile {
  /** HOST:PORT of the daemon's admin endpoint. */
  daemon: string;
  /** SHA-256 of the daemon's CA certificate (lowercase hex). */
  caFingerprint: string;
  /** That CA certificate, found by its fingerprint at login: later connections trust it alone. */
  caCertPem: string;
  createdAt: string;
  /** The token's id and role as the daemon reported them at login (WhoAmI); never the secret. */
  tokenId: string;
  role: string;
  tokenStore: TokenStoreKind;
}

interface ProfilesDocument {
  version: number;
  profiles: Record<string, OperatorProfile>;
}

/**
 * `profiles.json` in the operator's config dir (operatorConfigDir): a 0700 directory checked
 * as a state dir is (StateDirectory: this user's, nobody else can reach in), the file 0600,
 * replaced atomically under a lock so two logins never lose each other's profile. It holds no
 * secret; the tokens are in the OS vault or the encrypted vault file (OperatorTokenVault).
 */
export class ProfileStore {
  constructor(readonly dir: string) {}

  get file(): string {
    return join(this.dir, PROFILES_FILE);
  }

  /** Every profile, by name (none when the directory or file does not exist). */
  async list(): Promise<Map<string, OperatorProfile>> {
    const dir = await StateDirectory.openIfExists(this.dir);
    if (dir === undefined) return new Map();
    return this.read(dir);
  }

  /** One profile; PALYRA_E_PROFILE_NOT_FOUND when there is none by that name. */
  async get(name: string): Promise<OperatorProfile> {
    const profile = (await this.list()).get(name);
    if (profile === undefined) throw notFound(name, this.file);
    return profile;
  }

  /** Adds or replaces a profile. */
  async put(name: string, profile: OperatorProfile): Promise<void> {
    const dir = await StateDirectory.open(this.dir);
    await withFileLock(this.file, async () => {
      const profiles = await this.read(dir);
      profiles.set(name, profile);
      await this.write(dir, profiles);
    });
  }

  /** Removes a profile; the removed one, or undefined when there was none. */
  async remove(name: string): Promise<OperatorProfile | undefined> {
    const dir = await StateDirectory.openIfExists(this.dir);
    if (dir === undefined) return undefined;
    return withFileLock(this.file, async () => {
      const profiles = await this.read(dir);
      const removed = profiles.get(name);
      if (removed === undefined) return undefined;
      profiles.delete(name);
      await this.write(dir, profiles);
      return removed;
    });
  }

  private async read(dir: StateDirectory): Promise<Map<string, OperatorProfile>> {
    const bytes = await dir.readSecret(PROFILES_FILE);
    if (bytes === null) return new Map();
    if (bytes.length > MAX_PROFILES_BYTES) throw corrupt(this.file, `is ${bytes.length} bytes`);
    let document: unknown;
    try {
      document = JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      throw corrupt(this.file, `is not JSON (${(error as Error).message})`);
    }
    return parseDocument(document, this.file);
  }

  private async write(dir: StateDirectory, profiles: Map<string, OperatorProfile>): Promise<void> {
    const sorted = Object.fromEntries([...profiles].sort(([a], [b]) => a.localeCompare(b)));
    const document: ProfilesDocument = { version: PROFILES_VERSION, profiles: sorted };
    await dir.replace(PROFILES_FILE, `${JSON.stringify(document, null, 2)}\n`, 0o600);
  }
}

function parseDocument(document: unknown, file: string): Map<string, OperatorProfile> {
  if (typeof document !== 'object' || document === null) throw corrupt(file, 'is not a JSON object');
  const { version, profiles } = document as { version?: unknown; profiles?: unknown };
  if (typeof version === 'number' && version > PROFILES_VERSION) {
    throw new PalyraError('PALYRA_E_STATE_VERSION', `${file} has version ${version}, newer than this palyrad understands (${PROFILES_VERSION}): upgrade palyrad`);
  }
  if (version !== PROFILES_VERSION || typeof profiles !== 'object' || profiles === null) throw corrupt(file, 'is not a version 1 profiles document');
  const result = new Map<string, OperatorProfile>();
  for (const [name, value] of Object.entries(profiles as Record<string, unknown>)) {
    if (!PROFILE_NAME_PATTERN.test(name)) throw corrupt(file, `has a profile named ${JSON.stringify(name)}`);
    result.set(name, parseProfile(value, name, file));
  }
  return result;
}

function parseProfile(value: unknown, name: string, file: string): OperatorProfile {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const text = (key: keyof OperatorProfile): string => {
    const field = v[key];
    if (typeof field !== 'string') throw corrupt(file, `has profile "${name}" without a string "${key}"`);
    return field;
  };
  const tokenStore = text('tokenStore');
  if (tokenStore !== 'os' && tokenStore !== 'file') throw corrupt(file, `has profile "${name}" with tokenStore ${JSON.stringify(tokenStore)}`);
  const caFingerprint = text('caFingerprint');
  if (!/^[0-9a-f]{64}$/.test(caFingerprint)) throw corrupt(file, `has profile "${name}" with a malformed caFingerprint`);
  return {
    daemon: text('daemon'),
    caFingerprint,
    caCertPem: text('caCertPem'),
    createdAt: text('createdAt'),
    tokenId: text('tokenId'),
    role: text('role'),
    tokenStore,
  };
}

function corrupt(file: string, problem: string): PalyraError {
  return new PalyraError('PALYRA_E_CONFIG_INVALID', `${file} ${problem}: fix or remove it (palyrad auth login saves profiles again)`);
}

export function notFound(name: string, file: string): PalyraError {
  return new PalyraError('PALYRA_E_PROFILE_NOT_FOUND', `there is no operator profile "${name}" in ${file}: palyrad auth profiles lists them, palyrad auth login --profile ${name} saves it`, {
    details: { profile: name },
  });
}
