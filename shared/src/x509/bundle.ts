import { PalyraError } from '../errors/index.js';
import { pemToDer } from './pem.js';

const END_CERTIFICATE = '-----END CERTIFICATE-----';

/**
 * The DER of every CERTIFICATE block of a PEM bundle, in order (a trust bundle: the CA
 * proven at pairing, or the old and new CA during a rotation). Bounded, since bundles come
 * from a peer: more than `maxCount` blocks is PALYRA_E_INVALID_ARGUMENT, as is a bundle
 * without any. Text between blocks is ignored, as OpenSSL does.
 */
export function pemCertificates(bundle: string, { maxCount = 16 }: { maxCount?: number } = {}): Buffer[] {
  if (typeof bundle !== 'string') throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'expected a PEM bundle string');
  const ders: Buffer[] = [];
  let start = 0;
  for (;;) {
    const end = bundle.indexOf(END_CERTIFICATE, start);
    if (end === -1) break;
    if (ders.length === maxCount) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the PEM bundle holds more than ${maxCount} certificates`);
    }
    const blockEnd = end + END_CERTIFICATE.length;
    ders.push(pemToDer(bundle.slice(start, blockEnd), 'CERTIFICATE'));
    start = blockEnd;
  }
  if (ders.length === 0) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'the PEM bundle holds no certificate');
  return ders;
}
