import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { PalyraError } from '../errors/index.js';
import { readOwnFile, writePrivateFileAtomic } from '../fs/index.js';
import { withFileLock } from './fileLock.js';
import {
  DATA_KEY_BYTES,
  MAX_VAULT_FILE_BYTES,
  RECORD_ID_PATTERN,
  corrupt,
  decryptPayload,
  encodeVaultFile,
  keyCheck,
  keyMatches,
  parseVaultFile,
  type HeaderKey,
  type StoredRecord,
  type VaultHeader,
  type VaultPayload,
} from './format.js';
import {
  MIN_PASSPHRASE_LENGTH,
  PASSPHRASE_ENV,
  createKeyFile,
  defaultPassphraseSource,
  deriveKeyFromPassphrase,
  newScryptParams,
  readKeyFile,
} from './keySources.js';
import { OsKeyring } from './OsKeyring.js';
import type { PassphraseSource, VaultBackendInfo, VaultChoice, VaultRecord, VaultSettings } from './types.js';

/** Service name of the OS vault entries that hold data keys; the account is `<name>/<vaultId>`. */
export const OS_VAULT_SERVICE = 'palyra-vault';


export interface VaultOpenOptions extends VaultSettings {
  /** The encrypted vault file. */
  file: string;
  /** `palyra-node` or `palyrad`: names the OS vault entry. */
  name: string;
  /**
   * Where `--vault file` keeps a generated key file when no passphrase is at hand (a
   * headless server). Without it, `--vault file` needs a passphrase or an explicit key file.
   */
  defaultKeyFile?: string;
  passphrase?: PassphraseSource;
  env?: NodeJS.ProcessEnv;
  /** The OS vault client (default: @napi-rs/keyring in a helper process). */
  keyring?: OsKeyring;
  signal?: AbortSignal;
}

/** The backend chosen for a vault that does not exist yet; nothing is written until `create`. */
export interface PreparedVault {
  readonly backend: VaultBackendInfo;
  /** Writes the data key (OS vault or key file) and the empty encrypted file, bound to `owner`. */
  create(owner: string, records?: ReadonlyMap<string, Uint8Array>): Promise<Vault>;
}

/**
 * A small encrypted key-value store: records (with created/updated/version metadata) in one
 * file encrypted with ChaCha20-Poly1305 under a random 32-byte data key. The data key lives
 * in the OS vault (Secret Service, Keychain, Credential Manager), or comes from a passphrase
 * (scrypt) or an explicit 0600 key file. The file is re-read on every access, so several
 * processes share it; writes take a lock and replace the file atomically. A file that fails
 * to decrypt is reported (PALYRA_E_VAULT_*) and never overwritten.
 */
export class Vault {
  private constructor(
    readonly file: string,
    readonly header: VaultHeader,
    private readonly dataKey: Buffer,
    readonly backend: VaultBackendInfo,
  ) {}

  /** The owner bound into the file: a node's device id or a daemon's id. */
  get owner(): string {
    return this.header.owner;
  }

  /** The header of a vault file without opening it (no key needed), or undefined when there is none. */
  static async inspect(file: string): Promise<{ header: VaultHeader; backend: VaultBackendInfo } | undefined> {
    const bytes = await readVaultBytes(file);
    if (bytes === undefined) return undefined;
    const { header } = parseVaultFile(bytes, file);
    return { header, backend: describeBackend(file, header, new OsKeyring().store) };
  }

  /**
   * Opens an existing vault: its header says where the data key is; `choice` must allow that
   * backend (PALYRA_E_VAULT_MISMATCH otherwise). Undefined when the file does not exist.
   */
  static async open(options: VaultOpenOptions): Promise<Vault | undefined> {
    const file = resolve(options.file);
    const bytes = await readVaultBytes(file);
    if (bytes === undefined) return undefined;
    const parsed = parseVaultFile(bytes, file);
    const { header } = parsed;
    checkChoice(options, header, file);
    const keyring = options.keyring ?? new OsKeyring({ env: options.env, timeoutMs: options.osTimeoutMs });
    const dataKey = await obtainKey(options, header, file, keyring);
    if (!keyMatches(dataKey, header)) {
      dataKey.fill(0);
      throw keyRejected(header, file, options);
    }
    decryptPayload(parsed, dataKey, file);
    return new Vault(file, header, dataKey, describeBackend(file, header, keyring.store, options.keyFile));
  }

