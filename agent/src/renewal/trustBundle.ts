import { X509Certificate } from 'node:crypto';
import { PalyraError } from '@palyra/shared/errors';
import { derToPem, fingerprint, parseCertificate, pemCertificates } from '@palyra/shared/x509';

/** A trust bundle holds the current CA and, during a rotation, the next one: a few, never many. */
export const MAX_TRUST_BUNDLE_CAS = 8;
/** A 2048/4096-bit CA certificate is 1-2 KiB of PEM. */
export const MAX_TRUST_BUNDLE_BYTES = 64 * 1024;

export interface TrustBundle {
  /** The bundle as this node stores it: one normalized PEM block per CA. */
  pem: string;
  /** SHA-256 (lowercase hex) of each CA, in bundle order. */
  fingerprints: string[];
  cas: X509Certificate[];
}

/** The CAs a stored `caCertPem` names (the node's own vault: trusted as it is). */
export function readTrustBundle(pem: string): TrustBundle {
  const ders = pemCertificates(pem, { maxCount: MAX_TRUST_BUNDLE_CAS });
  return { pem: ders.map((der) => derToPem(der, 'CERTIFICATE')).join(''), fingerprints: ders.map((der) => fingerprint(der)), cas: ders.map((der) => new X509Certificate(der)) };
}

/** SHA-256 of every CA in a stored bundle (RegisterNodeRequest.trusted_ca_fingerprints, TrustAck). */
export function trustedCaFingerprints(pem: string): string[] {
  return readTrustBundle(pem).fingerprints;
}

/**
 * Checks a trust bundle the daemon sent (RegisterNodeResponse, RenewIssued, TrustBundle):
 * bounded in size and count, PEM certificates only, each a CA (basicConstraints CA:true),
 * self-consistent (signed by its own key: a root) and not expired at `now`. It arrives only
 * over a channel whose server certificate verified against a CA this node already trusts, so
 * it need not overlap the current bundle: a node that slept through a whole rotation still
 * learns the new CA from the daemon it proved. PALYRA_E_CERT_INVALID otherwise.
 */
export function validateTrustBundle(pem: string, now: Date): TrustBundle {
  const invalid = (what: string, cause?: unknown): PalyraError =>
    new PalyraError('PALYRA_E_CERT_INVALID', `the daemon sent an unusable trust bundle: ${what}`, cause === undefined ? {} : { cause });
  if (Buffer.byteLength(pem, 'utf8') > MAX_TRUST_BUNDLE_BYTES) throw invalid(`it is larger than ${MAX_TRUST_BUNDLE_BYTES} bytes`);
  let bundle: TrustBundle;
  try {
    bundle = readTrustBundle(pem);
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : 'it is not PEM', error);
  }
  for (const [index, ca] of bundle.cas.entries()) {
    let parsed;
    try {
      parsed = parseCertificate(ca.raw);
    } catch (error) {
      throw invalid(`certificate ${index + 1} cannot be read`, error);
    }
    if (!parsed.isCA) throw invalid(`certificate ${index + 1} is not a CA`);
    if (!ca.checkIssued(ca) || !ca.verify(ca.publicKey)) throw invalid(`certificate ${index + 1} is not a self-signed root`);
    if (parsed.notAfter.getTime() <= now.getTime()) throw invalid(`CA ${parsed.fingerprint} expired at ${parsed.notAfter.toISOString()}`);
  }
  if (new Set(bundle.fingerprints).size !== bundle.fingerprints.length) throw invalid('it names a CA twice');
  return bundle;
}

/** Do two bundles trust the same CAs (whatever their order and formatting)? */
export function sameTrust(a: string, b: string): boolean {
  const left = new Set(trustedCaFingerprints(a));
  const right = trustedCaFingerprints(b);
  return left.size === right.length && right.every((f) => left.has(f));
}
