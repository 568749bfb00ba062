import { PalyraError } from '@palyra/shared/errors';

/** Lowercase letters, digits, `.`, `_`, `-`: a name that is also a vault account and record id everywhere. */
export const PROFILE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function checkProfileName(name: string, what = '--profile'): string {
  if (!PROFILE_NAME_PATTERN.test(name)) {
    throw new PalyraError('PALYRA_E_USAGE', `${what} "${name}" is not a profile name: 1-64 of a-z, 0-9, ".", "_", "-", starting with a letter or digit`);
  }
  return name;
}