  /**
   * Chooses the backend of a new vault. `auto`: the OS vault when a canary round trip
   * succeeds in time; otherwise an explicit key file, or a passphrase from
   * PALYRA_VAULT_PASSPHRASE or the terminal; otherwise PALYRA_E_VAULT_UNAVAILABLE (never a
   * key file nobody asked for). `os`: the OS vault or PALYRA_E_VAULT_UNAVAILABLE. `file`: an
   * explicit key file, else a passphrase, else `defaultKeyFile`.
   */
  static async prepare(options: VaultOpenOptions): Promise<PreparedVault> {
    const file = resolve(options.file);
    const choice: VaultChoice = options.choice ?? 'auto';
    const env = options.env ?? process.env;
    const keyring = options.keyring ?? new OsKeyring({ env, timeoutMs: options.osTimeoutMs });
    const vaultId = randomBytes(16).toString('hex');
    if (choice === 'os' && options.keyFile !== undefined) {
      throw new PalyraError('PALYRA_E_USAGE', '--vault-key-file goes with --vault file (or auto), not with --vault os');
    }
    let fallbackReason: string | undefined;
    if (choice !== 'file') {
      const status = await keyring.probe(options.signal);
      if (status.available) return prepareOs(file, options.name, vaultId, keyring, options.signal);
      if (choice === 'os') {
        throw new PalyraError('PALYRA_E_VAULT_UNAVAILABLE', `--vault os: the OS vault (${status.store}) is not usable: ${status.reason}`, {
          details: { store: status.store, reason: status.reason, elapsedMs: status.elapsedMs },
        });
      }
      fallbackReason = `the OS vault (${status.store}) is not usable: ${status.reason}`;
    }
    if (options.keyFile !== undefined) return prepareKeyFile(file, options.name, vaultId, resolve(options.keyFile), false, fallbackReason);
    const passphrase = await (options.passphrase ?? defaultPassphraseSource(env))({ file, confirm: true });
    if (passphrase !== undefined) return preparePassphrase(file, options.name, vaultId, passphrase, fallbackReason);
    if (choice === 'file' && options.defaultKeyFile !== undefined) {
      return prepareKeyFile(file, options.name, vaultId, resolve(options.defaultKeyFile), true, fallbackReason);
    }
    if (choice === 'file') {
      throw new PalyraError('PALYRA_E_VAULT_PASSPHRASE_REQUIRED', `--vault file needs a key: set ${PASSPHRASE_ENV}, run in a terminal, or give --vault-key-file PATH`);
    }
    throw new PalyraError(
      'PALYRA_E_VAULT_UNAVAILABLE',
      `${fallbackReason ?? 'no OS vault'}, and no passphrase is at hand for an encrypted file: set ${PASSPHRASE_ENV} (or run in a terminal), ` +
        'or on a headless server choose --vault file (a 0600 key file in the state directory) or --vault-key-file PATH',
      { details: { reason: fallbackReason ?? null } },
    );
  }

  /** All records (the file is read and decrypted again). */
  async records(): Promise<Map<string, VaultRecord>> {
    const payload = await this.readPayload();
    return new Map(Object.entries(payload.records).map(([id, record]) => [id, toRecord(record)]));
  }

  async get(id: string): Promise<VaultRecord | undefined> {
    checkId(id);
    const record = (await this.readPayload()).records[id];
    return record === undefined ? undefined : toRecord(record);
  }

  /** Stores a value (created, or updated with version + 1). */
  async put(id: string, value: Uint8Array, meta: Readonly<Record<string, string>> = {}): Promise<VaultRecord> {
    checkId(id);
    return this.update((records) => {
      const now = new Date().toISOString();
      const previous = records.get(id);
      const record: StoredRecord = {
        value: Buffer.from(value).toString('base64'),
        created: previous?.created ?? now,
        updated: now,
        version: (previous?.version ?? 0) + 1,
        meta: { ...meta },
      };
      records.set(id, record);
      return toRecord(record);
    });
  }

  /** Deletes a record; true when it existed. */
  async delete(id: string): Promise<boolean> {
    checkId(id);
    return this.update((records) => records.delete(id));
  }

  /**
   * Reads, changes and writes the records under the file lock, in one atomic replacement.
   * `fn` may throw to change nothing.
   */
  async update<T>(fn: (records: Map<string, StoredRecord>) => T): Promise<T> {
    return withFileLock(this.file, async () => {
      const payload = await this.readPayload();
      const records = new Map(Object.entries(payload.records));
      const result = fn(records);
      for (const id of records.keys()) checkId(id);
      await writePrivateFileAtomic(this.file, encodeVaultFile(this.header, { records: Object.fromEntries(records) }, this.dataKey));
      return result;
    });
  }

