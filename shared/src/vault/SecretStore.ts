import { createHash } from 'node:crypto';
import { PalyraError } from '../errors/index.js';
import { checkKey, checkSecretValue, MAX_SECRET_BYTES, SECRET_KEY_PATTERN } from '@palyra/plugin-sdk/host';
import type { PluginSecrets, SecretInfo } from '../plugins/index.js';
import type { Vault } from './Vault.js';

/** `node`, `daemon`, `plugin:<name>`, ...: a kind, optionally `:` and a name. */
export const SECRET_SCOPE_PATTERN = /^[a-z][a-z0-9-]{0,31}(:[a-z0-9][a-z0-9._-]{0,63})?$/;
export { SECRET_KEY_PATTERN, MAX_SECRET_BYTES, checkKey };

const RECORD_PREFIX = 'secret:';

export interface Secret extends SecretInfo {
  readonly value: string;
}

/** The scope of a plugin's secrets. */
export function pluginScope(pluginName: string): string {
  return `plugin:${pluginName}`;
}

/**
 * Scoped secrets kept in a Vault. A secret belongs to a scope (`node`, `plugin:<name>`, ...);
 * its record id is a hash of scope and key, so ids reveal neither; scope and key are kept
 * (encrypted) with the value and its metadata (created, updated, version). Values are UTF-8
 * text of at most 64 KiB.
 */
export class SecretStore {
  constructor(private readonly vault: Vault) {}

  /** The storage id of a secret: SHA-256 over a domain label, the scope and the key. */
  static storageId(scope: string, key: string): string {
    checkScope(scope);
    checkKey(key);
    return RECORD_PREFIX + createHash('sha256').update(`palyra secret v1\0${scope}\0${key}`, 'utf8').digest('hex');
  }

  async get(scope: string, key: string): Promise<Secret | undefined> {
    const record = await this.vault.get(SecretStore.storageId(scope, key));
    if (record === undefined) return undefined;
    if (record.meta.scope !== scope || record.meta.key !== key) {
      throw new PalyraError('PALYRA_E_VAULT_CORRUPT', `the vault record of secret ${scope}/${key} names another secret; nothing was returned`);
    }
    return Object.freeze({ ...info(record.meta, record), value: decodeValue(record.value, scope, key) });
  }

  async set(scope: string, key: string, value: string): Promise<SecretInfo> {
    const id = SecretStore.storageId(scope, key);
    checkSecretValue(value, scope, key);
    const bytes = Buffer.from(value, 'utf8');
    const record = await this.vault.put(id, bytes, { scope, key });
    return info(record.meta, record);
  }

  /** Metadata of the secrets (never their values), of one scope or all, sorted by scope and key. */
  async list(scope?: string): Promise<SecretInfo[]> {
    if (scope !== undefined) checkScope(scope);
    const out: SecretInfo[] = [];
    for (const [id, record] of await this.vault.records()) {
      if (!id.startsWith(RECORD_PREFIX)) continue;
      const { scope: recordScope, key } = record.meta;
      if (recordScope === undefined || key === undefined) continue;
      if (scope !== undefined && recordScope !== scope) continue;
      out.push(info(record.meta, record));
    }
    return out.sort((a, b) => (a.scope === b.scope ? compare(a.key, b.key) : compare(a.scope, b.scope)));
  }

  async delete(scope: string, key: string): Promise<boolean> {
    return this.vault.delete(SecretStore.storageId(scope, key));
  }

  /** Deletes every secret of a scope; returns how many. */
  async deleteScope(scope: string): Promise<number> {
    checkScope(scope);
    return this.vault.update((records) => {
      let count = 0;
      for (const [id, record] of records) {
        if (id.startsWith(RECORD_PREFIX) && record.meta.scope === scope) {
          records.delete(id);
          count += 1;
        }
      }
      return count;
    });
  }

  /**
   * The secrets of one scope and nothing else: what a plugin gets as `ctx.secrets`. The scope
   * is fixed here; the object exposes neither the store nor the vault.
   */
  forScope(scope: string): PluginSecrets {
    checkScope(scope);
    return Object.freeze({
      get: async (key: string) => (await this.get(scope, key))?.value,
      set: (key: string, value: string) => this.set(scope, key, value),
      list: () => this.list(scope),
      delete: (key: string) => this.delete(scope, key),
    });
  }
}

/** A PluginSecrets whose every call fails with `error` (no vault in this context). */
export function unavailableSecrets(error: () => PalyraError): PluginSecrets {
  const fail = (): Promise<never> => Promise.reject(error());
  return Object.freeze({ get: fail, set: fail, list: fail, delete: fail });
}

export function checkScope(scope: string): void {
  if (typeof scope !== 'string' || !SECRET_SCOPE_PATTERN.test(scope)) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `"${String(scope)}" is not a secret scope: use node, plugin:<name>, or <kind>[:<name>] in lowercase`);
  }
}

function info(meta: Readonly<Record<string, string>>, record: { created: string; updated: string; version: number }): SecretInfo {
  return Object.freeze({ scope: meta.scope ?? '', key: meta.key ?? '', created: record.created, updated: record.updated, version: record.version });
}

function decodeValue(bytes: Uint8Array, scope: string, key: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new PalyraError('PALYRA_E_VAULT_CORRUPT', `the value of secret ${scope}/${key} is not UTF-8 text`, { cause: error });
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
