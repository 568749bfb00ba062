import { randomBytes } from 'node:crypto';
import { PalyraError } from '../errors/index.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/**
 * A ULID in canonical form: 26 upper-case Crockford base32 characters, the first 0-7 (48-bit
 * time). Lower case is refused on purpose: ids are compared as strings, so one ULID must have
 * one spelling.
 */
export const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const MAX_TIME = 2 ** 48 - 1;

/** True for a ULID in canonical (upper-case) form. */
export function isUlid(value: unknown): value is string {
  return typeof value === 'string' && ULID_PATTERN.test(value);
}

/**
 * The one ULID generator: 48-bit millisecond time then 80 random bits (node:crypto), upper
 * case. Callers use the named ids of ./index.ts, not this.
 */
export function newUlid(now: number = Date.now()): string {
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

/** Milliseconds since the epoch encoded in a ULID. */
export function ulidTime(id: string): number {
  if (!isUlid(id)) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'not a valid ULID');
  let time = 0;
  for (const char of id.slice(0, 10)) time = time * 32 + CROCKFORD.indexOf(char);
  return time;
}
