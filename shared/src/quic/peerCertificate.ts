import { X509Certificate } from 'node:crypto';
import { EKU_CLIENT_AUTH, EKU_SERVER_AUTH } from '../x509/constants.js';
import { parseCertificate, type ParsedCertificate } from '../x509/parseCertificate.js';
import { fingerprint } from '../x509/pem.js';
// One implementation, in x509/pem (light: the CLI's remote client uses it without QUIC).
export { parseSha256Fingerprint } from '../x509/pem.js';
import { TLS_ALERT } from './protocol.js';

export type PeerRole = 'node' | 'daemon';

export type PeerCheck =
  | { ok: true; certificate: ParsedCertificate }
  | { ok: false; alert: number; problem: string };

/**
 * What a TLS stack would check of a peer's leaf certificate, for QUIC verify callbacks, which
 * replace BoringSSL's own check: issued by `ca` (issuer name and signature; with a list, by
 * any one of them: during a CA rotation both CAs are trusted), inside its
 * validity period at `now`, not a CA, and the role's marker (a node: device URI SAN and EKU
 * clientAuth; the daemon: daemon URI SAN and EKU serverAuth). Never throws: anything
 * unreadable is a bad certificate.
 */
export function checkPeerCertificate(
  leafDer: Uint8Array | undefined,
  ca: X509Certificate | readonly X509Certificate[],
  role: PeerRole,
  now: Date = new Date(),
): PeerCheck {
  if (leafDer === undefined || leafDer.byteLength === 0) {
    return { ok: false, alert: TLS_ALERT.CERTIFICATE_REQUIRED, problem: 'no certificate was presented' };
  }
  try {
    const leaf = new X509Certificate(leafDer);
    const cas: readonly X509Certificate[] = Array.isArray(ca) ? ca : [ca as X509Certificate];
    if (!cas.some((one) => leaf.checkIssued(one) && leaf.verify(one.publicKey))) {
      return { ok: false, alert: TLS_ALERT.UNKNOWN_CA, problem: 'the certificate was not issued by this daemon\'s CA' };
    }
    const certificate = parseCertificate(Buffer.from(leafDer));
    if (certificate.notBefore.getTime() > now.getTime()) {
      return { ok: false, alert: TLS_ALERT.BAD_CERTIFICATE, problem: `the certificate is not valid before ${certificate.notBefore.toISOString()}` };
    }
    if (certificate.notAfter.getTime() <= now.getTime()) {
      return { ok: false, alert: TLS_ALERT.CERTIFICATE_EXPIRED, problem: `the certificate expired at ${certificate.notAfter.toISOString()}` };
    }
    if (certificate.isCA) return { ok: false, alert: TLS_ALERT.BAD_CERTIFICATE, problem: 'a CA certificate cannot identify a peer' };
    const marked =
      role === 'node'
        ? certificate.deviceId !== null && certificate.extKeyUsage.includes(EKU_CLIENT_AUTH)
        : certificate.isDaemonServer && certificate.extKeyUsage.includes(EKU_SERVER_AUTH);
    if (!marked) {
      return { ok: false, alert: TLS_ALERT.BAD_CERTIFICATE, problem: `the certificate is not a Palyra ${role} certificate` };
    }
    return { ok: true, certificate };
  } catch {
    return { ok: false, alert: TLS_ALERT.BAD_CERTIFICATE, problem: 'the certificate could not be parsed' };
  }
}

/** SHA-256 of `der` equals the pinned fingerprint (lowercase hex)? */
export function matchesPinnedFingerprint(der: Uint8Array, pinned: string): boolean {
  return fingerprint(der) === pinned;
}