  /** Removes the vault: the OS vault entry (or the generated key file) and the file. */
  async destroy(options: { keyring?: OsKeyring; signal?: AbortSignal } = {}): Promise<void> {
    await Vault.destroy({ file: this.file, ...options });
    this.dataKey.fill(0);
  }

  /**
   * Removes a vault without opening it (no passphrase needed): first the data key (OS vault
   * entry, or the key file Palyra generated), then the file. When the OS vault cannot delete
   * its entry nothing is removed (PALYRA_E_VAULT_UNAVAILABLE). A file whose header cannot be
   * read is removed as is. True when there was a vault.
   */
  static async destroy(options: { file: string; keyring?: OsKeyring; env?: NodeJS.ProcessEnv; osTimeoutMs?: number; signal?: AbortSignal }): Promise<boolean> {
    const file = resolve(options.file);
    const bytes = await readVaultBytes(file);
    if (bytes === undefined) return false;
    let header: VaultHeader | undefined;
    try {
      header = parseVaultFile(bytes, file).header;
    } catch {
      header = undefined;
    }
    if (header?.key.source === 'os') {
      const keyring = options.keyring ?? new OsKeyring({ env: options.env, timeoutMs: options.osTimeoutMs });
      try {
        await keyring.delete(header.key.service, header.key.account, options.signal);
      } catch (error) {
        if (!(error instanceof PalyraError) || error.code !== 'PALYRA_E_VAULT_UNAVAILABLE') throw error;
        throw new PalyraError(
          'PALYRA_E_VAULT_UNAVAILABLE',
          `${error.message}; nothing was removed: unlock the keyring and retry, or delete ${file} by hand ` +
            `(its data key then stays in the OS vault as service "${header.key.service}", account "${header.key.account}")`,
          { cause: error, ...(error.details === undefined ? {} : { details: error.details }) },
        );
      }
    }
    if (header?.key.source === 'keyfile' && header.key.managed) {
      await rm(resolve(dirname(file), header.key.path), { force: true });
    }
    await rm(file, { force: true });
    await rm(`${file}.lock`, { force: true });
    return true;
  }

  private async readPayload(): Promise<VaultPayload> {
    const bytes = await readVaultBytes(this.file);
    if (bytes === undefined) {
      throw new PalyraError('PALYRA_E_STATE_IO', `the vault file ${this.file} was removed while in use (palyra-node leave?)`);
    }
    const parsed = parseVaultFile(bytes, this.file);
    if (parsed.header.vaultId !== this.header.vaultId || parsed.header.owner !== this.header.owner) {
      throw new PalyraError('PALYRA_E_VAULT_MISMATCH', `the vault file ${this.file} was replaced by another vault while in use; restart`);
    }
    const payload = decryptPayload(parsed, this.dataKey, this.file);
    const records: Record<string, StoredRecord> = Object.create(null) as Record<string, StoredRecord>;
    for (const [id, record] of Object.entries(payload.records)) records[id] = record;
    return { records };
  }
}

function toRecord(record: StoredRecord): VaultRecord {
  return Object.freeze({
    value: new Uint8Array(Buffer.from(record.value, 'base64')),
    created: record.created,
    updated: record.updated,
    version: record.version,
    meta: Object.freeze({ ...record.meta }),
  });
}

function checkId(id: string): void {
  if (typeof id !== 'string' || !RECORD_ID_PATTERN.test(id)) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `"${String(id)}" is not a valid vault record id (${RECORD_ID_PATTERN})`);
  }
}

/**
 * Reads a vault file without following symlinks; refuses one that another user owns or others
 * can read (readOwnFile). Undefined when missing.
 */
async function readVaultBytes(file: string): Promise<Buffer | undefined> {
  return readOwnFile(file, {
    secret: true,
    what: 'the vault file',
    maxBytes: MAX_VAULT_FILE_BYTES,
    tooLarge: (size) => corrupt(file, `is ${size} bytes, larger than any vault`),
  });
}

function sourceName(key: HeaderKey): string {
  return key.source === 'os' ? 'the OS vault' : key.source === 'passphrase' ? 'a passphrase' : 'a key file';
}

function checkChoice(options: VaultOpenOptions, header: VaultHeader, file: string): void {
  const choice = options.choice ?? 'auto';
  const source = header.key.source;
  if ((choice === 'os' && source !== 'os') || (choice === 'file' && source === 'os')) {
    throw new PalyraError(
      'PALYRA_E_VAULT_MISMATCH',
      `--vault ${choice} was asked for, but ${file} keeps its data key in ${sourceName(header.key)}: run with --vault ${source === 'os' ? 'os' : 'file'} (or auto)`,
      { details: { file, keySource: source, choice } },
    );
  }
  if (options.keyFile !== undefined && source !== 'keyfile') {
    throw new PalyraError('PALYRA_E_VAULT_MISMATCH', `--vault-key-file was given, but ${file} keeps its data key in ${sourceName(header.key)}`, {
      details: { file, keySource: source },
    });
  }
}

