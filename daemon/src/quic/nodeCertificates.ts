import type { X509Certificate } from 'node:crypto';
import { PalyraError } from '@palyra/shared/errors';
import { TLS_ALERT, checkPeerCertificate } from '@palyra/shared/quic';
import { fingerprint } from '@palyra/shared/x509';
import type { PeerIdentityLookup } from '../rpc/authenticatePeer.js';
import { heldCertificate, type HeldCertificate } from '../registry/heldCertificate.js';
import type { NodeRecord } from '../registry/types.js';

/**
 * The QUIC server's verify callback. It replaces BoringSSL's own chain check, so it checks
 * everything itself: a certificate is present, issued and signed by one of the daemon's trusted CAs, inside
 * its validity period, a node certificate, not revoked, and the current certificate of a
 * registered node whose device id it carries. Returns a TLS alert as a QUIC crypto error code,
 * or undefined to accept; it never throws (the library would turn a throw into an uncaught
 * exception): anything unexpected is an internal-error alert.
 */
export function createNodeVerifyCallback(
  ca: X509Certificate | (() => readonly X509Certificate[]),
  lookup: PeerIdentityLookup,
  now: () => Date = () => new Date(),
): (certs: Uint8Array[], cas: Uint8Array[]) => Promise<number | undefined> {
  // A function: the CAs trusted right now (a CA rotation changes them while the server runs).
  const trusted = typeof ca === 'function' ? ca : () => [ca];
  return (certs) => {
    try {
      const problem = verifyNodeCertificate(certs[0], trusted(), lookup, now());
      return Promise.resolve(problem?.alert);
    } catch {
      return Promise.resolve(TLS_ALERT.INTERNAL_ERROR);
    }
  };
}

export interface CertificateProblem {
  alert: number;
  error: PalyraError;
}

/** The checks of createNodeVerifyCallback; undefined when the certificate is acceptable. */
export function verifyNodeCertificate(
  leafDer: Uint8Array | undefined,
  ca: X509Certificate | readonly X509Certificate[],
  lookup: PeerIdentityLookup,
  now: Date,
): CertificateProblem | undefined {
  const check = checkPeerCertificate(leafDer, ca, 'node', now);
  if (!check.ok) {
    return { alert: check.alert, error: new PalyraError('PALYRA_E_UNAUTHENTICATED', `${check.problem}: pair the node with palyra-node join first`) };
  }
  const identity = identifyNode(check.certificate.der, lookup, now);
  if ('problem' in identity) return identity.problem;
  const node = identity.node;
  if (node.deviceId !== check.certificate.deviceId) {
    return {
      alert: TLS_ALERT.BAD_CERTIFICATE,
      error: new PalyraError('PALYRA_E_PERMISSION_DENIED', `the certificate names device ${String(check.certificate.deviceId)}, registered as ${node.deviceId}`),
    };
  }
  return undefined;
}

/**
 * The registered node a (chain-verified) certificate belongs to, checked as authenticatePeer
 * checks gRPC callers: exact fingerprint of a registered node's current or previous
 * certificate, not revoked, not expired. Runs on every QUIC stream open, so a revocation or
 * expiry since the handshake is seen.
 */
export function identifyNode(
  leafDer: Uint8Array | undefined,
  lookup: PeerIdentityLookup,
  now: Date = new Date(),
): { node: NodeRecord; certificate: HeldCertificate } | { problem: CertificateProblem } {
  if (leafDer === undefined || leafDer.byteLength === 0) {
    return problem(TLS_ALERT.CERTIFICATE_REQUIRED, 'PALYRA_E_UNAUTHENTICATED', 'a client certificate issued by this daemon is required');
  }
  const fp = fingerprint(leafDer);
  if (lookup.isRevoked(fp)) {
    return problem(TLS_ALERT.CERTIFICATE_REVOKED, 'PALYRA_E_PERMISSION_DENIED', 'this node certificate was revoked: pair the node again');
  }
  const node = lookup.nodeForFingerprint(fp);
  if (node === undefined) {
    return problem(TLS_ALERT.CERTIFICATE_UNKNOWN, 'PALYRA_E_PERMISSION_DENIED', 'this certificate belongs to no registered node: pair the node again');
  }
  const certificate = heldCertificate(node, fp);
  if (certificate === undefined || Date.parse(certificate.expiresAt) <= now.getTime()) {
    return problem(TLS_ALERT.CERTIFICATE_EXPIRED, 'PALYRA_E_PERMISSION_DENIED', 'this node certificate has expired: the node must renew it (within the renewal grace), else pair it again');
  }
  return { node, certificate };
}

function problem(alert: number, code: 'PALYRA_E_UNAUTHENTICATED' | 'PALYRA_E_PERMISSION_DENIED', message: string): { problem: CertificateProblem } {
  return { problem: { alert, error: new PalyraError(code, message) } };
}
