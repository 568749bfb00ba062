import { PalyraError } from '../errors/index.js';

/** Letters, digits and `._-/`, starting with a letter, digit or `_`; at most 128 characters. */
export const SECRET_KEY_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._\-/]{0,127}$/;
/** A secret's value is UTF-8 text of at most this many bytes. */
export const MAX_SECRET_BYTES = 64 * 1024;

/** The key rule of `ctx.secrets`, the same in the node's vault and in the test harness. */
export function checkKey(key: string): void {
  if (typeof key !== 'string' || !SECRET_KEY_PATTERN.test(key)) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `"${String(key)}" is not a secret key: letters, digits and ._-/ (at most 128 characters)`);
  }
}

/** The value rule of `ctx.secrets`: a string of at most MAX_SECRET_BYTES in UTF-8. */
export function checkSecretValue(value: string, scope: string, key: string): void {
  if (typeof value !== 'string') throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'a secret value is a string');
  const bytes = new TextEncoder().encode(value).byteLength;
  if (bytes > MAX_SECRET_BYTES) {
    throw new PalyraError('PALYRA_E_LIMIT_EXCEEDED', `the value of secret ${scope}/${key} is ${bytes} bytes; at most ${MAX_SECRET_BYTES}`);
  }
}