async function obtainKey(options: VaultOpenOptions, header: VaultHeader, file: string, keyring: OsKeyring): Promise<Buffer> {
  const key = header.key;
  if (key.source === 'os') {
    const secret = await keyring.get(key.service, key.account, options.signal);
    if (secret === undefined) {
      throw new PalyraError(
        'PALYRA_E_VAULT_KEY_MISSING',
        `the OS vault (${keyring.store}) has no data key for ${file} (service "${key.service}", account "${key.account}"): ` +
          'it was deleted or this is another user or machine; without it the file cannot be read',
        { details: { file, service: key.service, account: key.account } },
      );
    }
    if (secret.length !== DATA_KEY_BYTES) throw keyRejected(header, file, options);
    return Buffer.from(secret);
  }
  if (key.source === 'passphrase') {
    const passphrase = await (options.passphrase ?? defaultPassphraseSource(options.env ?? process.env))({ file, confirm: false });
    if (passphrase === undefined) {
      throw new PalyraError('PALYRA_E_VAULT_PASSPHRASE_REQUIRED', `${file} is encrypted with a passphrase: set ${PASSPHRASE_ENV} or run in a terminal`, {
        details: { file },
      });
    }
    return deriveKeyFromPassphrase(passphrase, key);
  }
  return readKeyFile(options.keyFile !== undefined ? resolve(options.keyFile) : resolve(dirname(file), key.path));
}

function keyRejected(header: VaultHeader, file: string, options: VaultOpenOptions): PalyraError {
  const key = header.key;
  const what =
    key.source === 'passphrase'
      ? `the passphrase does not open ${file} (wrong passphrase${(options.env ?? process.env)[PASSPHRASE_ENV] ? ` in ${PASSPHRASE_ENV}` : ''})`
      : key.source === 'keyfile'
        ? `the key file ${options.keyFile ?? resolve(dirname(file), key.path)} does not open ${file} (another vault's key)`
        : `the data key in the OS vault does not open ${file}`;
  return new PalyraError('PALYRA_E_VAULT_KEY_REJECTED', `${what}; nothing was changed`, { details: { file, keySource: key.source } });
}

function describeBackend(file: string, header: VaultHeader, store: string, keyFileOverride?: string, fallbackReason?: string): VaultBackendInfo {
  const key = header.key;
  const extra = fallbackReason === undefined ? {} : { fallbackReason };
  if (key.source === 'os') {
    return {
      backend: 'os',
      keySource: 'os',
      file,
      osEntry: { store, service: key.service, account: key.account },
      description: `${store} (data key: service "${key.service}", account "${key.account}"; records encrypted in ${file})`,
      ...extra,
    };
  }
  if (key.source === 'passphrase') {
    return {
      backend: 'file',
      keySource: 'passphrase',
      file,
      description: `encrypted file ${file} (ChaCha20-Poly1305, key from a passphrase via scrypt)`,
      ...extra,
    };
  }
  const keyFile = keyFileOverride !== undefined ? resolve(keyFileOverride) : resolve(dirname(file), key.path);
  return {
    backend: 'file',
    keySource: 'keyfile',
    file,
    keyFile,
    description: `encrypted file ${file} (ChaCha20-Poly1305, key in the 0600 key file ${keyFile})`,
    ...extra,
  };
}

/** A key file next to the vault is recorded by name, so the state directory can move. */
function recordedKeyPath(file: string, keyFile: string): string {
  return dirname(keyFile) === dirname(file) ? basename(keyFile) : keyFile;
}

function newHeader(name: string, vaultId: string, owner: string, key: HeaderKey, dataKey: Uint8Array): VaultHeader {
  if (typeof owner !== 'string' || owner === '' || owner.length > 200) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'a vault owner is a non-empty id of at most 200 characters');
  }
  return { owner, vaultId, name, created: new Date().toISOString(), key, check: keyCheck(dataKey, vaultId) };
}

function initialPayload(records: ReadonlyMap<string, Uint8Array> | undefined): VaultPayload {
  const now = new Date().toISOString();
  const out: Record<string, StoredRecord> = {};
  for (const [id, value] of records ?? []) {
    checkId(id);
    out[id] = { value: Buffer.from(value).toString('base64'), created: now, updated: now, version: 1, meta: {} };
  }
  return { records: out };
}

