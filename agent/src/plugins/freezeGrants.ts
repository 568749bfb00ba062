import { PalyraError } from '@palyra/shared/errors';

/**
 * A deep-frozen copy of a plugin's grants, so no plugin can change what it (or another
 * plugin sharing the config object) was granted. Grants must be plain data.
 */
export function freezeGrants(grants: unknown, where: string): unknown {
  let copy: unknown;
  try {
    copy = structuredClone(grants);
  } catch (error) {
    throw new PalyraError('PALYRA_E_CONFIG_INVALID', `${where}: grants must be plain JSON data: ${(error as Error).message}`, { cause: error });
  }
  return deepFreeze(copy);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<string | symbol, unknown>)[key]);
  }
  return value;
}
