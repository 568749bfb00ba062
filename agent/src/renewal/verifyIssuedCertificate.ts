import { X509Certificate, createPublicKey } from 'node:crypto';
import { PalyraError } from '@palyra/shared/errors';
import { parseCertificate, type ParsedCertificate } from '@palyra/shared/x509';

/** A node certificate the daemon issues never lives longer than this (`--cert-validity` max 365d). */
const MAX_LIFETIME_MS = 366 * 24 * 60 * 60 * 1000;
/** notBefore may be this far ahead of our clock (the daemon's clock may run ahead of ours). */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Checks a certificate the daemon issued to this node (at pairing and at each renewal) before
 * it is stored: for this device (URI SAN), for this node's new TLS key, issued and signed by
 * one of `cas`, and with a sane validity at `now` (not expired, not years long, not starting
 * in the future beyond clock skew). PALYRA_E_CERT_INVALID otherwise: storing a certificate
 * that cannot work would leave the node without one.
 */
export function verifyIssuedCertificate(
  certDer: Buffer,
  cas: readonly X509Certificate[],
  deviceId: string,
  publicKeyPem: string,
  now?: Date,
): ParsedCertificate {
  const invalid = (what: string): PalyraError => new PalyraError('PALYRA_E_CERT_INVALID', `the daemon sent a certificate that ${what}`);
  let cert: X509Certificate;
  let parsed: ParsedCertificate;
  try {
    cert = new X509Certificate(certDer);
    parsed = parseCertificate(certDer);
  } catch {
    throw invalid('cannot be read');
  }
  if (!cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey)) || parsed.deviceId !== deviceId || !cert.publicKey.equals(createPublicKey(publicKeyPem))) {
    throw invalid('is not for this device and key');
  }
  if (parsed.isCA) throw invalid('is a CA certificate');
  if (now !== undefined) {
    const notBefore = parsed.notBefore.getTime();
    const notAfter = parsed.notAfter.getTime();
    if (notAfter <= now.getTime()) throw invalid(`expired at ${parsed.notAfter.toISOString()}`);
    if (notBefore > now.getTime() + CLOCK_SKEW_MS) throw invalid(`is not valid before ${parsed.notBefore.toISOString()}`);
    if (notAfter - notBefore > MAX_LIFETIME_MS || notAfter <= notBefore) throw invalid('has an impossible validity period');
  }
  return parsed;
}
