import { PalyraError } from '@palyra/shared/errors';
import { hasUnsafeText } from '@palyra/shared/text';

/**
 * Checks a peer-supplied string: bounded length, and the pairing-time rule on characters (no
 * controls, bidi overrides, zero-width or other invisible characters: see hasUnsafeText).
 */
export function boundedString(
  value: unknown,
  field: string,
  maxLength: number,
  options: { allowEmpty?: boolean } = {},
): string {
  if (typeof value !== 'string') {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `${field} must be a string`);
  }
  if (value.length === 0 && options.allowEmpty !== true) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `${field} must not be empty`);
  }
  if (value.length > maxLength) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `${field} is longer than ${maxLength} characters`);
  }
  if (hasUnsafeText(value)) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `${field} contains control, format or invisible characters`);
  }
  return value;
}

export function boundedStringList(
  values: unknown,
  field: string,
  limits: { maxItems: number; maxLength: number },
): string[] {
  if (!Array.isArray(values)) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `${field} must be a list`);
  }
  if (values.length > limits.maxItems) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `${field} has more than ${limits.maxItems} entries`);
  }
  return values.map((value, index) => boundedString(value, `${field}[${index}]`, limits.maxLength));
}

/** Checks a peer-supplied byte field's exact or maximum length. */
export function bytesField(value: unknown, field: string, length: { exact?: number; max?: number }): Buffer {
  if (!Buffer.isBuffer(value)) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `${field} must be bytes`);
  }
  if (length.exact !== undefined && value.length !== length.exact) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `${field} must be ${length.exact} bytes, got ${value.length}`);
  }
  if (length.max !== undefined && value.length > length.max) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `${field} is larger than ${length.max} bytes`);
  }
  return value;
}
