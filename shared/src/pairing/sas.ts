/**
 * The short authentication string both sides display, so the operator can check that the
 * request they approve comes from the device in front of them.
 *
 * 40 bits as 8 Crockford base32 characters in two groups ("7K3Q-M9XD"). The length and the
 * dash keep it from being mistaken for the 6-digit PIN, and Crockford's alphabet has no
 * I, L, O or U, so it reads back without ambiguity.
 */
import { PalyraError } from '../errors/index.js';

export const SAS_BYTES = 5;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Renders 5 bytes (40 bits, most significant first) as "XXXX-XXXX". */
export function formatSas(bytes: Uint8Array): string {
  if (bytes.length !== SAS_BYTES) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `a SAS is rendered from exactly ${SAS_BYTES} bytes`);
  }
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let chars = '';
  for (let shift = 35n; shift >= 0n; shift -= 5n) {
    chars += CROCKFORD[Number((bits >> shift) & 31n)];
  }
  return `${chars.slice(0, 4)}-${chars.slice(4)}`;
}
