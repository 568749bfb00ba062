import { randomBytes } from 'node:crypto';
import { PalyraError } from '../errors/index.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DEVICE_ID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const MAX_TIME = 2 ** 48 - 1;

/**
 * True for a ULID in canonical form: 26 chars of uppercase Crockford base32, first char 0-7.
 * Lowercase is refused on purpose: a device id is compared as a string, so one ULID must
 * have one spelling.
 */
export function isValidDeviceId(value: unknown): value is string {
  return typeof value === 'string' && DEVICE_ID.test(value);
}

/**
 * Throws PALYRA_E_INVALID_ARGUMENT unless `value` is a device id in canonical form: the one
 * check every place that takes a device id from outside (an operator, a caller) applies, so
 * that none accepts a spelling (lower case) that another refuses.
 */
export function assertDeviceId(value: unknown): asserts value is string {
  if (!isValidDeviceId(value)) {
    throw new PalyraError(
      'PALYRA_E_INVALID_ARGUMENT',
      `"${String(value).slice(0, 64)}" is not a device id: device ids are ULIDs written in upper case (26 Crockford base32 characters), as nodes list shows them`,
    );
  }
}

/** A new ULID: 48-bit millisecond time then 80 random bits (node:crypto), uppercase. */
export function newDeviceId(now: number = Date.now()): string {
  if (!Number.isSafeInteger(now) || now < 0 || now > MAX_TIME) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `ULID time out of range: ${now}`);
  }
  let id = '';
  let time = now;
  for (let i = 0; i < 10; i++) {
    id = CROCKFORD.charAt(time % 32) + id;
    time = Math.floor(time / 32);
  }
  // 80 random bits are exactly 16 base32 characters: 5 bytes give 8 characters.
  const random = randomBytes(10);
  for (let chunk = 0; chunk < 2; chunk++) {
    let bits = 0n;
    for (let i = 0; i < 5; i++) bits = (bits << 8n) | BigInt(random[chunk * 5 + i] ?? 0);
    for (let shift = 35n; shift >= 0n; shift -= 5n) id += CROCKFORD.charAt(Number((bits >> shift) & 31n));
  }
  return id;
}

/** Milliseconds since the epoch encoded in a device id (ULID). */
export function deviceIdTime(deviceId: string): number {
  if (!isValidDeviceId(deviceId)) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'not a valid device id (ULID)');
  let time = 0;
  for (const char of deviceId.slice(0, 10)) time = time * 32 + CROCKFORD.indexOf(char);
  return time;
}