/** Writes a new vault file; refuses to replace one that appeared meanwhile. */
async function writeNewVault(file: string, header: VaultHeader, payload: VaultPayload, dataKey: Buffer): Promise<void> {
  await withFileLock(file, async () => {
    if ((await readVaultBytes(file)) !== undefined) {
      throw new PalyraError('PALYRA_E_VAULT_MISMATCH', `a vault already exists at ${file}; nothing was changed`, { details: { file } });
    }
    await writePrivateFileAtomic(file, encodeVaultFile(header, payload, dataKey));
  });
}

function prepareOs(file: string, name: string, vaultId: string, keyring: OsKeyring, signal: AbortSignal | undefined): PreparedVault {
  const key: HeaderKey = { source: 'os', service: OS_VAULT_SERVICE, account: `${name}/${vaultId}` };
  const backend = describeBackend(file, { owner: '-', vaultId, name, created: '', key, check: '' }, keyring.store);
  return {
    backend,
    async create(owner, records) {
      const dataKey = randomBytes(DATA_KEY_BYTES);
      const header = newHeader(name, vaultId, owner, key, dataKey);
      await keyring.set(key.service, key.account, dataKey, signal);
      try {
        await writeNewVault(file, header, initialPayload(records), dataKey);
      } catch (error) {
        await keyring.delete(key.service, key.account).catch(() => undefined);
        throw error;
      }
      return construct(file, header, dataKey, backend);
    },
  };
}

async function prepareKeyFile(file: string, name: string, vaultId: string, keyFile: string, managed: boolean, fallbackReason: string | undefined): Promise<PreparedVault> {
  // A key file that is there must be usable now (this user's, 0600, a key): `join` prepares
  // before it pairs, and must not pair and then fail to store the identity.
  await readKeyFile(keyFile).then(
    (key) => key.fill(0),
    (error: unknown) => {
      if (!(error instanceof PalyraError) || error.code !== 'PALYRA_E_VAULT_KEY_MISSING') throw error;
    },
  );
  const key: HeaderKey = { source: 'keyfile', path: recordedKeyPath(file, keyFile), managed };
  const backend = describeBackend(file, { owner: '-', vaultId, name, created: '', key, check: '' }, '', keyFile, fallbackReason);
  return {
    backend,
    async create(owner, records) {
      let dataKey: Buffer;
      let created = false;
      try {
        dataKey = await readKeyFile(keyFile);
      } catch (error) {
        if (!(error instanceof PalyraError) || error.code !== 'PALYRA_E_VAULT_KEY_MISSING') throw error;
        dataKey = await createKeyFile(keyFile);
        created = true;
      }
      const header = newHeader(name, vaultId, owner, { ...key, managed: managed && created }, dataKey);
      try {
        await writeNewVault(file, header, initialPayload(records), dataKey);
      } catch (error) {
        if (created) await rm(keyFile, { force: true });
        throw error;
      }
      return construct(file, header, dataKey, describeBackend(file, header, '', keyFile, fallbackReason));
    },
  };
}

function preparePassphrase(file: string, name: string, vaultId: string, passphrase: string, fallbackReason: string | undefined): PreparedVault {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `a vault passphrase has at least ${MIN_PASSPHRASE_LENGTH} characters`);
  }
  const params = newScryptParams();
  const key: HeaderKey = { source: 'passphrase', ...params };
  const backend = describeBackend(file, { owner: '-', vaultId, name, created: '', key, check: '' }, '', undefined, fallbackReason);
  return {
    backend,
    async create(owner, records) {
      const dataKey = await deriveKeyFromPassphrase(passphrase, params);
      const header = newHeader(name, vaultId, owner, key, dataKey);
      await writeNewVault(file, header, initialPayload(records), dataKey);
      return construct(file, header, dataKey, backend);
    },
  };
}

type VaultConstructor = new (file: string, header: VaultHeader, dataKey: Buffer, backend: VaultBackendInfo) => Vault;

/** The constructor is private to keep callers on open/prepare; the prepared backends above build with it. */
function construct(file: string, header: VaultHeader, dataKey: Buffer, backend: VaultBackendInfo): Vault {
  return new (Vault as unknown as VaultConstructor)(file, header, dataKey, backend);
}

/** Where a program keeps its vault in its state directory. */
export function vaultPaths(stateDir: string): { file: string; defaultKeyFile: string } {
  const dir = isAbsolute(stateDir) ? stateDir : resolve(stateDir);
  return { file: join(dir, 'vault.v1.enc'), defaultKeyFile: join(dir, 'vault.key') };
}
