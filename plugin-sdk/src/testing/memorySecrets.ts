import type { PluginSecrets, SecretInfo } from '../plugins/index.js';
import { checkKey, checkSecretValue } from '../plugins/secretRules.js';

/**
 * A plugin's secrets kept in memory, for tests: the same key and value rules as the node's
 * vault (`ctx.secrets`), metadata with created/updated/version, values never listed.
 */
export function memorySecrets(scope: string, initial: Readonly<Record<string, string>> = {}): PluginSecrets {
  const records = new Map<string, { value: string; info: SecretInfo }>();
  const set = (key: string, value: string): SecretInfo => {
    checkKey(key);
    checkSecretValue(value, scope, key);
    const now = new Date().toISOString();
    const previous = records.get(key)?.info;
    const info: SecretInfo = Object.freeze({ scope, key, created: previous?.created ?? now, updated: now, version: (previous?.version ?? 0) + 1 });
    records.set(key, { value, info });
    return info;
  };
  for (const [key, value] of Object.entries(initial)) set(key, value);
  // Async like the vault's, and a rule broken is a rejection, not a synchronous throw.
  return Object.freeze({
    get: async (key: string) => {
      checkKey(key);
      return records.get(key)?.value;
    },
    set: async (key: string, value: string) => set(key, value),
    list: async () => [...records.values()].map((r) => r.info).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    delete: async (key: string) => {
      checkKey(key);
      return records.delete(key);
    },
  });
}
