import { PalyraError } from '@palyra/shared/errors';

/** Checks a peer-supplied string: bounded length, no control characters. */
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
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `${field} contains control characters`);
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
