import { PalyraError } from '../errors/index.js';
import { deepFreeze } from '../util/deepFreeze.js';

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
