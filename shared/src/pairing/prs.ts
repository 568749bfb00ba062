/**
 * Password-related strings (the draft's PRS): the secret CPace is keyed with.
 *
 * PIN: scrypt over the PIN. The daemon persists only this derivation and its salt, never the
 * PIN. scrypt only slows down someone who steals that derivation (10^6 PINs at ~0.1 s each is
 * about a CPU-day, instead of a second); it cannot make 20 bits strong, which is why codes are
 * short-lived, single-use and burned after failed attempts. On the wire, CPace exposes nothing
 * derived from the PIN that could be tested offline.
 *
 * QR: the token already carries 128 random bits, so a domain-separated SHA-256 is enough.
 */
import { scrypt } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { PalyraError } from '../errors/index.js';
import { lvCat, utf8, wipe } from './encoding.js';
import { PAIRING_LIMITS, PAIRING_PROTOCOL } from './types.js';
import { assertBytesInRange } from './validate.js';

/** scrypt cost: 128 * N * r = 32 MiB of memory and ~0.1 s per derivation. */
export const PIN_PRS_SCRYPT = {
  N: 2 ** 15,
  r: 8,
  p: 1,
  // Explicit so a future raise of N fails loudly instead of hitting Node's 32 MiB default.
  maxmem: 64 * 1024 * 1024,
  keyLength: 32,
} as const;

const PIN = /^[0-9]{6}$/;

/** Derives the 32-byte PRS for a 6-digit PIN. Rejects with PALYRA_E_CANCELLED if `signal` aborts. */
export async function derivePinPrs(
  pin: string,
  salt: Uint8Array,
  options: { signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  // No value in the message: it would be the PIN, or something close to it.
  if (typeof pin !== 'string' || !PIN.test(pin)) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'the pairing PIN must be exactly 6 ASCII digits');
  }
  assertBytesInRange(salt, PAIRING_LIMITS.saltMinBytes, PAIRING_LIMITS.saltMaxBytes, 'salt', 'PALYRA_E_INVALID_ARGUMENT');
  const { signal } = options;
  if (signal?.aborted) throw cancelled(signal);

  const password = lvCat(utf8(`${PAIRING_PROTOCOL} pin-prs`), utf8(pin));
  const { N, r, p, maxmem, keyLength } = PIN_PRS_SCRYPT;
  return new Promise<Uint8Array>((resolve, reject) => {
    // scrypt runs on the libuv pool and cannot be interrupted; on abort we stop waiting for it.
    const onAbort = (): void => reject(cancelled(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    scrypt(password, salt, keyLength, { N, r, p, maxmem }, (error, derived) => {
      signal?.removeEventListener('abort', onAbort);
      wipe(password);
      if (error) {
        reject(new PalyraError('PALYRA_E_INTERNAL', 'deriving the PIN key failed', { cause: error }));
        return;
      }
      const prs = Uint8Array.from(derived);
      wipe(derived);
      // Already rejected as cancelled: nobody will read the result, so do not leave it around.
      if (signal?.aborted) wipe(prs);
      resolve(prs);
    });
  });
}

/** Derives the 32-byte PRS for a QR token (at least 128 random bits). */
export function deriveQrPrs(token: Uint8Array, salt: Uint8Array): Uint8Array {
  assertBytesInRange(token, PAIRING_LIMITS.qrTokenMinBytes, PAIRING_LIMITS.qrTokenMaxBytes, 'token', 'PALYRA_E_INVALID_ARGUMENT');
  assertBytesInRange(salt, PAIRING_LIMITS.saltMinBytes, PAIRING_LIMITS.saltMaxBytes, 'salt', 'PALYRA_E_INVALID_ARGUMENT');
  return sha256(lvCat(utf8(`${PAIRING_PROTOCOL} qr-prs`), token, salt));
}

function cancelled(signal: AbortSignal | undefined): PalyraError {
  return new PalyraError('PALYRA_E_CANCELLED', 'deriving the PIN key was cancelled', { cause: signal?.reason });
}
